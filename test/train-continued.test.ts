import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { readCheckpointInfo } from '../src/io/checkpoint';
import { readSafetensorsFile } from '../src/io/safetensors';
import { cli, tempDir, tinyBackbone } from './helpers';

test('pretrain --from continues a backbone: same config and normalisation, every encoder weight moves, the decoder still fits it', async () => {
  const dir = tempDir();
  const first = tinyBackbone(path.join(dir, 'first'));
  const next = path.join(dir, 'continued');
  // Continued on other images (chest X-rays): the normalisation must stay the first backbone's.
  const b = cli(['pretrain', '--data', 'pneumoniamnist', '--from', first, '--limit', '64', '--epochs', '1', '--batch', '32', '--out', next, '--quiet', '--json']);
  assert.equal(b.code, 0, b.stderr);
  const [i0, i1] = [await readCheckpointInfo(path.join(first, 'backbone.safetensors')), await readCheckpointInfo(path.join(next, 'backbone.safetensors'))];
  assert.deepEqual(i1.metadata.normalization, i0.metadata.normalization);
  const [w0, w1] = [await readSafetensorsFile(path.join(first, 'backbone.safetensors')), await readSafetensorsFile(path.join(next, 'backbone.safetensors'))];
  assert.deepEqual([...w1.tensors.keys()].sort(), [...w0.tensors.keys()].sort());
  const moved = [...w0.tensors.keys()].filter((k) => !k.startsWith('head.') && Buffer.compare(Buffer.from(w0.tensors.get(k)!.data), Buffer.from(w1.tensors.get(k)!.data)) !== 0);
  assert.equal(moved.length, [...w0.tensors.keys()].filter((k) => !k.startsWith('head.')).length, 'every encoder tensor changed');
  // The continued decoder belongs to the continued backbone: TPP on it runs.
  const t = cli(['tpp', '--data', 'breastmnist', '--backbone', next, '--method', 'lora', '--limit', '32', '--epochs', '1', '--out', path.join(dir, 'tpp'), '--quiet', '--json']);
  assert.equal(t.code, 0, t.stderr);
  const bad = cli(['pretrain', '--data', 'breastmnist', '--from', first, '--preset', 'tiny', '--out', path.join(dir, 'x')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--from continues a saved backbone, whose size is fixed: leave --preset out/);
});
