/** Image grids (pixels and PNG files), galleries, per-class samples, tensor reading and attention maps. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'zlib';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { Dataset, validateDataset } from '../src/data/sets/dataset';
import { createViT, vitConfig } from '../src/model/index';
import { applyPeft, peftConfig } from '../src/peft/index';
import { gallery, gridPixels, imageGrid, ImageBatch, sliceImages, tensorImages } from '../src/viz/images';
import { classSamples } from '../src/viz/samples';
import { clsAttentionMaps } from '../src/viz/attention';

before(async () => {
  await initBackend({ backend: 'cpu', warn: () => {} });
});

/** Decode the PNG files our encoder writes (8-bit, filter 0 on every row, one IDAT). */
function decodePng(file: Uint8Array): { width: number; height: number; channels: number; data: Uint8Array } {
  const png = Buffer.from(file);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let pos = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('ascii', pos + 4, pos + 8);
    const body = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      channels = body[9] === 2 ? 3 : 1;
    } else if (type === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width * channels + 1)], 0, 'filter type 0');
    data.set(raw.subarray(y * (width * channels + 1) + 1, (y + 1) * (width * channels + 1)), y * width * channels);
  }
  return { width, height, channels, data };
}

/** Three 2x2 grey images: image k holds the values 10k + (0, 1, 2, 3). */
const three: ImageBatch = { data: Uint8Array.from([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]), shape: [3, 2, 2, 1] };

describe('gridPixels / imageGrid', () => {
  test('lays images out row-major with gaps, scaling and background in empty cells', () => {
    const g = gridPixels(three, { cols: 2, scale: 2, gap: 1, background: 255 });
    // 2 cells of 4 px + 3 gaps each way
    assert.equal(g.width, 11);
    assert.equal(g.height, 11);
    assert.equal(g.channels, 1);
    const at = (x: number, y: number) => g.data[y * g.width + x];
    assert.equal(at(0, 0), 255, 'outer gap');
    assert.equal(at(1, 1), 0, 'image 0, pixel (0, 0)');
    assert.equal(at(2, 2), 0, 'scaled copy of the same pixel');
    assert.equal(at(3, 1), 1, 'image 0, pixel (0, 1)');
    assert.equal(at(1, 3), 2, 'image 0, pixel (1, 0)');
    assert.equal(at(5, 1), 255, 'gap between cells');
    assert.equal(at(6, 1), 10, 'image 1 in row 0, column 1');
    assert.equal(at(1, 6), 20, 'image 2 in row 1, column 0');
    assert.equal(at(8, 8), 255, 'the empty fourth cell is background');
  });

  test('float images use the batch range by default, or each image its own, or a fixed clipped range', () => {
    const f: ImageBatch = { data: Float32Array.from([-1, 0, 1, 3]), shape: [2, 1, 2, 1] };
    const batch = gridPixels(f, { cols: 2, gap: 0 });
    assert.deepEqual([...batch.data], [0, 64, 128, 255]);
    const own = gridPixels(f, { cols: 2, gap: 0, range: 'image' });
    assert.deepEqual([...own.data], [0, 255, 0, 255]);
    const fixed = gridPixels(f, { cols: 2, gap: 0, range: [0, 1] });
    assert.deepEqual([...fixed.data], [0, 0, 255, 255]);
  });

  test('RGB images keep their channels; the PNG file decodes to the same pixels', () => {
    const rgb: ImageBatch = { data: Uint8Array.from([255, 0, 0, 0, 255, 0]), shape: [2, 1, 1, 3] };
    const g = gridPixels(rgb, { cols: 2, gap: 1, background: 0 });
    assert.equal(g.channels, 3);
    assert.deepEqual([...g.data.subarray(3 * (1 * g.width + 1), 3 * (1 * g.width + 1) + 3)], [255, 0, 0]);
    assert.deepEqual([...g.data.subarray(3 * (1 * g.width + 3), 3 * (1 * g.width + 3) + 3)], [0, 255, 0]);
    const png = decodePng(imageGrid(rgb, { cols: 2, gap: 1, background: 0 }));
    assert.deepEqual([png.width, png.height, png.channels], [5, 3, 3]);
    assert.deepEqual(png.data, g.data);
    const grey = decodePng(imageGrid(three, { cols: 3, scale: 3 }));
    assert.deepEqual([grey.width, grey.height, grey.channels], [3 * 8 + 2, 8 + 2, 1]);
  });

  test('bad input is refused with a message naming the problem', () => {
    assert.throws(() => gridPixels({ data: new Uint8Array(8), shape: [2, 2, 1, 2] }), /need 1 or 3 channels, got 2/);
    assert.throws(() => gridPixels({ data: new Uint8Array(5), shape: [1, 2, 2, 1] }), /data holds 5 values, shape \[1, 2, 2, 1\] needs 4/);
    assert.throws(() => gridPixels({ data: new Uint8Array(0), shape: [0, 2, 2, 1] }), /no images/);
  });

  test('sliceImages views a range of images', () => {
    const s = sliceImages(three, 1, 5);
    assert.deepEqual(s.shape, [2, 2, 2, 1]);
    assert.deepEqual([...s.data as Uint8Array], [10, 11, 12, 13, 20, 21, 22, 23]);
  });
});

describe('gallery', () => {
  test('one figure per item, PNGs inlined, captions escaped', () => {
    const png = imageGrid(three);
    const html = gallery([{ png, caption: 'a <b> & "c"' }, { png }], { title: 'T<1>', width: 90 });
    assert.equal(html.match(/<figure/g)?.length, 2);
    assert.equal(html.match(/src="data:image\/png;base64,/g)?.length, 2);
    assert.match(html, /a &lt;b&gt; &amp; &quot;c&quot;/);
    assert.match(html, /T&lt;1&gt;/);
    assert.match(html, /width:90px/);
    assert.ok(html.includes(Buffer.from(png).toString('base64')));
  });
});

describe('classSamples', () => {
  const ds: Dataset = validateDataset({
    images: { data: Uint8Array.from({ length: 6 }, (_, i) => i * 10), shape: [6, 1, 1, 1] },
    labels: { data: Int32Array.from([0, 1, 0, 0, 1, 0]), shape: [6, 1] },
    task: 'binary-class', classNames: ['a', 'b'], source: 'toy',
  });

  test('takes the first images of each class and says how many the class has', () => {
    const s = classSamples(ds, 2);
    assert.deepEqual(s.map((c) => [c.className, c.total, c.indices]), [['a', 4, [0, 2]], ['b', 2, [1, 4]]]);
    assert.deepEqual([...(s[1].images.data as Uint8Array)], [10, 40]);
    assert.deepEqual(s[0].images.shape, [2, 1, 1, 1]);
  });

  test('a seed picks a deterministic random sample of the right class', () => {
    const a = classSamples(ds, 3, { seed: 5 });
    assert.deepEqual(a, classSamples(ds, 3, { seed: 5 }));
    for (const i of a[0].indices) assert.equal(ds.labels.data[i], 0);
    assert.equal(a[0].indices.length, 3);
  });
});

describe('tensorImages and clsAttentionMaps', () => {
  test('tensorImages reads a [N, H, W, C] tensor and refuses other ranks', async () => {
    const t = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const b = await tensorImages(t);
    assert.deepEqual(b.shape, [1, 2, 2, 1]);
    assert.deepEqual([...b.data as Float32Array], [1, 2, 3, 4]);
    const t3 = tf.zeros([2, 2, 1]);
    await assert.rejects(tensorImages(t3), /expected a \[N, H, W, C\] tensor, got shape \[2, 2, 1\]/);
    tf.dispose([t, t3]);
  });

  test('maps[block][head] is a grid of class-token weights to patches, also with prompt tokens', async () => {
    const vit = createViT(vitConfig('tiny'), { seed: 1 });
    const x = tf.randomUniform([1, 28, 28, 1], 0, 1, 'float32', 3);
    const before = tf.memory().numTensors;
    const maps = await clsAttentionMaps(vit, x);
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    assert.deepEqual([maps.length, maps[0].length, maps[0][0].length, maps[0][0][0].length], [2, 2, 4, 4]);
    for (const head of maps.flat()) {
      const sum = head.flat().reduce((s, v) => s + v, 0);
      assert.ok(sum > 0.5 && sum < 1, `weights to patches sum below 1 (the class token takes the rest): ${sum}`);
    }
    const peft = applyPeft(vit, peftConfig('prompt', { tokens: 4, depth: 'shallow' }));
    const withPrompts = await clsAttentionMaps(peft, x.squeeze([0]));
    assert.deepEqual([withPrompts.length, withPrompts[1].length, withPrompts[1][0].length], [2, 2, 4]);
    peft.dispose();
    vit.dispose();
    x.dispose();
  });
});
