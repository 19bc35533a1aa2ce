/**
 * Cross-check against an independent implementation: PyTorch (Debian's python3-torch) via scripts/torch_vit.py.
 * This test fails, rather than skips, when PyTorch is missing: `npm test` installs it (kernel-setup/system.ts).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { missingFor } from '../kernel-setup/system';
import { initBackend } from '../src/backend';
import { vitConfig, type ViTConfig } from '../src/model/config';
import { createViT } from '../src/model/vit';
import { loadBackbone, saveBackbone } from '../src/io/checkpoint';
import { readSafetensorsFile, entryToFloat32, writeSafetensorsFile } from '../src/io/safetensors';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', 'scripts', 'torch_vit.py');
const dir = mkdtempSync(join(tmpdir(), 'torch-'));

before(async () => {
  await initBackend({ warn: () => {} });
  // npm test installs python3-torch with libopenblas0-pthread first: missing, this fails with the commands.
  assert.equal(missingFor(['torch']), null);
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  assert.equal(probe.status, 0, `python3-torch is installed but ${PYTHON} cannot import torch: ${(probe.stderr || String(probe.error)).trim().split('\n').pop()}`);
});

function runScript(args: string[]): Record<string, unknown> {
  const out = execFileSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function crossCheck(config: ViTConfig, name: string): Promise<void> {
  const model = createViT(config, { seed: 5 });
  // Move norms and biases off their init so the comparison covers them too.
  for (const [n, v] of model.params) {
    if (n.endsWith('.bias') || n.includes('norm')) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 7))));
  }
  const images = tf.randomUniform([4, config.imageSize, config.imageSize, config.channels], 0, 1, 'float32', 3) as tf.Tensor4D;
  const logits = tf.tidy(() => model.forward(images));
  const backbone = join(dir, `${name}.safetensors`);
  const inputs = join(dir, `${name}-inputs.safetensors`);
  await saveBackbone(model, backbone);
  await writeSafetensorsFile(inputs, new Map([
    ['images', { dtype: 'F32', shape: images.shape, data: images.dataSync() as Float32Array }],
    ['logits', { dtype: 'F32', shape: logits.shape, data: logits.dataSync() as Float32Array }],
  ]));
  const r = runScript(['crosscheck', backbone, inputs]);
  if (process.env.TPP_VERBOSE) console.log(name, JSON.stringify(r));
  assert.deepEqual(r.shape, [4, config.numClasses]);
  assert.ok((r.max_abs_diff as number) < 1e-4, `${name}: PyTorch logits differ by ${r.max_abs_diff}`);
  assert.ok((r.max_abs_diff_conv as number) < 1e-4, `${name}: PyTorch conv patch embedding differs by ${r.max_abs_diff_conv}`);
  assert.equal(r.fingerprint_ok, true, 'Python recomputes the same backbone fingerprint');
  tf.dispose([images, logits]);
  model.dispose();
}

test('tpp-lab logits equal PyTorch within 1e-4 (tiny, learned positions, cls pooling)', async () => {
  await crossCheck(vitConfig('tiny'), 'tiny');
});

test('tpp-lab logits equal PyTorch within 1e-4 (3 channels, sin-cos positions, mean pooling)', async () => {
  await crossCheck(vitConfig('tiny', { imageSize: 16, channels: 3, patchSize: 4, posEmbed: 'sincos', pool: 'mean', numClasses: 3 }), 'rgb');
});

test('a backbone written by PyTorch loads here and gives the same logits within 1e-4', async () => {
  const backbone = join(dir, 'from-torch.safetensors');
  const inputs = join(dir, 'from-torch-inputs.safetensors');
  runScript(['export', '--preset', 'tiny', backbone, inputs]);
  const model = await loadBackbone(backbone);
  const file = await readSafetensorsFile(inputs);
  const img = file.tensors.get('images')!;
  const expected = entryToFloat32('logits', file.tensors.get('logits')!);
  const got = tf.tidy(() => model.forward(tf.tensor4d(entryToFloat32('images', img), img.shape as [number, number, number, number])).dataSync());
  let worst = 0;
  got.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]))));
  assert.ok(worst < 1e-4, `logits differ by ${worst}`);
  model.dispose();
});
