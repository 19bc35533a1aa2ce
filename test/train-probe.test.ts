import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initBackend } from '../src/backend';
import { knnProbe, linearProbe, pooledFeatures, type Features } from '../src/train/probe';
import { mulberry32 } from '../src/data/sets/random';
import { createViT } from '../src/model/vit';
import { vitConfig } from '../src/model/config';
import { brightness, cli } from './helpers';

/** n points per class around class centres in `dim` dimensions, with noise `noise`. */
function blobs(perClass: number, classes: number, dim: number, noise: number, seed: number): Features {
  const rand = mulberry32(seed);
  const x = new Float32Array(perClass * classes * dim);
  const labels = new Int32Array(perClass * classes);
  for (let i = 0; i < labels.length; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let j = 0; j < dim; j++) x[i * dim + j] = (j === c ? 3 : 0) + noise * (rand() - 0.5);
  }
  return { x, dim, labels, classes };
}

test('both probes separate well-separated classes and fall to chance on features that carry no label', async () => {
  await initBackend({ warn: () => {} });
  const train = blobs(30, 3, 8, 1, 1);
  const test_ = blobs(20, 3, 8, 1, 2);
  assert.equal((await linearProbe(train, test_, { steps: 200 })).accuracy, 1);
  assert.equal((await knnProbe(train, test_, { k: 5 })).accuracy, 1);
  // Labels shuffled against the features: nothing to learn, accuracy near 1/3.
  const noise = { ...test_, labels: Int32Array.from(test_.labels, (_, i) => [0, 1, 2][(i * 7 + 1) % 3]) };
  const shuffledTrain = { ...train, labels: Int32Array.from(train.labels, (_, i) => [0, 1, 2][Math.floor(i / 3) % 3]) };
  for (const m of [await linearProbe(shuffledTrain, noise, { steps: 100 }), await knnProbe(shuffledTrain, noise, { k: 5 })]) {
    assert.ok(m.accuracy < 0.6, `accuracy ${m.accuracy} on label-free features`);
  }
});

test('binary probes report an AUC, and pooled features are [N, D] in dataset order', async () => {
  await initBackend({ warn: () => {} });
  const train = blobs(20, 2, 4, 1, 3);
  const m = await linearProbe(train, blobs(10, 2, 4, 1, 4), { steps: 100 });
  assert.equal(m.auc, 1);
  const ds = brightness(6, 0);
  const vit = createViT(vitConfig('tiny', { imageSize: ds.images.shape[1], channels: ds.images.shape[3] }), { seed: 0 });
  try {
    const f = await pooledFeatures(vit, ds, { mean: [0.5], std: [0.25] }, 4);
    assert.equal(f.dim, vit.config.dim);
    assert.equal(f.x.length, 6 * vit.config.dim);
    assert.deepEqual([...f.labels], [...ds.labels.data]);
    assert.ok(f.x.every(Number.isFinite));
  } finally {
    vit.dispose();
  }
});

test('tpp-lab probe scores the bundled backbone on BreastMNIST above chance and reports both probes', () => {
  const r = cli(['probe', '--data', 'breastmnist', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(j.data, 'medmnist:breastmnist@28');
  assert.deepEqual([j.train, j.test, j.classes], [546, 156, 2]);
  // Measured 0.71 (linear) and 0.73 (kNN) AUC on 2026-11-28; chance is 0.5.
  assert.ok(j.linear_auc > 0.6 && j.knn_auc > 0.6, JSON.stringify(j));
  const bad = cli(['probe', '--json']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--data is required/);
});
