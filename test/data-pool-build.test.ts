/**
 * `tpp-lab data pool build`: each pool made from a small archive written here in its original layout (a few tiny
 * JPEG or PNG images per class), checked for keys, shapes, dtypes, labels, names and pixels, byte-identical runs,
 * loading with `loadPool`, and one clear error per kind of bad archive.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import * as jpeg from 'jpeg-js';
import { listNpzKeys, readNpz, readNpzStrings } from '../src/data/formats/npz';
import { listZipEntries, bufferSource } from '../src/data/formats/zip';
import { resizeArea } from '../src/data/sets/resize';
import { convertImage } from '../src/data/sources/pool-build';
import { buildPool } from '../src/io/pool-build';
import { POOL_RECIPES } from '../src/data/sources/pool-recipes';
import { loadPool, POOLS } from '../src/io/sources/pools';
import { encodeNpz } from '../src/io/npz-write';
import { encodePng } from '../src/data/formats/png-write';
import { zip } from './fixtures/make_bad_inputs';
import { cli, tempDir } from './helpers';
import { fileSource } from '../src/io/file-source';

const dir = tempDir('tpp-lab-pool-build-');

/** A `width` x `height` JPEG of one RGB colour (quality 95). */
function solidJpeg(width: number, height: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4);
  return jpeg.encode({ data, width, height }, 95).data;
}

/** A grey `width` x `height` PNG of one value. */
function solidPng(width: number, height: number, v: number): Uint8Array {
  return encodePng({ width, height, channels: 1, data: new Uint8Array(width * height).fill(v) });
}

/** Write a zip (deflate, as the originals are) of `files` and return its path. */
function archive(name: string, files: Array<[string, Uint8Array]>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, zip(files.map(([n, data]) => ({ name: n, data }))));
  return file;
}

const PBC_CLASSES = POOL_RECIPES.pbc.classes as ReadonlyArray<{ key: string }>;
const PBC_COLOURS: Array<[number, number, number]> = [[200, 40, 40], [40, 200, 40], [40, 40, 200], [200, 200, 40], [200, 40, 200], [40, 200, 200], [120, 120, 120], [250, 250, 250]];

/** PBC's layout: `PBC_dataset_normal_DIB/<class>/*.jpg`, `perClass` images of 36x30 px per class (one colour per class). */
function pbcFiles(perClass: number, skip?: string): Array<[string, Uint8Array]> {
  const files: Array<[string, Uint8Array]> = [['__MACOSX/PBC_dataset_normal_DIB/basophil/._BA_1.jpg', Buffer.from('junk')]];
  PBC_CLASSES.forEach((c, k) => {
    if (c.key === skip) return;
    for (let i = perClass; i >= 1; i--) files.push([`PBC_dataset_normal_DIB/${c.key}/${c.key.slice(0, 2).toUpperCase()}_${i}.jpg`, solidJpeg(36, 30, PBC_COLOURS[k])]);
  });
  files.push(['PBC_dataset_normal_DIB/.DS_Store', Buffer.from('junk')]);
  return files;
}

test('resizeArea: each output pixel is the rounded mean of the area it covers; same size is the identity', () => {
  // 4x4 → 2x2: means of 2x2 blocks (0+1+4+5)/4 = 2.5 rounds half up to 3.
  const src = Uint8Array.from({ length: 16 }, (_, i) => i);
  assert.deepEqual([...resizeArea(src, 4, 4, 1, 2, 2)], [3, 5, 11, 13]);
  // 3 → 2 along a row: the middle pixel is split half and half: (2*0 + 90)/3 = 30, (90 + 2*180)/3 = 150.
  assert.deepEqual([...resizeArea(Uint8Array.from([0, 90, 180]), 1, 3, 1, 1, 2)], [30, 150]);
  // Channels stay apart; growing repeats pixels.
  assert.deepEqual([...resizeArea(Uint8Array.from([10, 200, 30, 100]), 1, 2, 2, 1, 4)], [10, 200, 10, 200, 30, 100, 30, 100]);
  const img = Uint8Array.from({ length: 64 * 64 }, (_, i) => (i * 37) % 256);
  assert.deepEqual(resizeArea(img, 64, 64, 1, 64, 64), img);
  assert.throws(() => resizeArea(img, 64, 63, 1, 8, 8), /input holds 4096 values, expected 64x63x1/);
});

test('convertImage: ITU-R 601 luma, rounded; the centred square; RGB kept for RGB packs', () => {
  const red = convertImage({ width: 1, height: 1, channels: 3, data: Uint8Array.from([255, 0, 0]) }, 1, 1);
  assert.deepEqual([...red], [76]); // 0.299 * 255 = 76.245
  const mix = convertImage({ width: 1, height: 1, channels: 3, data: Uint8Array.from([10, 20, 30]) }, 1, 1);
  assert.deepEqual([...mix], [18]); // 2.99 + 11.74 + 3.42 = 18.15
  const blue = convertImage({ width: 1, height: 1, channels: 3, data: Uint8Array.from([0, 0, 5]) }, 1, 1);
  assert.deepEqual([...blue], [1]); // 0.57 rounds up
  // A 5x3 grey image: its centred 3x3 square is columns 1-3.
  const wide = convertImage({ width: 5, height: 3, channels: 1, data: Uint8Array.from({ length: 15 }, (_, i) => i % 5) }, 3, 1);
  assert.deepEqual([...wide], [1, 2, 3, 1, 2, 3, 1, 2, 3]);
  const rgb = convertImage({ width: 2, height: 2, channels: 3, data: new Uint8Array(12).fill(9) }, 1, 3);
  assert.deepEqual([...rgb], [9, 9, 9]);
});

test('the npz writer: numpy keys and dtypes read back; stored entries, fixed timestamps, 64-byte aligned headers', () => {
  const bytes = encodeNpz([
    ['images', { dtype: 'uint8', shape: [2, 2, 2], data: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 255]) }],
    ['labels', { dtype: 'int16', shape: [2], data: Int16Array.from([1, -300]) }],
    ['class_names', { dtype: 'unicode', shape: [2], strings: ['a', 'é grade'] }],
    ['orig_size', { dtype: 'int32', shape: [2, 2], data: Int32Array.from([640, 480, 1, 70000]) }],
  ]);
  assert.deepEqual(bytes, encodeNpz([
    ['images', { dtype: 'uint8', shape: [2, 2, 2], data: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 255]) }],
    ['labels', { dtype: 'int16', shape: [2], data: Int16Array.from([1, -300]) }],
    ['class_names', { dtype: 'unicode', shape: [2], strings: ['a', 'é grade'] }],
    ['orig_size', { dtype: 'int32', shape: [2, 2], data: Int32Array.from([640, 480, 1, 70000]) }],
  ]));
  const a = readNpz(bytes, { keys: ['images', 'labels', 'orig_size'] });
  assert.equal(a.images.dtype, 'uint8');
  assert.deepEqual(a.images.shape, [2, 2, 2]);
  assert.deepEqual([...a.images.data], [0, 1, 2, 3, 4, 5, 6, 255]);
  assert.equal(a.labels.dtype, 'int16');
  assert.deepEqual([...a.labels.data], [1, -300]);
  assert.deepEqual([...a.orig_size.data], [640, 480, 1, 70000]);
  assert.deepEqual(readNpzStrings(bytes, 'class_names').strings, ['a', 'é grade']);
  const entries = listZipEntries(bufferSource(bytes));
  assert.deepEqual(entries.map((e) => [e.name, e.method]), [['images.npy', 0], ['labels.npy', 0], ['class_names.npy', 0], ['orig_size.npy', 0]]);
  for (const e of entries) {
    const local = bytes.subarray(e.localHeaderOffset, e.localHeaderOffset + 30);
    assert.equal(local.readUInt16LE(10), 0); // time 00:00
    assert.equal(local.readUInt16LE(12), 33); // date 1980-01-01
    const start = e.localHeaderOffset + 30 + e.name.length;
    assert.equal((10 + bytes.readUInt16LE(start + 8)) % 64, 0);
  }
});

test('every recipe writes the files its pool is looked up by', () => {
  for (const [name, r] of Object.entries(POOL_RECIPES)) {
    if (POOLS[name]) assert.deepEqual(r.files, POOLS[name].files, name);
  }
  assert.deepEqual(Object.keys(POOL_RECIPES), ['tinyimagenet', 'pbc', 'kermany', 'knee']);
});

test('pbc: RGB 32 px from PBC_dataset_normal_DIB/<class>/*.jpg, sorted by class and file, the same bytes twice, loadPool reads it', async () => {
  const zipFile = archive('PBC_dataset_normal_DIB.zip', pbcFiles(5));
  const outA = path.join(dir, 'pbc-a');
  const r = await buildPool('pbc', zipFile, outA);
  assert.deepEqual(r.counts, new Array(8).fill(5));
  assert.equal(r.root, '');
  const file = path.join(outA, 'pbc_blood_rgb32.npz');
  assert.deepEqual(r.files.map((f) => [f.path, f.images]), [[file, 40]]);
  assert.deepEqual(listNpzKeys(fileSource(file)), ['images', 'labels', 'class_names', 'filenames']);
  const a = readNpz(fileSource(file), { keys: ['images', 'labels'] });
  assert.equal(a.images.dtype, 'uint8');
  assert.deepEqual(a.images.shape, [40, 32, 32, 3]);
  assert.equal(a.labels.dtype, 'int16');
  assert.deepEqual([...a.labels.data], Array.from({ length: 40 }, (_, i) => Math.floor(i / 5)));
  assert.deepEqual(readNpzStrings(fileSource(file), 'class_names').strings, PBC_CLASSES.map((c) => c.key));
  const names = readNpzStrings(fileSource(file), 'filenames').strings;
  assert.deepEqual(names.slice(0, 5), [1, 2, 3, 4, 5].map((i) => `PBC_dataset_normal_DIB/basophil/BA_${i}.jpg`));
  // Each image is its class's colour (JPEG at quality 95 is within a few levels of it).
  for (let i = 0; i < 40; i++) {
    const want = PBC_COLOURS[Math.floor(i / 5)];
    for (let p = 0; p < 32 * 32 * 3; p += 97) assert.ok(Math.abs(a.images.data[i * 3072 + p] - want[p % 3]) <= 4, `image ${i} pixel ${p}`);
  }
  // Deterministic: a second run writes the same bytes.
  const outB = path.join(dir, 'pbc-b');
  await buildPool('pbc', zipFile, outB);
  assert.deepEqual(fs.readFileSync(path.join(outB, 'pbc_blood_rgb32.npz')), fs.readFileSync(file));
  // Found by name through TPP_POOLS_DIR, with the pool's classes and a stratified split.
  const saved = process.env.TPP_POOLS_DIR;
  try {
    process.env.TPP_POOLS_DIR = outA;
    const pool = loadPool('pbc');
    assert.deepEqual(pool.train.images.shape.slice(1), [32, 32, 3]);
    assert.equal(pool.train.images.shape[0] + pool.val.images.shape[0] + pool.test.images.shape[0], 40);
    assert.deepEqual(pool.train.classNames, PBC_CLASSES.map((c) => c.key));
  } finally {
    if (saved === undefined) delete process.env.TPP_POOLS_DIR;
    else process.env.TPP_POOLS_DIR = saved;
  }
});

test('kermany: grey 64 px from chest_xray/train/{NORMAL,PNEUMONIA}, bacteria and virus from the file name, orig_size kept, test/ and copies left out', async () => {
  const files: Array<[string, Uint8Array]> = [
    ['chest_xray/train/NORMAL/IM-0115-0001.jpeg', solidJpeg(40, 30, [100, 100, 100])],
    ['chest_xray/train/NORMAL/IM-0117-0001.jpeg', solidJpeg(30, 40, [60, 60, 60])],
    ['chest_xray/train/PNEUMONIA/person1_bacteria_1.jpeg', solidJpeg(48, 36, [150, 150, 150])],
    ['chest_xray/train/PNEUMONIA/person1_virus_6.jpeg', solidJpeg(20, 20, [220, 220, 220])],
    ['chest_xray/train/PNEUMONIA/person10_bacteria_2.jpeg', solidJpeg(16, 24, [30, 30, 30])],
    ['chest_xray/test/NORMAL/IM-0001-0001.jpeg', solidJpeg(8, 8, [0, 0, 0])],
    // Kaggle's re-packed copy holds the folder twice: the top one is taken.
    ['chest_xray/chest_xray/train/NORMAL/IM-0115-0001.jpeg', solidJpeg(8, 8, [0, 0, 0])],
    ['__MACOSX/chest_xray/train/NORMAL/._IM-0115-0001.jpeg', Buffer.from('junk')],
  ];
  const out = path.join(dir, 'kermany');
  const r = await buildPool('kermany', archive('ChestXRay2017.zip', files), out);
  assert.equal(r.root, 'chest_xray/');
  const file = path.join(out, 'kermany_cxr_grey64.npz');
  assert.deepEqual(listNpzKeys(fileSource(file)), ['images', 'labels', 'class_names', 'filenames', 'orig_size']);
  const a = readNpz(fileSource(file), { keys: ['images', 'labels', 'orig_size'] });
  assert.deepEqual(a.images.shape, [5, 64, 64]);
  assert.deepEqual([...a.labels.data], [0, 0, 1, 1, 2]);
  assert.deepEqual(readNpzStrings(fileSource(file), 'class_names').strings, ['normal', 'pneumonia_bacteria', 'pneumonia_virus']);
  assert.deepEqual(readNpzStrings(fileSource(file), 'filenames').strings, [
    'train/NORMAL/IM-0115-0001.jpeg', 'train/NORMAL/IM-0117-0001.jpeg',
    'train/PNEUMONIA/person10_bacteria_2.jpeg', 'train/PNEUMONIA/person1_bacteria_1.jpeg', 'train/PNEUMONIA/person1_virus_6.jpeg',
  ]);
  assert.equal(a.orig_size.dtype, 'int32');
  assert.deepEqual(a.orig_size.shape, [5, 2]);
  assert.deepEqual([...a.orig_size.data], [40, 30, 30, 40, 16, 24, 48, 36, 20, 20]);
  const mean = (i: number) => Array.from(a.images.data.subarray(i * 4096, (i + 1) * 4096)).reduce((s, v) => s + v, 0) / 4096;
  [100, 60, 30, 150, 220].forEach((v, i) => assert.ok(Math.abs(mean(i) - v) < 3, `image ${i}: mean ${mean(i)}, want ${v}`));
});

/** The knee layout: `<root>/{train,val,test}/<grade>/<subject><L|R>.png`, 224 px grey, one value per image. */
function kneeFiles(root: string, perGrade: number): Array<[string, Uint8Array]> {
  const files: Array<[string, Uint8Array]> = [];
  for (let g = 0; g < 5; g++) {
    for (let i = 0; i < perGrade; i++) {
      const split = ['train', 'val', 'test'][i % 3];
      files.push([`${root}/${split}/${g}/${9000000 + 10 * g + i}${i % 2 ? 'L' : 'R'}.png`, solidPng(224, 224, 10 * g + i)]);
    }
  }
  return files;
}

test('knee: the stratified 24.5 % sample (seed 0) of train/val/test, or --all; kneeKL224 preferred; auto_test left out', async () => {
  const files = [
    ...kneeFiles('KneeXrayData/ClsKLData/kneeKL224', 8),
    ...kneeFiles('KneeXrayData/ClsKLData/kneeKL299', 8),
    ['KneeXrayData/ClsKLData/kneeKL224/auto_test/0/9999999L.png', solidPng(224, 224, 1)] as [string, Uint8Array],
  ];
  const zipFile = archive('KneeXrayData.zip', files);
  const out = path.join(dir, 'knee');
  const r = await buildPool('knee', zipFile, out);
  assert.equal(r.root, 'KneeXrayData/ClsKLData/kneeKL224/');
  assert.deepEqual(r.counts, [2, 2, 2, 2, 2]); // round(0.245 * 8) of each grade
  const file = path.join(out, 'knee_oa_kl.npz');
  const a = readNpz(fileSource(file), { keys: ['images', 'labels'] });
  assert.deepEqual(a.images.shape, [10, 64, 64]);
  assert.deepEqual([...a.labels.data], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual(readNpzStrings(fileSource(file), 'class_names').strings, ['KL0', 'KL1', 'KL2', 'KL3', 'KL4']);
  const names = readNpzStrings(fileSource(file), 'filenames').strings;
  names.forEach((n, i) => {
    assert.match(n, new RegExp(`^(train|val|test)/${Math.floor(i / 2)}/9\\d{6}[LR]\\.png$`));
    // PNG is exact: every pixel is the value the file was written with (10 * grade + index).
    const v = Number(n.slice(-12, -5)) - 9000000;
    assert.ok(a.images.data.subarray(i * 4096, (i + 1) * 4096).every((p) => p === v), n);
  });
  // Same archive, same bytes; --all keeps all 40.
  const again = path.join(dir, 'knee-again');
  await buildPool('knee', zipFile, again);
  assert.deepEqual(fs.readFileSync(path.join(again, 'knee_oa_kl.npz')), fs.readFileSync(file));
  const all = await buildPool('knee', zipFile, path.join(dir, 'knee-all'), { all: true });
  assert.deepEqual(all.counts, [8, 8, 8, 8, 8]);
  const other = await buildPool('knee', zipFile, path.join(dir, 'knee-299'), { root: 'kneeKL299' });
  assert.equal(other.root, 'KneeXrayData/ClsKLData/kneeKL299/');
});

test('tinyimagenet: wnids.txt and words.txt name the classes, images shuffled into two halves; 200 per class or --all', async () => {
  const wnids = ['n02124075', 'n01443537', 'n09428293'];
  const files: Array<[string, Uint8Array]> = [
    ['tiny-imagenet-200/wnids.txt', Buffer.from(`${wnids.join('\n')}\n`)],
    ['tiny-imagenet-200/words.txt', Buffer.from('n00001740\tentity\nn01443537\tgoldfish, Carassius auratus\nn02124075\tEgyptian cat\nn09428293\tseashore, coast, seacoast, sea-coast\n')],
    ['tiny-imagenet-200/val/images/val_0.JPEG', solidJpeg(64, 64, [0, 0, 0])],
  ];
  wnids.forEach((w, k) => {
    for (let i = 0; i < 3; i++) {
      files.push([`tiny-imagenet-200/train/${w}/images/${w}_${i}.JPEG`, solidJpeg(64, 64, [40 * k + 50, 40 * k + 50, 40 * k + 50])]);
      files.push([`tiny-imagenet-200/train/${w}/${w}_boxes.txt`, Buffer.from('boxes')]);
    }
  });
  const zipFile = archive('tiny-imagenet-200.zip', files);
  await assert.rejects(buildPool('tinyimagenet', zipFile, path.join(dir, 'tin')), new Error(
    'tiny-imagenet-200.zip: class "n01443537 goldfish" has 3 images; the tinyimagenet pack takes 200 of each class. Pass the complete tiny-imagenet-200.zip (http://cs231n.stanford.edu/tiny-imagenet-200.zip), or --all to keep every image.',
  ));
  const out = path.join(dir, 'tin');
  const r = await buildPool('tinyimagenet', zipFile, out, { all: true });
  assert.deepEqual(r.files.map((f) => [path.basename(f.path), f.images]), [['tinyimagenet200_grey64_0.npz', 5], ['tinyimagenet200_grey64_1.npz', 4]]);
  const names = r.files.flatMap((f) => readNpzStrings(fileSource(f.path), 'filenames').strings);
  const labels = r.files.flatMap((f) => [...readNpz(fileSource(f.path), { keys: ['labels'] }).labels.data]);
  assert.deepEqual(readNpzStrings(fileSource(r.files[0].path), 'class_names').strings, ['n01443537 goldfish', 'n02124075 Egyptian cat', 'n09428293 seashore']);
  assert.deepEqual([...names].sort(), wnids.flatMap((w) => [0, 1, 2].map((i) => `tiny-imagenet-200/train/${w}/images/${w}_${i}.JPEG`)).sort());
  assert.notDeepEqual(labels, [...labels].sort()); // shuffled
  names.forEach((n, i) => assert.equal(labels[i], ['n01443537', 'n02124075', 'n09428293'].indexOf(n.split('/')[2])));
  assert.deepEqual(readNpz(fileSource(r.files[1].path), { keys: ['images'] }).images.shape, [4, 64, 64]);
  // The documented sample: 200 of each class (here of 203), shuffled, two halves.
  const small = solidJpeg(8, 8, [90, 90, 90]);
  const full: Array<[string, Uint8Array]> = [
    ['tiny-imagenet-200/wnids.txt', Buffer.from('n01443537\nn02124075\n')],
    ['tiny-imagenet-200/words.txt', Buffer.from('n01443537\tgoldfish\nn02124075\tEgyptian cat\n')],
  ];
  for (const w of ['n01443537', 'n02124075']) for (let i = 0; i < 203; i++) full.push([`tiny-imagenet-200/train/${w}/images/${w}_${i}.JPEG`, small]);
  const sampled = await buildPool('tinyimagenet', archive('tin-full.zip', full), path.join(dir, 'tin-full'));
  assert.deepEqual(sampled.counts, [200, 200]);
  assert.deepEqual(sampled.files.map((f) => f.images), [200, 200]);
  const kept = sampled.files.flatMap((f) => readNpzStrings(fileSource(f.path), 'filenames').strings);
  assert.equal(new Set(kept).size, 400);
  const firstHalf = [...readNpz(fileSource(sampled.files[0].path), { keys: ['labels'] }).labels.data];
  assert.ok(firstHalf.includes(0) && firstHalf.includes(1), 'each half mixes the classes');
});

test('bad archives: one clear error naming the file and the fix', async () => {
  const out = path.join(dir, 'bad');
  const missing = archive('no-platelet.zip', pbcFiles(1, 'platelet'));
  await assert.rejects(buildPool('pbc', missing, out), new Error(
    'no-platelet.zip: class "platelet" has no images (the layout is PBC_dataset_normal_DIB/<class>/*.jpg; looked under the top of the archive): the archive is incomplete; download PBC_dataset_normal_DIB.zip again (https://data.mendeley.com/datasets/snkd93bnjr/1).',
  ));
  const broken = pbcFiles(1).map(([n, d]): [string, Uint8Array] => [n, n.endsWith('ig/IG_1.jpg') ? d.subarray(0, 200) : d]);
  await assert.rejects(buildPool('pbc', archive('broken.zip', broken), out),
    /^Error: broken\.zip: PBC_dataset_normal_DIB\/ig\/IG_1\.jpg is not a readable image \(.+\)\. The archive is damaged: download PBC_dataset_normal_DIB\.zip again \(https:\/\/data\.mendeley\.com\/datasets\/snkd93bnjr\/1\)\.$/);
  const stray = [...pbcFiles(1), ['PBC_dataset_normal_DIB/unknown/X_1.jpg', solidJpeg(8, 8, [1, 2, 3])] as [string, Uint8Array]];
  await assert.rejects(buildPool('pbc', archive('stray.zip', stray), out), /stray\.zip: PBC_dataset_normal_DIB\/unknown\/X_1\.jpg belongs to no known class \("unknown"; the classes are basophil, .*, platelet\)\. Pass the original PBC_dataset_normal_DIB\.zip/);
  await assert.rejects(buildPool('kermany', archive('flat.zip', [['NORMAL/a.jpeg', solidJpeg(8, 8, [1, 1, 1])]]), out), new Error(
    'flat.zip: no images in the layout chest_xray/train/{NORMAL,PNEUMONIA}/*.jpeg (pneumonia images named *_bacteria_* or *_virus_*). Is this the original ChestXRay2017.zip (https://data.mendeley.com/datasets/rscbjbr9sj/2)? Pass that archive as it was downloaded, not unpacked and re-zipped.',
  ));
  const twice = [...pbcFiles(1).map(([n, d]): [string, Uint8Array] => [`a/${n}`, d]), ...pbcFiles(1).map(([n, d]): [string, Uint8Array] => [`b/a/${n}`, d])];
  const twiceZip = archive('twice.zip', twice);
  await assert.rejects(buildPool('pbc', twiceZip, out), new Error(
    'twice.zip: the layout PBC_dataset_normal_DIB/<class>/*.jpg is there under several folders: a/, b/a/. Pass --root FOLDER to choose one.',
  ));
  await assert.rejects(buildPool('pbc', twiceZip, out, { root: 'c' }), /twice\.zip: --root c matches no folder; the layout .* is under: a\/, b\/a\/\. Pass one of them\./);
  assert.equal((await buildPool('pbc', twiceZip, path.join(dir, 'bad-b'), { root: 'b/a' })).root, 'b/a/');
  assert.equal((await buildPool('pbc', twiceZip, out, { root: 'a' })).root, 'a/'); // the full path wins over b/a/
  const noWords = [['tiny-imagenet-200/wnids.txt', Buffer.from('n01443537\n')], ['tiny-imagenet-200/train/n01443537/images/n01443537_0.JPEG', solidJpeg(64, 64, [9, 9, 9])]] as Array<[string, Uint8Array]>;
  await assert.rejects(buildPool('tinyimagenet', archive('nowords.zip', noWords), out, { all: true }), new Error(
    'nowords.zip: tiny-imagenet-200/words.txt is missing (the layout is tiny-imagenet-200/train/<wnid>/images/*.JPEG, with tiny-imagenet-200/wnids.txt and words.txt): the archive is incomplete; download tiny-imagenet-200.zip again (http://cs231n.stanford.edu/tiny-imagenet-200.zip).',
  ));
  const notZip = path.join(dir, 'pbc.tar.gz');
  fs.writeFileSync(notZip, Buffer.alloc(100, 7));
  await assert.rejects(buildPool('pbc', notZip, out), new Error(
    `pbc.tar.gz cannot be read as a zip archive (${notZip}: not a zip archive or truncated (no end-of-central-directory record found).). ` +
      'Pass the original PBC_dataset_normal_DIB.zip (https://data.mendeley.com/datasets/snkd93bnjr/1) as downloaded; if the download was cut short, download it again.',
  ));
  await assert.rejects(buildPool('knee', path.join(dir, 'nothing.zip'), out), new Error(
    `${path.join(dir, 'nothing.zip')} does not exist: download KneeXrayData.zip from https://data.mendeley.com/datasets/56rmx5bjcr/1 and pass its path.`,
  ));
  assert.equal(fs.existsSync(out), true); // only the --root runs wrote
  assert.deepEqual(fs.readdirSync(out), ['pbc_blood_rgb32.npz']);
});

test('tpp-lab data pool build: the CLI writes the pack (the same bytes as in this process) and names it; usage and archive errors', async () => {
  const zipFile = archive('cli-pbc.zip', pbcFiles(2));
  const out = path.join(dir, 'cli');
  const r = cli(['data', 'pool', 'build', 'pbc', '--from', zipFile, '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.files.map((f: { path: string; images: number }) => [f.path, f.images]), [[path.join(out, 'pbc_blood_rgb32.npz'), 16]]);
  assert.deepEqual(j.counts, new Array(8).fill(2));
  // Another process, the same bytes.
  const lib = await buildPool('pbc', zipFile, path.join(dir, 'cli-lib'));
  assert.deepEqual(fs.readFileSync(lib.files[0].path), fs.readFileSync(j.files[0].path));
  const usage = cli(['data', 'pool', 'build', 'imagenet', '--from', zipFile]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /Unknown pool "imagenet"; pools that can be built: tinyimagenet, pbc, kermany, knee\./);
  const wrong = cli(['data', 'pool', 'build', 'kermany', '--from', zipFile, '--out', out]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /tpp-lab data pool build: cli-pbc\.zip: no images in the layout chest_xray\/train/);
});
