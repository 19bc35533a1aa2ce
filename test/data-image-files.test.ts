/** Own images as a web page receives them: files with paths, labelled by their folder, decoded and converted. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as jpeg from 'jpeg-js';
import { encodePng } from '../src/data/formats/png-write';
import { classCounts } from '../src/data/sets/dataset';
import { datasetFromImageFiles, type ImageFile } from '../src/data/sets/image-files';
import { convertImage } from '../src/data/sources/pool-build';

/** A `w` x `h` grey PNG of constant value `v`. */
function png(w: number, h: number, v: number): Uint8Array {
  return encodePng({ width: w, height: h, channels: 1, data: new Uint8Array(w * h).fill(v) });
}

/** A `w` x `h` RGB JPEG of constant colour. */
function jpg(w: number, h: number, rgb: [number, number, number]): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], 4 * i);
  return new Uint8Array(jpeg.encode({ data, width: w, height: h }, 95).data);
}

test('classes are the folder names (sorted), images decoded and converted to the backbone\'s size and channels', () => {
  const files: ImageFile[] = [
    { path: 'scans/normal/b.png', bytes: png(40, 30, 200) },
    { path: 'scans/normal/a.jpg', bytes: jpg(28, 28, [10, 200, 30]) },
    { path: 'scans/lesion/x.JPEG', bytes: jpg(64, 64, [250, 250, 250]) },
    { path: 'scans/notes.txt', bytes: new Uint8Array([1, 2]) },
    { path: 'loose.png', bytes: png(8, 8, 1) },
  ];
  const { dataset: ds, skipped } = datasetFromImageFiles(files, { size: 28, channels: 1 });
  assert.deepEqual(ds.classNames, ['lesion', 'normal']);
  assert.equal(ds.task, 'binary-class');
  assert.deepEqual(ds.images.shape, [3, 28, 28, 1]);
  assert.deepEqual(classCounts(ds), [1, 2]);
  // Within a class, files in path order: normal/a.jpg, then normal/b.png.
  assert.deepEqual(ds.ids, ['scans/lesion/x.JPEG', 'scans/normal/a.jpg', 'scans/normal/b.png']);
  const b = ds.images.data.subarray(2 * 784, 3 * 784);
  assert.ok(b.every((v) => v === 200), 'the constant PNG stays constant through the centre crop and area resize');
  const a = ds.images.data.subarray(784, 2 * 784);
  assert.deepEqual(Array.from(a), Array.from(convertImage({ width: 28, height: 28, channels: 3, data: jpeg.decode(files[1].bytes, { useTArray: true, formatAsRGBA: false }).data as Uint8Array }, 28, 1)));
  assert.deepEqual(skipped, ['scans/notes.txt (not a .png, .jpg or .jpeg file)', 'loose.png (in no class folder)']);
});

test('too few classes or images, and undecodable files, are errors that say what was found', () => {
  assert.throws(() => datasetFromImageFiles([{ path: 'a/x.png', bytes: png(4, 4, 0) }], { size: 28, channels: 1 }), /only one class \(a: 1\)\. Give one folder per class/);
  assert.throws(() => datasetFromImageFiles([], { size: 28, channels: 1 }), /no PNG or JPEG images in class folders/);
  const two = [{ path: 'a/x.png', bytes: png(4, 4, 0) }, { path: 'b/y.png', bytes: png(4, 4, 9) }];
  assert.throws(() => datasetFromImageFiles(two, { size: 28, channels: 1, minPerClass: 5 }), /at least 5 images .* a has 1, b has 1/);
  assert.throws(() => datasetFromImageFiles([...two, { path: 'b/broken.png', bytes: new Uint8Array(20) }], { size: 28, channels: 1 }), /broken\.png/);
});
