/**
 * Own images as a web page receives them: files with paths, labelled by their folder, decoded and converted. DICOM
 * files (real ones, from test/fixtures/dicom) give the pixels the CLI's DICOM folder reader gives for the same file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as jpeg from 'jpeg-js';
import { loadDicomDataset } from '../src/io/dicom-dataset';
import { encodePng } from '../src/data/formats/png-write';
import { classCounts } from '../src/data/sets/dataset';
import { datasetFromImageFiles, type ImageFile } from '../src/data/sets/image-files';
import { convertImage } from '../src/data/sources/pool-build';
import { fixture } from './dicom-helpers';
import { tempDir } from './helpers';

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

test('classes are the folder names (sorted), images decoded and converted to the backbone\'s size and channels', async () => {
  const files: ImageFile[] = [
    { path: 'scans/normal/b.png', bytes: png(40, 30, 200) },
    { path: 'scans/normal/a.jpg', bytes: jpg(28, 28, [10, 200, 30]) },
    { path: 'scans/lesion/x.JPEG', bytes: jpg(64, 64, [250, 250, 250]) },
    { path: 'scans/notes.txt', bytes: new Uint8Array([1, 2]) },
    { path: 'loose.png', bytes: png(8, 8, 1) },
  ];
  const { dataset: ds, skipped } = await datasetFromImageFiles(files, { size: 28, channels: 1 });
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
  assert.deepEqual(skipped, ['scans/notes.txt (not a .png, .jpg, .jpeg or DICOM file)', 'loose.png (in no class folder)']);
});

test('too few classes or images are errors that say what was found; undecodable files are skipped with the reason', async () => {
  await assert.rejects(datasetFromImageFiles([{ path: 'a/x.png', bytes: png(4, 4, 0) }], { size: 28, channels: 1 }), /only one class \(a: 1\)\. Give one folder per class/);
  await assert.rejects(datasetFromImageFiles([], { size: 28, channels: 1 }), /no usable PNG, JPEG or DICOM images in class folders/);
  const two = [{ path: 'a/x.png', bytes: png(4, 4, 0) }, { path: 'b/y.png', bytes: png(4, 4, 9) }];
  await assert.rejects(datasetFromImageFiles(two, { size: 28, channels: 1, minPerClass: 5 }), /at least 5 images .* a has 1, b has 1/);
  const { dataset, skipped } = await datasetFromImageFiles([...two, { path: 'b/broken.png', bytes: new Uint8Array(20) }], { size: 28, channels: 1 });
  assert.deepEqual(dataset.ids, ['a/x.png', 'b/y.png']);
  assert.equal(skipped.length, 1);
  assert.match(skipped[0], /^b\/broken\.png \(cannot be decoded: .+\)$/);
  // A class emptied by undecodable files: the error names what was skipped.
  await assert.rejects(datasetFromImageFiles([two[0], { path: 'b/broken.png', bytes: new Uint8Array(20) }], { size: 28, channels: 1 }), /only one class \(a: 1\)\. Skipped 1 file\(s\), e\.g\. b\/broken\.png \(cannot be decoded/);
});

/** A fixture's bytes (real DICOM files, see test/fixtures/dicom/README.md). */
function dcm(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(fixture(name)));
}

test('a folder mixing DICOM (by .dcm or by its preamble) and PNG: classes, shapes, pixels; broken DICOM files are listed with the reason', async () => {
  const files: ImageFile[] = [
    { path: 'scans/lesion/ct.dcm', bytes: dcm('CT_small.dcm') },
    { path: 'scans/lesion/IM0001', bytes: dcm('MR_small.dcm') }, // a series file without extension: known by "DICM" at byte 128
    { path: 'scans/lesion/cut.dcm', bytes: dcm('CT_small_truncated.dcm') },
    { path: 'scans/normal/a.png', bytes: png(50, 50, 77) },
    { path: 'scans/normal/rgb-2-frames.dcm', bytes: dcm('SC_rgb_rle_16bit_2frame.dcm') },
    { path: 'scans/normal/other.dcm', bytes: dcm('not_dicom.dcm') },
    { path: 'scans/normal/j2k.dcm', bytes: dcm('MR_small_jp2klossless.dcm') },
  ];
  const { dataset: ds, skipped } = await datasetFromImageFiles(files, { size: 32, channels: 1 });
  assert.deepEqual(ds.classNames, ['lesion', 'normal']);
  assert.deepEqual(ds.images.shape, [4, 32, 32, 1]);
  assert.deepEqual(ds.ids, ['scans/lesion/IM0001', 'scans/lesion/ct.dcm', 'scans/normal/a.png', 'scans/normal/rgb-2-frames.dcm']);
  assert.deepEqual(Array.from(ds.labels.data), [0, 0, 1, 1]);
  const img = (k: number) => ds.images.data.subarray(k * 1024, (k + 1) * 1024);
  assert.ok(img(2).every((v) => v === 77), 'the PNG keeps its value');
  for (const k of [0, 1, 3]) {
    const v = Array.from(img(k));
    assert.ok(Math.max(...v) - Math.min(...v) > 100, `${ds.ids![k]} is windowed to a wide range of grey values`);
  }
  assert.equal(skipped.length, 3);
  assert.match(skipped[0], /^scans\/lesion\/cut\.dcm \(cannot be decoded: .*truncat/i);
  assert.match(skipped[1], /^scans\/normal\/other\.dcm \(cannot be decoded: .+\)$/);
  assert.match(skipped[2], /^scans\/normal\/j2k\.dcm \(cannot be decoded: .*JPEG 2000.*\)$/);
});

/**
 * The CLI's DICOM folder reader (`loadDicomDataset`, float [0, 1]) on the fixture `name`, at its own size so that
 * neither reader resizes: the first image of a folder holding the file twice (classes a and b).
 */
async function cliPixels(name: string, side: number, channels: 1 | 3): Promise<Float32Array> {
  const dir = tempDir('tpp-lab-own-dicom-');
  for (const c of ['a', 'b']) {
    fs.mkdirSync(path.join(dir, c));
    fs.copyFileSync(fixture(name), path.join(dir, c, 'x.dcm'));
  }
  fs.writeFileSync(path.join(dir, 'labels.csv'), 'file,label\na/x.dcm,a\nb/x.dcm,b\n');
  const { all } = await loadDicomDataset(dir, { size: side, channels, split: { val: 0, test: 0 } });
  assert.deepEqual(all.ids, ['a/x.dcm', 'b/x.dcm']);
  return Float32Array.from(all.images.data.subarray(0, side * side * channels));
}

test('a DICOM file dropped in gives the pixels the CLI\'s DICOM folder reader gives (window, MONOCHROME1, deflate, RGB, first frame)', async () => {
  const cases: [string, number, (1 | 3)[]][] = [
    ['CT_small.dcm', 128, [1, 3]], // no window in the file: the frame's value range
    ['MR_small.dcm', 64, [1]], // the file's window
    ['MR_small_MONOCHROME1.dcm', 64, [1]], // inverted after windowing
    ['image_dfl.dcm', 512, [1]], // deflated data set
    ['SC_rgb_rle_16bit_2frame.dcm', 100, [3]], // 16-bit RGB, 2 frames: the first, as the CLI's --frame default
    ['rtdose.dcm', 10, [1]], // 15 frames
  ];
  for (const [name, side, chans] of cases) {
    for (const channels of chans) {
      const cli = await cliPixels(name, side, channels);
      const { dataset } = await datasetFromImageFiles([{ path: 'a/x.dcm', bytes: dcm(name) }, { path: 'b/x.dcm', bytes: dcm(name) }], { size: side, channels });
      const page = dataset.images.data.subarray(0, side * side * channels);
      assert.deepEqual(Array.from(page), Array.from(cli, (v) => Math.round(v * 255)), `${name}, ${channels} channel(s)`);
      assert.ok(new Set(page).size > 2, `${name}: more than two grey levels`);
    }
  }
});
