import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initBackend, type tf } from '../src/backend';
import { loadSegData } from '../src/io/sources/seg-source';
import { numSegExamples, segSubset } from '../src/data/sets/segmentation';
import { emptyMaskBaseline, evaluateSegmentation, predictSegMasks, scoreSegMasks } from '../src/train/seg-objective';

describe('segmentation evaluation: predicted masks, scores, the empty-mask baseline', () => {
  test('the empty-mask baseline on BUSI scores Dice 1 exactly on the normal images (empty references), 0 elsewhere', async () => {
    const { test: ds } = await loadSegData('data/busi_64.npz');
    const n = numSegExamples(ds);
    const [, h, w] = ds.masks.shape;
    const emptyRef = Array.from({ length: n }, (_, i) => ds.masks.data.subarray(i * h * w, (i + 1) * h * w).every((v) => v === 0));
    const normal = ds.imageLabels!.names.indexOf('normal');
    // BUSI's normal images are exactly the ones with an empty mask (data/README.md).
    assert.deepEqual(emptyRef, Array.from(ds.imageLabels!.data, (l) => l === normal));
    const base = emptyMaskBaseline(ds);
    const empties = emptyRef.filter(Boolean).length;
    assert.ok(empties > 0 && empties < n, `the test split has normal and lesion images (${empties} of ${n} empty)`);
    assert.deepEqual(Array.from(base.perImage.dice), emptyRef.map((e) => (e ? 1 : 0)));
    assert.equal(base.dice, empties / n);
    assert.equal(base.emptyPredictions, n - empties);
    // A miss scores the image diagonal in pixels (BUSI has no pixel size).
    assert.equal(base.perImage.hd95[emptyRef.indexOf(false)], Math.hypot(w, h));
  });

  test('the reference masks score themselves perfectly; HC18 circumferences within 2 % of the reference', async () => {
    const { test: ds } = await loadSegData('data/hc18_64.npz');
    const e = scoreSegMasks(ds, ds.masks);
    assert.equal(e.dice, 1);
    assert.equal(e.iou, 1);
    assert.equal(e.hd95, 0);
    assert.equal(e.emptyPredictions, 0);
    const ref = ds.measures!.head_circumference_mm;
    const worst = Math.max(...Array.from(e.perImage.hcErrorMm!, (v, i) => v / ref[i]));
    assert.ok(worst < 0.02, `worst relative HC error ${worst}`);
    assert.equal(emptyMaskBaseline(ds).dice, 0, 'every HC18 image shows a head: an empty prediction scores 0');
    assert.throws(() => scoreSegMasks(ds, { data: new Uint8Array(10), shape: [1, 2, 5, 1] }), /predicted masks \[1, 2, 5, 1\] do not match .*hc18_64\/test's masks \[200, 64, 64, 1\]/);
  });

  test('predictSegMasks puts every image\'s mask at its index across batches; evaluateSegmentation scores those masks', async () => {
    await initBackend({ warn: () => {} });
    const { val } = await loadSegData('data/hc18_64.npz');
    const ds = segSubset(val, [0, 1, 2, 3, 4, 5, 6]);
    const [n, h, w] = ds.images.shape;
    const normalization = { mean: [0.5], std: [0.25] };
    // A real (if crude) segmenter: a pixel is foreground where the normalised image is brighter than the mean.
    const predict = (x: tf.Tensor4D) => x;
    const masks = await predictSegMasks(ds, normalization, predict, 3);
    assert.deepEqual(masks.shape, [n, h, w, 1]);
    const expected = Uint8Array.from(ds.images.data, (v) => ((v / 255 - 0.5) / 0.25 > 0 ? 1 : 0));
    assert.deepEqual(masks.data, expected);
    const e = await evaluateSegmentation(ds, normalization, predict, 3);
    assert.deepEqual(e, scoreSegMasks(ds, masks));
    assert.ok(e.dice > 0 && e.dice < 1);
  });
});
