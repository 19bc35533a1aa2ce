import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settingsFingerprint } from '../src/train/settings-fingerprint';
import { checkRecord, settingsRecord } from '../src/train/settings-record';

test('a settings record checks as pending, done or changed with what differs', () => {
  const wanted = { epochs: 40, images: { count: 546, source: 'breastmnist' }, lr: 0.003 };
  const record = settingsRecord(wanted);
  assert.equal(record.fingerprint, settingsFingerprint(wanted));
  assert.deepEqual(checkRecord(null, wanted), { state: 'pending', diff: [] });
  assert.deepEqual(checkRecord(record, { lr: 0.003, images: { source: 'breastmnist', count: 546 }, epochs: 40 }), { state: 'done', diff: [] });
  // A record of settings alone (e.g. an adapter's metadata) is fingerprinted from them.
  assert.deepEqual(checkRecord({ settings: wanted }, wanted), { state: 'done', diff: [] });
  assert.deepEqual(checkRecord(record, { ...wanted, epochs: 160, images: { count: 2000, source: 'breastmnist' } }), {
    state: 'changed', diff: ['epochs: 40 → 160', 'images.count: 546 → 2000'],
  });
  assert.deepEqual(checkRecord({ fingerprint: 'sha256:old' }, wanted), { state: 'changed', diff: ['settings: none recorded (made by an older tpp-lab) → recorded'] });
});
