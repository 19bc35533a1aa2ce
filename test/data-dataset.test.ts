/** Dataset utilities: determinism, stratification, batching without leaks, normalisation, augmentation. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { Dataset, classCounts, seededShuffle, subset, validateDataset } from '../src/data/sets/dataset';
import { parseLabelBudget, split, splitIndices, subsampleLabels } from '../src/data/sets/splits';
import { batches, computeNormalization, normalize, numBatches } from '../src/data/sets/batches';
import { augment, DEFAULT_AUGMENT } from '../src/data/sets/augment';
import { mulberry32, seededPermutation } from '../src/data/sets/random';
import { loadMedMNIST } from '../src/io/sources/medmnist';

let breast: Dataset;
before(async () => {
  await initBackend({ backend: 'cpu', warn: () => {} });
  breast = await loadMedMNIST('breastmnist', { split: 'train' });
});

/** A small synthetic dataset: pixel values encode (example, position) so moves can be traced. */
function toy(n: number, k: number, opts: { h?: number; c?: number; groups?: boolean } = {}): Dataset {
  const h = opts.h ?? 4;
  const c = opts.c ?? 1;
  const data = new Uint8Array(n * h * h * c);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + Math.floor(i / (h * h * c))) % 256;
  const labels = Int32Array.from({ length: n }, (_, i) => i % k);
  const ds: Dataset = { images: { data, shape: [n, h, h, c] }, labels: { data: labels, shape: [n, 1] }, task: k === 2 ? 'binary-class' : 'multi-class', classNames: Array.from({ length: k }, (_, i) => `c${i}`), source: 'toy' };
  if (opts.groups) ds.groups = Array.from({ length: n }, (_, i) => `patient${Math.floor(i / 3)}`);
  return validateDataset(ds);
}

describe('seeded randomness', () => {
  test('mulberry32 is deterministic and uniform-ish', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  });

  test('seededShuffle: same seed same order, another seed another order, a permutation', () => {
    const s1 = seededShuffle(breast, 1);
    const s2 = seededShuffle(breast, 1);
    const s3 = seededShuffle(breast, 2);
    assert.deepEqual(s1.labels.data, s2.labels.data);
    assert.deepEqual(s1.images.data, s2.images.data);
    assert.notDeepEqual(Array.from(seededPermutation(546, 1)), Array.from(seededPermutation(546, 2)));
    assert.notDeepEqual(s1.images.data, s3.images.data);
    assert.deepEqual(classCounts(s1), classCounts(breast));
    assert.deepEqual([...seededPermutation(50, 9)].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(seededShuffle(['a', 'b', 'c', 'd'], 5), seededShuffle(['a', 'b', 'c', 'd'], 5));
  });
});

describe('splits and subsampling', () => {
  test('split is deterministic, disjoint, complete and stratified', () => {
    const ds = toy(100, 4);
    const a = splitIndices(ds, { val: 0.1, test: 0.2, seed: 3 });
    assert.deepEqual(a, splitIndices(ds, { val: 0.1, test: 0.2, seed: 3 }));
    const all = [...a.train, ...a.val, ...a.test].sort((x, y) => x - y);
    assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => i));
    const parts = split(ds, { val: 0.1, test: 0.2, seed: 3 });
    // 25 per class: round(25 * 0.2) = 5 test, round(25 * 0.1) = 3 val (rounded half up), 17 train
    assert.deepEqual(classCounts(parts.test), [5, 5, 5, 5]);
    assert.deepEqual(classCounts(parts.val), [3, 3, 3, 3]);
    assert.deepEqual(classCounts(parts.train), [17, 17, 17, 17]);
    assert.equal(parts.train.source, 'toy/train');
  });

  test('split by group keeps each patient on one side', () => {
    const ds = toy(60, 2, { groups: true });
    const parts = split(ds, { val: 0.2, test: 0.2, seed: 1 });
    const sets = [parts.train, parts.val, parts.test].map((p) => new Set(p.groups));
    for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) for (const g of sets[i]) assert.ok(!sets[j].has(g), `${g} in two splits`);
    assert.equal(parts.train.images.shape[0] + parts.val.images.shape[0] + parts.test.images.shape[0], 60);
    assert.equal(parts.test.images.shape[0], 12);
    assert.throws(() => splitIndices(toy(10, 2), { byGroup: true }), /byGroup needs ds\.groups/);
  });

  test('subsampleLabels perClass keeps exactly k of every class, deterministically', () => {
    const few = subsampleLabels(breast, { perClass: 10 }, 7);
    assert.deepEqual(classCounts(few), [10, 10]);
    assert.deepEqual(few.labels.data, subsampleLabels(breast, { perClass: 10 }, 7).labels.data);
    assert.notDeepEqual(few.images.data, subsampleLabels(breast, { perClass: 10 }, 8).images.data);
    assert.throws(() => subsampleLabels(breast, { perClass: 148 }, 0), /class 0 \(malignant\) has only 147 examples in medmnist:breastmnist@28\/train, fewer than perClass = 148; lower perClass or use \{ fraction \}\./);
  });

  test('subsampleLabels fraction is stratified per class', () => {
    const tenth = subsampleLabels(breast, { fraction: 0.1 }, 0);
    assert.deepEqual(classCounts(tenth), [Math.round(14.7), Math.round(39.9)]);
    assert.throws(() => subsampleLabels(breast, { fraction: 0 }, 0), /fraction must be in \(0, 1\]/);
  });

  test('parseLabelBudget reads K per class, a fraction, or all, and names the accepted forms otherwise', () => {
    assert.deepEqual(parseLabelBudget('10'), { perClass: 10 });
    assert.deepEqual(parseLabelBudget('0.25'), { fraction: 0.25 });
    assert.equal(parseLabelBudget('all'), undefined);
    assert.equal(parseLabelBudget(undefined), undefined);
    for (const bad of ['-3', '0', '1.5', '', 'ten']) {
      assert.throws(() => parseLabelBudget(bad), new Error(`A label budget is a whole number per class (e.g. 10), a fraction in (0, 1) (e.g. 0.1), or "all"; got "${bad}".`));
    }
  });

  test('subset copies the chosen examples', () => {
    const s = subset(breast, [5, 0]);
    const per = 28 * 28;
    assert.deepEqual(s.images.data.subarray(0, per), breast.images.data.subarray(5 * per, 6 * per));
    assert.equal(s.labels.data[1], breast.labels.data[0]);
  });
});

describe('batches', () => {
  test('shapes, label formats, coverage, and no tensor leaks', () => {
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    let count = 0;
    for (const b of batches(breast, 100, { shuffle: true, seed: 4 })) {
      assert.equal(b.x.dtype, 'float32');
      assert.equal(b.y.dtype, 'int32');
      assert.deepEqual(b.x.shape.slice(1), [28, 28, 1]);
      assert.equal(b.y.shape[0], b.x.shape[0]);
      seen.push(...b.indices);
      count++;
      tf.dispose([b.x, b.y]);
    }
    assert.equal(count, numBatches(breast, 100));
    assert.equal(count, 6);
    assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 546 }, (_, i) => i));
    assert.equal(tf.memory().numTensors, before);
    const last = [...batches(breast, 100, { dropLast: true })];
    assert.equal(last.length, 5);
    last.forEach((b) => tf.dispose([b.x, b.y]));
    assert.equal(tf.memory().numTensors, before);
  });

  test('unshuffled values are the pixels / 255 and the labels; one-hot built on the CPU', () => {
    const [b] = [...batches(breast, 3, { labelEncoding: 'onehot' })].slice(0, 1);
    const x = b.x.dataSync();
    for (let i = 0; i < 3 * 784; i++) assert.equal(x[i], Math.fround(breast.images.data[i] / 255));
    const y = b.y.arraySync() as number[][];
    assert.deepEqual(y, Array.from(breast.labels.data.subarray(0, 3), (l) => (l === 0 ? [1, 0] : [0, 1])));
    tf.dispose([b.x, b.y]);
  });

  test('the same seed gives the same batches', () => {
    const take = (seed: number) => {
      const it = batches(breast, 16, { shuffle: true, seed, augment: true });
      const b = it.next().value!;
      const out = [Array.from(b.x.dataSync()), Array.from(b.indices)];
      tf.dispose([b.x, b.y]);
      return out;
    };
    assert.deepEqual(take(5), take(5));
    assert.notDeepEqual(take(5), take(6));
  });

  test('multi-label batches are float 0/1 [B, L]', async () => {
    const ds = await loadMedMNIST(`${__dirname}/fixtures/npz/tiny_rgb_multilabel.npz`);
    const [b] = [...batches(ds, 6)];
    assert.deepEqual(b.y.shape, [6, 3]);
    assert.equal(b.y.dtype, 'float32');
    assert.deepEqual(Array.from(b.y.dataSync()), Array.from(ds.labels.data));
    assert.deepEqual(b.x.shape, [6, 4, 4, 3]);
    tf.dispose([b.x, b.y]);
  });
});

describe('normalisation and augmentation', () => {
  test('computeNormalization + normalize give mean 0 and std 1 per channel', () => {
    const norm = computeNormalization(breast);
    assert.equal(norm.mean.length, 1);
    assert.ok(norm.mean[0] > 0.1 && norm.mean[0] < 0.9);
    const z = normalize(breast, norm);
    assert.ok(z.images.data instanceof Float32Array);
    let s = 0;
    let q = 0;
    for (const v of z.images.data) (s += v), (q += v * v);
    const n = z.images.data.length;
    assert.ok(Math.abs(s / n) < 1e-4);
    assert.ok(Math.abs(Math.sqrt(q / n) - 1) < 1e-4);
    // batches with the same normalisation give the same numbers
    const [b] = [...batches(breast, 546, { normalization: norm })];
    const x = b.x.dataSync();
    for (let i = 0; i < 1000; i++) assert.ok(Math.abs(x[i] - z.images.data[i]) < 1e-5);
    tf.dispose([b.x, b.y]);
    assert.throws(() => normalize(breast, { mean: [0, 0], std: [1, 1] }), /Normalization has 2 means and 2 stds for 1-channel images\./);
  });

  test('augmentation off is the identity', () => {
    const px = Float32Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => i / 150);
    assert.equal(augment(px, [2, 5, 5, 3], false, 1), px);
    assert.equal(augment(px, [2, 5, 5, 3], {}, 1), px);
    assert.equal(augment(px, [2, 5, 5, 3], { flipHorizontal: false, maxShift: 0, brightness: 0 }, 1), px);
    const [plain] = [...batches(breast, 8, { augment: false })];
    const [none] = [...batches(breast, 8)];
    assert.deepEqual(plain.x.dataSync(), none.x.dataSync());
    tf.dispose([plain.x, plain.y, none.x, none.y]);
  });

  test('flips mirror, shifts move with edge repeat, intensity jitter is bounded and clipped', () => {
    const img = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]); // one 3x3 grey image
    // find seeds where the flip fires / does not
    const results = new Set<string>();
    for (let seed = 0; seed < 20; seed++) results.add(Array.from(augment(img, [1, 3, 3, 1], { flipHorizontal: true }, seed)).join(','));
    assert.deepEqual([...results].sort(), ['1,2,3,4,5,6,7,8,9', '3,2,1,6,5,4,9,8,7']);
    const shifted = new Set<string>();
    for (let seed = 0; seed < 40; seed++) shifted.add(Array.from(augment(img, [1, 3, 3, 1], { maxShift: 0.34 }, seed)).join(','));
    assert.ok(shifted.has('1,1,2,4,4,5,7,7,8'), 'shift right by one repeats the left edge');
    assert.ok(shifted.has('4,5,6,7,8,9,7,8,9'), 'shift up by one repeats the bottom edge');
    const bright = augment(Float32Array.from([0.5, 0.5, 0.5, 0.5]), [1, 2, 2, 1], { brightness: 0.2 }, 3);
    assert.ok(bright.every((v) => Math.abs(v - bright[0]) < 1e-7 && Math.abs(v - 0.5) <= 0.2));
    const clipped = augment(Float32Array.from([0, 1, 0, 1]), [1, 2, 2, 1], { contrast: 0.5, brightness: 0.5, clip: [0, 1] }, 9);
    assert.ok(clipped.every((v) => v >= 0 && v <= 1));
    assert.ok(DEFAULT_AUGMENT.flipHorizontal);
  });
});
