import assert from 'node:assert/strict';
import * as path from 'path';
import { test } from 'node:test';
import { classCounts } from '../src/data/sets/dataset';
import { limit } from '../src/data/sets/dataset';
import { capImages } from '../src/data/sets/dataset';
import { isPoolFile, isPoolName, loadPool, poolDirs, poolPaths } from '../src/io/sources/pools';
import { needsPool, ROOT } from './helpers';

const SHARED = path.resolve(ROOT, '..', 'shared', 'pools');

test('the Kermany pool loads with its class names and a stratified 70/10/20 split that only the split seed moves', (t) => {
  if (!needsPool(t, 'kermany')) return;
  const a = loadPool('kermany');
  assert.equal(a.name, 'kermany');
  assert.deepEqual(a.train.classNames, ['normal', 'pneumonia_bacteria', 'pneumonia_virus']);
  assert.equal(a.train.task, 'multi-class');
  assert.equal(a.train.modality, 'chest X-ray');
  assert.deepEqual(a.train.images.shape.slice(1), [64, 64, 1]);
  const n = [a.train, a.val, a.test].map((d) => d.images.shape[0]);
  assert.equal(n[0] + n[1] + n[2], 5216);
  // Stratified: each class's share of the test split is its share of the pool (1341 / 2530 / 1345) within rounding.
  assert.deepEqual(classCounts(a.test), [268, 506, 269]);
  const again = loadPool('kermany', { splitSeed: 0 });
  assert.deepEqual(again.test.images.data, a.test.images.data);
  const other = loadPool('kermany', { splitSeed: 1 });
  assert.deepEqual(classCounts(other.test), classCounts(a.test));
  assert.notDeepEqual(other.test.images.data, a.test.images.data);
  // The pack is sorted by class; each part is shuffled, so its first images (--limit, a TPP cap) mix the classes.
  assert.deepEqual(classCounts(limit(a.train, 60)).map((k) => k > 0), [true, true, true]);
  assert.deepEqual(classCounts(capImages(a.train, 60)).map((k) => k > 0), [true, true, true]);
});

test('pool files are told apart from MedMNIST files by their keys', (t) => {
  assert.equal(isPoolName('tinyimagenet'), true);
  assert.equal(isPoolName('breastmnist'), false);
  if (!needsPool(t, 'pbc')) return;
  assert.equal(isPoolFile(poolPaths('pbc')[0]), true);
  assert.equal(isPoolFile(path.join(ROOT, 'data', 'breastmnist.npz')), false);
  assert.equal(isPoolFile(path.join(ROOT, 'no-such.npz')), false);
});

test('a missing pool names the file, where it looked and how to fix it', () => {
  assert.throws(() => poolPaths('nope'), /Unknown pool "nope"; known pools: tinyimagenet, pbc, kermany, knee\./);
  assert.throws(() => poolPaths('kermany', ['/nonexistent-pools']), new Error(
    'kermany_cxr_grey64.npz (pool kermany) is not in /nonexistent-pools. Put the pack in one of them or set TPP_POOLS_DIR to its folder (see docs/study.md).',
  ));
});

test('pools are looked up in $TPP_POOLS_DIR, data/pools and ../shared/pools; TPP_NO_SHARED_POOLS=1 leaves the last out', () => {
  const saved = { dir: process.env.TPP_POOLS_DIR, no: process.env.TPP_NO_SHARED_POOLS };
  try {
    process.env.TPP_POOLS_DIR = '/nonexistent-pools';
    delete process.env.TPP_NO_SHARED_POOLS;
    assert.deepEqual(poolDirs(), ['/nonexistent-pools', path.join(ROOT, 'data', 'pools'), SHARED]);
    process.env.TPP_NO_SHARED_POOLS = '1';
    assert.deepEqual(poolDirs(), ['/nonexistent-pools', path.join(ROOT, 'data', 'pools')]);
    delete process.env.TPP_POOLS_DIR;
    assert.deepEqual(poolDirs(), [path.join(ROOT, 'data', 'pools')]);
  } finally {
    for (const [k, v] of [['TPP_POOLS_DIR', saved.dir], ['TPP_NO_SHARED_POOLS', saved.no]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('the knee pool keeps its release\'s split, so no subject has knees on both sides', (t) => {
  if (!needsPool(t, 'knee')) return;
  const p = loadPool('knee', { splitSeed: 0 });
  assert.deepEqual([p.train, p.val, p.test].map((d) => d.images.shape[0]), [1410, 194, 418]);
  assert.deepEqual(p.train.classNames, ['KL0', 'KL1', 'KL2', 'KL3', 'KL4']);
  // The split seed only reorders each part: the same images, by their pixels' sums, whatever the seed.
  const sums = (d: typeof p.test) => {
    const per = d.images.shape[1] * d.images.shape[2];
    return Array.from({ length: d.images.shape[0] }, (_, i) => { let s = 0; for (let k = 0; k < per; k++) s += d.images.data[i * per + k]; return s; }).sort((a, b) => a - b);
  };
  assert.deepEqual(sums(loadPool('knee', { splitSeed: 5 }).test), sums(p.test));
});
