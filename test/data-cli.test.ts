/** `tpp-lab data inspect` and `tpp-lab data download`, run through the CLI entry point. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';

/** Run the CLI in-process, capturing stdout and stderr lines. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, error: console.error, write: process.stderr.write };
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    process.stderr.write = saved.write;
  }
}

test('data inspect breastmnist --json: stable keys and published counts', async () => {
  const { code, out } = await cli('data', 'inspect', 'breastmnist', '--json');
  assert.equal(code, 0);
  const r = JSON.parse(out);
  assert.deepEqual(Object.keys(r), ['file', 'bytes', 'md5', 'md5Status', 'flag', 'size', 'modality', 'task', 'classNames', 'license', 'splits', 'arrays']);
  assert.equal(r.md5Status, 'verified');
  assert.equal(r.modality, 'Breast Ultrasound');
  assert.equal(r.task, 'binary-class');
  assert.deepEqual(r.splits.train, { n: 546, imageShape: [546, 28, 28], imageDtype: 'uint8', labelShape: [546, 1], labelDtype: 'uint8', classCounts: { 0: 147, 1: 399 } });
  assert.deepEqual(r.splits.val.classCounts, { 0: 21, 1: 57 });
  assert.deepEqual(r.splits.test.classCounts, { 0: 42, 1: 114 });
});

test('data inspect on a plain .npz file and on a multi-label file', async () => {
  const plain = await cli('data', 'inspect', path.join(__dirname, 'fixtures', 'npz', 'orders.npz'));
  assert.equal(plain.code, 0);
  assert.match(plain.out, /f2d_be +\[3, 5\] int16 \(>i2\)/);
  const ml = JSON.parse((await cli('data', 'inspect', path.join(__dirname, 'fixtures', 'npz', 'tiny_rgb_multilabel.npz'), '--json')).out);
  assert.deepEqual(ml.splits.train.imageShape, [6, 4, 4, 3]);
  assert.deepEqual(Object.keys(ml.splits.train.classCounts), ['0', '1', '2']);
  assert.equal(ml.flag, null);
});

test('data inspect errors: missing file exits 1, bad usage exits 2', async () => {
  const missing = await cli('data', 'inspect', 'no/such.npz');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /No such file: no\/such\.npz\./);
  assert.equal((await cli('data', 'inspect')).code, 2);
  assert.equal((await cli('data', 'inspect', 'breastmnist', '--size', '30')).code, 2);
});

test('data download --from copies into --cache; a bad flag is a usage error', async () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-cli-'));
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-cli-src-'));
  try {
    fs.copyFileSync(path.join(__dirname, '..', 'data', 'pneumoniamnist.npz'), path.join(src, 'pneumoniamnist.npz'));
    // the bundled copy wins unless --force asks for a fresh one in the cache
    const bundled = JSON.parse((await cli('data', 'download', 'pneumoniamnist', '--cache', cache, '--json')).out);
    assert.equal(bundled.source, 'bundled');
    const r = await cli('data', 'download', 'pneumoniamnist', '--from', src, '--cache', cache, '--force', '--json');
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.out), { path: path.join(cache, 'pneumoniamnist.npz'), md5: '28209eda62fecd6e6a2d98b1501bb15f', bytes: 4170669, source: 'copy', md5Check: 'verified' });
    assert.match(r.err, /copying .*pneumoniamnist\.npz/);
    const bad = await cli('data', 'download', 'nosuch');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /Unknown MedMNIST dataset "nosuch"/);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
    fs.rmSync(src, { recursive: true, force: true });
  }
});
