import assert from 'node:assert/strict';
import * as path from 'path';
import { test } from 'node:test';
import { classCounts } from '../src/data/sets/dataset';
import { limit } from '../src/data/sources/load';
import { capImages } from '../src/grid/plan';
import { isPoolFile, isPoolName, loadPool, poolPaths } from '../src/data/sources/pools';
import { ROOT } from './helpers';

const SHARED = path.resolve(ROOT, '..', 'shared', 'pools');

test('the Kermany pool loads with its class names and a stratified 70/10/20 split that only the split seed moves', () => {
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

test('pool files are told apart from MedMNIST files by their keys', () => {
  assert.equal(isPoolName('tinyimagenet'), true);
  assert.equal(isPoolName('breastmnist'), false);
  assert.equal(isPoolFile(path.join(SHARED, 'pbc_blood_rgb32.npz')), true);
  assert.equal(isPoolFile(path.join(ROOT, 'data', 'breastmnist.npz')), false);
  assert.equal(isPoolFile(path.join(ROOT, 'no-such.npz')), false);
});

test('a missing pool names the file, where it looked and how to fix it', () => {
  const saved = process.env.TPP_POOLS_DIR;
  try {
    process.env.TPP_POOLS_DIR = '/nonexistent-pools';
    assert.equal(poolPaths('kermany')[0], path.join(SHARED, 'kermany_cxr_grey64.npz'));
  } finally {
    if (saved === undefined) delete process.env.TPP_POOLS_DIR;
    else process.env.TPP_POOLS_DIR = saved;
  }
  assert.throws(() => poolPaths('nope'), /Unknown pool "nope"; known pools: tinyimagenet, pbc, kermany\./);
  assert.throws(() => poolPaths('kermany', ['/nonexistent-pools']), new Error(
    'kermany_cxr_grey64.npz (pool kermany) is not in /nonexistent-pools. Put the pack in one of them or set TPP_POOLS_DIR to its folder (see docs/study.md).',
  ));
});
