import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodePng } from '../src/data/formats/png-read';
import { binCounts } from '../src/viz/charts';
import { identityScatter, MASK_COLORS, maskStrips, overlayMasks, scoreHistogram } from '../src/viz/seg-figures';

// One 5x5 grey image (value 100) with a 3x3 square mask in the middle: 8 surface pixels around 1 interior pixel.
const image = { data: new Uint8Array(25).fill(100), shape: [1, 5, 5, 1] as const };
const square = new Uint8Array(25);
for (const y of [1, 2, 3]) for (const x of [1, 2, 3]) square[y * 5 + x] = 1;
const mask = { data: square, shape: [1, 5, 5, 1] as const };
const px = (d: ArrayLike<number>, p: number) => [d[3 * p], d[3 * p + 1], d[3 * p + 2]];

describe('segmentation figures', () => {
  test('overlayMasks draws the outline in its colour, leaves the inside and the background grey', () => {
    const out = overlayMasks(image, [{ masks: mask, color: MASK_COLORS.truth }]);
    assert.deepEqual(out.shape, [1, 5, 5, 3]);
    assert.deepEqual(px(out.data, 1 * 5 + 1), [...MASK_COLORS.truth], 'a corner of the square');
    assert.deepEqual(px(out.data, 2 * 5 + 2), [100, 100, 100], 'the interior pixel');
    assert.deepEqual(px(out.data, 0), [100, 100, 100], 'the background');
    const coloured = Array.from({ length: 25 }, (_, p) => px(out.data, p).join()).filter((v) => v === MASK_COLORS.truth.join()).length;
    assert.equal(coloured, 8);
    // A fill blends every mask pixel; a later layer is drawn on top of an earlier one.
    const filled = overlayMasks(image, [{ masks: mask, color: [200, 0, 0], style: 'fill', opacity: 0.5 }]);
    assert.deepEqual(px(filled.data, 12), [150, 50, 50]);
    const both = overlayMasks(image, [{ masks: mask, color: MASK_COLORS.truth }, { masks: mask, color: MASK_COLORS.prediction }]);
    assert.deepEqual(px(both.data, 6), [...MASK_COLORS.prediction]);
    assert.throws(() => overlayMasks(image, [{ masks: { data: new Uint8Array(16), shape: [1, 4, 4, 1] }, color: [0, 0, 0] }]), /masks \[1, 4, 4, 1\] do not match images \[1, 5, 5, 1\]/);
  });

  test('float images are drawn over their own min..max', () => {
    const f = { data: Float32Array.from({ length: 25 }, (_, i) => (i === 0 ? -1 : i === 24 ? 1 : 0)), shape: [1, 5, 5, 1] as const };
    const out = overlayMasks(f, []);
    assert.deepEqual([px(out.data, 0)[0], px(out.data, 12)[0], px(out.data, 24)[0]], [0, 128, 255]);
  });

  test('maskStrips: four panels per case (reference outline, reference, prediction, both outlines)', () => {
    const empty = { data: new Uint8Array(25), shape: [1, 5, 5, 1] as const };
    const [png] = maskStrips(image, mask, empty, [{ index: 0 }], { scale: 2, gap: 1 });
    const pic = decodePng(png);
    assert.equal(pic.width, 4 * (5 * 2 + 1) + 1);
    assert.equal(pic.height, 5 * 2 + 2);
    const at = (panel: number, x: number, y: number) => px(pic.data, (1 + y * 2) * pic.width + 1 + panel * 11 + x * 2);
    assert.deepEqual(at(0, 1, 1), [...MASK_COLORS.truth]);
    assert.deepEqual(at(1, 2, 2), [255, 255, 255], 'reference mask: white inside');
    assert.deepEqual(at(1, 0, 0), [0, 0, 0], 'reference mask: black outside');
    assert.deepEqual(at(2, 2, 2), [0, 0, 0], 'an empty prediction is all black');
    assert.deepEqual(at(3, 1, 1), [...MASK_COLORS.truth], 'no prediction outline over the reference one');
    assert.throws(() => maskStrips(image, mask, empty, [{ index: 1 }]), /case index 1 is outside 0\.\.0/);
  });

  test('scoreHistogram bins every run on the same [0, 1] bins and marks each mean', () => {
    const fig = scoreHistogram([{ name: 'a', values: [0, 0.05, 0.5, 1, NaN] }, { name: 'b', values: [0.99, 1] }], { bins: 10 });
    const [a, b] = fig.data as { x: number[]; y: number[] }[];
    assert.deepEqual(a.y, [2, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.deepEqual(b.y, [0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    assert.deepEqual(a.x, b.x);
    const shapes = (fig.layout!.shapes as { x0: number; name: string }[]);
    assert.equal(shapes[0].x0, 1.55 / 4);
    assert.equal(shapes[1].name, 'b: mean 0.995');
    assert.deepEqual(binCounts([-1, 0.2, 2], 2, [0, 1]).counts, [1, 0], 'values outside a fixed range are not counted');
    assert.throws(() => binCounts([1], 2, [1, 1]), /hi > lo/);
  });

  test('identityScatter drops non-finite points and spans the identity line over every point', () => {
    const fig = identityScatter([{ name: 'run', x: [100, 200, 300], y: [110, NaN, 250], text: ['i0', 'i1', 'i2'] }]);
    const [pts, line] = fig.data as { x: number[]; y: number[]; text?: string[]; name: string }[];
    assert.deepEqual(pts.x, [100, 300]);
    assert.deepEqual(pts.text, ['i0', 'i2']);
    assert.equal(line.name, 'identity (y = x)');
    assert.deepEqual(line.x, [100, 300]);
    assert.deepEqual(line.y, [100, 300]);
    const layout = fig.layout as { xaxis: { range: number[] }; yaxis: { range: number[] } };
    assert.deepEqual(layout.xaxis.range, [90, 310]);
    assert.deepEqual(layout.yaxis.range, layout.xaxis.range, 'both axes share one range');
    const none = identityScatter([{ name: 'empty', x: [120, 180], y: [NaN, NaN] }]).data as { x: number[]; name: string }[];
    assert.deepEqual(none[0].x, []);
    assert.deepEqual(none[1].x, [120, 180], 'the identity line spans the references when nothing was predicted');
    assert.throws(() => identityScatter([{ name: 'bad', x: [1], y: [1, 2] }]), /"bad" has 1 x values and 2 y values/);
  });
});
