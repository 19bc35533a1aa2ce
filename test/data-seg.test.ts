import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { augmentWithMasks } from '../src/data/sets/augment';
import { batches } from '../src/data/sets/batches';
import { loadSegFolder } from '../src/io/sources/seg-folder';
import { loadSegNpz } from '../src/io/sources/seg-load';
import { resizeMasksNearest, segLabelBudget, segSplit, validateSegDataset } from '../src/data/sets/segmentation';
import { encodePng } from '../src/data/formats/png-write';
import { decodePng } from '../src/data/formats/png-read';
import { vitConfig } from '../src/model/config';
import { fitSegToBackbone } from '../src/data/sets/fit';
import { ROOT, tempDir } from './helpers';

const busi = loadSegNpz(path.join(ROOT, 'data', 'busi_64.npz'));
const hc18 = loadSegNpz(path.join(ROOT, 'data', 'hc18_64.npz'));

describe('segmentation data', () => {
  test('the bundled packs load with names, ids, image labels, pixel sizes and measurements', () => {
    assert.deepEqual(busi.images.shape, [780, 64, 64, 1]);
    assert.deepEqual(busi.masks.shape, [780, 64, 64, 1]);
    assert.deepEqual(busi.classNames, ['lesion']);
    assert.deepEqual(busi.imageLabels!.names, ['normal', 'benign', 'malignant']);
    assert.deepEqual([0, 1, 2].map((c) => busi.imageLabels!.data.filter((v) => v === c).length), [133, 437, 210]);
    assert.equal(busi.ids![0], 'normal/normal (1).png');
    assert.deepEqual(hc18.classNames, ['head']);
    assert.equal(hc18.pixelSize!.length, 2 * 999);
    assert.ok(Math.abs(hc18.measures!.head_circumference_mm[0] - 44.3) < 1e-4);
    assert.equal(hc18.ids![1], '001_HC.png');
  });

  test('splits are deterministic and stratified by image label; the budget counts images', () => {
    const a = segSplit(busi, { seed: 0 });
    const b = segSplit(busi, { seed: 0 });
    assert.deepEqual(a.test.ids, b.test.ids);
    assert.deepEqual([a.train, a.val, a.test].map((d) => d.images.shape[0]), [546, 78, 156]);
    assert.deepEqual([0, 1, 2].map((c) => a.test.imageLabels!.data.filter((v) => v === c).length), [27, 87, 42]);
    for (const n of [5, 10, 25, 50]) {
      const s = segLabelBudget(a.train, n, 3);
      assert.equal(s.images.shape[0], n);
      assert.deepEqual(s.ids, segLabelBudget(a.train, n, 3).ids);
      assert.ok([0, 1, 2].every((c) => s.imageLabels!.data.includes(c)), `budget ${n} misses a class`);
    }
    assert.equal(segLabelBudget(a.train, 10_000, 0), a.train);
    assert.throws(() => segLabelBudget(a.train, 0), /budget must be a whole number of images ≥ 1/);
    const h = segLabelBudget(segSplit(hc18).train, 10, 1);
    assert.equal(h.measures!.head_circumference_mm.length, 10);
    assert.equal(h.pixelSize!.length, 20);
  });

  test('augmentation moves a mask exactly as its image (flips and shifts)', () => {
    const n = 8;
    const [h, w] = [64, 64];
    const masks = Float32Array.from(busi.masks.data.subarray(200 * h * w, (200 + n) * h * w));
    const images = Float32Array.from(masks, (v) => v * 0.5 + 0.25); // each image pixel encodes its mask pixel
    const r = augmentWithMasks(images, [n, h, w, 1], masks, 1, { flipHorizontal: true, flipVertical: true, maxShift: 0.15 }, 7);
    assert.notDeepEqual(r.masks, masks);
    for (let i = 0; i < r.masks.length; i++) assert.equal(r.images[i], r.masks[i] * 0.5 + 0.25);
    // Through the batch pipeline too: intensity jitter on the image never touches the mask.
    for (const b of batches(busi, 16, { shuffle: true, seed: 2, augment: true })) {
      const y = b.y.dataSync();
      assert.ok(y.every((v) => v === 0 || v === 1));
      b.x.dispose();
      b.y.dispose();
      break;
    }
  });

  test('resizing to a backbone: nearest-neighbour masks, pixel sizes rescaled, a clear error without --convert', () => {
    const small = resizeMasksNearest({ data: Uint8Array.from([1, 0, 0, 1]), shape: [1, 2, 2, 1] }, 4);
    assert.deepEqual([...small.data], [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
    const cfg = vitConfig('tiny', { imageSize: 32, patchSize: 8 });
    assert.throws(() => fitSegToBackbone(hc18, cfg), /has images 64x64x1 but the backbone expects 32x32x1.*--convert/);
    const fitted = fitSegToBackbone(hc18, cfg, true);
    assert.deepEqual(fitted.masks.shape, [999, 32, 32, 1]);
    assert.ok(Math.abs(fitted.pixelSize![0] - 2 * hc18.pixelSize![0]) < 1e-6);
    assert.ok(fitted.masks.data.every((v) => v === 0 || v === 1));
  });

  test('a folder of PNG images and masks with masks.csv', async () => {
    const dir = tempDir();
    const rows = ['image,mask,label,pixel_size_mm,head_circumference_mm'];
    for (let i = 0; i < 6; i++) {
      const img = hc18.images.data.slice(i * 4096, (i + 1) * 4096) as Uint8Array;
      const mask = Uint8Array.from(hc18.masks.data.subarray(i * 4096, (i + 1) * 4096), (v) => v * 255);
      fs.writeFileSync(path.join(dir, `img${i}.png`), encodePng({ width: 64, height: 64, channels: 1, data: img }));
      fs.writeFileSync(path.join(dir, `mask${i}.png`), encodePng({ width: 64, height: 64, channels: 1, data: mask }));
      rows.push(`img${i}.png,mask${i}.png,${i % 2 ? 'b' : 'a'},0.5,${hc18.measures!.head_circumference_mm[i]}`);
    }
    fs.writeFileSync(path.join(dir, 'masks.csv'), rows.join('\n') + '\n');
    assert.deepEqual(decodePng(fs.readFileSync(path.join(dir, 'img0.png'))).data, hc18.images.data.subarray(0, 4096));
    const ds = await loadSegFolder(dir, { size: 32 });
    assert.deepEqual(ds.images.shape, [6, 32, 32, 1]);
    assert.deepEqual(ds.imageLabels!.names, ['a', 'b']);
    assert.equal(ds.pixelSize![0], 1);
    assert.deepEqual(ds.masks.data, resizeMasksNearest({ data: hc18.masks.data.slice(0, 6 * 4096), shape: [6, 64, 64, 1] }, 32).data);
    assert.ok(Math.abs(ds.measures!.head_circumference_mm[2] - hc18.measures!.head_circumference_mm[2]) < 1e-4);
  });

  test('bad masks are refused with the reason', () => {
    const bad = { ...hc18, masks: { data: hc18.masks.data.map((v) => v * 2), shape: hc18.masks.shape } };
    assert.throws(() => validateSegDataset(bad), /mask values must be 0 or 1; found 2/);
    assert.throws(() => validateSegDataset({ ...hc18, classNames: [] }), /1 mask channel\(s\) but 0 classNames/);
  });
});
