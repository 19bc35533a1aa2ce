/** concatDatasets: order, labels kept or replaced by the source, type rules and errors. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { concatDatasets } from '../src/data/sets/concat';
import { Dataset, validateDataset } from '../src/data/sets/dataset';

function toy(n: number, value: number, source: string, opts: { classNames?: string[]; float?: boolean; h?: number; ids?: boolean; modality?: string } = {}): Dataset {
  const h = opts.h ?? 2;
  const data = opts.float ? new Float32Array(n * h * h).fill(value) : new Uint8Array(n * h * h).fill(value);
  const ds: Dataset = {
    images: { data, shape: [n, h, h, 1] }, labels: { data: Int32Array.from({ length: n }, (_, i) => i % 2), shape: [n, 1] },
    task: 'binary-class', classNames: opts.classNames ?? ['no', 'yes'], source, modality: opts.modality,
  };
  if (opts.ids) ds.ids = Array.from({ length: n }, (_, i) => `${source}-${i}`);
  return validateDataset(ds);
}

describe('concatDatasets', () => {
  test('examples follow each other; labels, ids and modalities are kept', () => {
    const out = concatDatasets([toy(2, 7, 'a', { ids: true, modality: 'US' }), toy(3, 9, 'b', { ids: true, modality: 'CXR' })]);
    assert.deepEqual(out.images.shape, [5, 2, 2, 1]);
    assert.ok(out.images.data instanceof Uint8Array);
    assert.deepEqual([...out.images.data].filter((_, i) => i % 4 === 0), [7, 7, 9, 9, 9]);
    assert.deepEqual([...out.labels.data], [0, 1, 0, 1, 0]);
    assert.deepEqual(out.ids, ['a-0', 'a-1', 'b-0', 'b-1', 'b-2']);
    assert.equal(out.source, 'a + b');
    assert.equal(out.modality, 'US, CXR');
    assert.deepEqual(out.classNames, ['no', 'yes']);
  });

  test("labelMode: 'source' labels each example by its dataset, for pools with different classes", () => {
    const out = concatDatasets([toy(2, 1, 'breast', { classNames: ['m', 'b'] }), toy(1, 2, 'chest', { classNames: ['n', 'p'] })], { labelMode: 'source', source: 'pool' });
    assert.deepEqual([...out.labels.data], [0, 0, 1]);
    assert.deepEqual(out.classNames, ['breast', 'chest']);
    assert.equal(out.task, 'binary-class');
    assert.equal(out.source, 'pool');
  });

  test('mixing uint8 and float32 gives float32 in 0..1: bytes are divided by 255, as training scales them', () => {
    const out = concatDatasets([toy(1, 255, 'a'), toy(1, 1, 'b', { float: true }), toy(1, 51, 'c')]);
    assert.ok(out.images.data instanceof Float32Array);
    // A white byte pixel and a white float pixel are the same value after the join (they were 255 and 1 before).
    assert.deepEqual([out.images.data[0], out.images.data[4], out.images.data[8]], [1, 1, Math.fround(51 / 255)]);
    assert.ok(out.images.data.every((v) => v >= 0 && v <= 1));
  });

  test('different sizes, different labels and an empty list are refused with advice', () => {
    assert.throws(() => concatDatasets([toy(1, 0, 'a'), toy(1, 0, 'b', { h: 3 })]), /b has images 3x3x1, a has 2x2x1; resize them/);
    assert.throws(() => concatDatasets([toy(1, 0, 'a'), toy(1, 0, 'b', { classNames: ['x', 'y'] })]), /different labels; pass \{ labelMode: 'source' \}/);
    assert.throws(() => concatDatasets([]), /no datasets given/);
  });
});
