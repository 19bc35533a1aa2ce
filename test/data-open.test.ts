/**
 * `openData`: one opener for classification and segmentation data; the limit applies to training images only,
 * validation can be sampled, every split is fitted to the backbone (or refused with the fix named), and what a
 * conversion did is told through `onNote`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numExamples } from '../src/data/sets/dataset';
import { openData } from '../src/io/sources/open';

test('classification: limit cuts the training split only; valImages samples validation; a mismatch is refused unless converted, with a note', async () => {
  const full = await openData('breastmnist');
  const d = await openData('breastmnist', { limit: 10, valImages: 7 });
  assert.equal(numExamples(d.train), 10);
  assert.equal(numExamples(d.val), 7);
  assert.equal(numExamples(d.test), numExamples(full.test));
  assert.equal(d.seg, undefined);
  const input = { imageSize: 32, channels: 3 };
  await assert.rejects(openData('breastmnist', { limit: 4, fit: { config: input } }), /28x28x1 but the backbone expects 32x32x3.*--convert/);
  const notes: [string, string][] = [];
  const c = await openData('breastmnist', { limit: 4, fit: { config: input, convert: true }, onNote: (t, l) => notes.push([t, l]) });
  for (const ds of [c.train, c.val, c.test]) assert.deepEqual(ds.images.shape.slice(1), [32, 32, 3]);
  assert.equal(notes.length, 1, 'one note, for the training images');
  assert.equal(notes[0][1], 'info');
  assert.match(notes[0][0], /resized 28x28 → 32x32.*1 channel repeated to 3/);
});

test('segmentation: masks in seg, their images as the splits, all fitted together; no validation sample', async () => {
  const d = await openData('data/hc18_64.npz', { limit: 5, fit: { config: { imageSize: 32, channels: 1 }, convert: true } });
  assert.ok(d.seg);
  assert.deepEqual(d.seg.train.masks.shape, [5, 32, 32, 1]);
  assert.equal(d.train.images, d.seg.train.images, 'the image splits are the segmentation splits\' images');
  assert.equal(d.test.images, d.seg.test.images);
  assert.deepEqual(d.seg.val.images.shape.slice(1), [32, 32, 1]);
  await assert.rejects(openData('data/hc18_64.npz', { valImages: 3 }), /validation sample \(valImages\) applies to classification/);
});
