/** readDicom against values read independently by pydicom + numpy (test/fixtures/dicom/expected). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import { readDicom, readDicomTags } from '../src/io/dicom-file';
import { blockMeans, expected, fixture } from './dicom-helpers';

const EXACT = [
  'CT_small.dcm',
  'MR_small.dcm',
  'MR_small_implicit.dcm',
  'MR_small_bigendian.dcm',
  'MR_small_RLE.dcm',
  'MR_small_MONOCHROME1.dcm',
  'ExplVR_BigEnd.dcm',
  'SC_rgb_small_odd.dcm',
  'SC_rgb_rle.dcm',
  'SC_rgb_rle_16bit_2frame.dcm',
  'SC_rgb_jpeg_gdcm.dcm',
  'rtdose.dcm',
  'rtdose_expb.dcm',
  'rtdose_rle.dcm',
  'image_dfl.dcm',
];
const LOSSY = ['SC_rgb_jpeg_dcmtk.dcm', 'SC_rgb_jpeg_lossy_gdcm.dcm'];

function close(actual: number, want: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - want) <= tol, `${what}: ${actual} vs pydicom ${want} (tolerance ${tol})`);
}

async function checkTags(name: string) {
  const img = await readDicom(fixture(name));
  const e = expected(name).tags;
  assert.equal(img.modality, e.modality);
  assert.equal(img.rows, e.rows);
  assert.equal(img.columns, e.columns);
  assert.equal(img.bitsAllocated, e.bitsAllocated);
  assert.equal(img.bitsStored, e.bitsStored);
  assert.equal(img.pixelRepresentation, e.pixelRepresentation);
  assert.equal(img.photometricInterpretation, e.photometricInterpretation);
  assert.equal(img.samplesPerPixel, e.samplesPerPixel);
  assert.equal(img.planarConfiguration, e.planarConfiguration);
  assert.equal(img.numberOfFrames, e.numberOfFrames);
  assert.equal(img.transferSyntax.uid, e.transferSyntaxUid);
  assert.deepEqual(img.pixelSpacing, e.pixelSpacing);
  assert.equal(img.windowCenter, e.windowCenter);
  assert.equal(img.windowWidth, e.windowWidth);
  assert.equal(img.rescaleSlope, e.rescaleSlope);
  assert.equal(img.rescaleIntercept, e.rescaleIntercept);
  assert.equal(img.ids, undefined, 'ids only when asked');
  return img;
}

describe('readDicom matches pydicom', () => {
  for (const name of EXACT) {
    test(`${name}: tags and every checked pixel value exactly`, async () => {
      const img = await checkTags(name);
      const p = expected(name).pixels!;
      assert.deepEqual(img.shape, p.shape);
      assert.equal(img.pixels.length, p.shape.reduce((a, b) => a * b, 1));
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      let weighted = 0;
      for (let i = 0; i < img.pixels.length; i++) {
        const v = img.pixels[i];
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        weighted += v * ((i % 251) + 1);
      }
      assert.equal(min, p.min);
      assert.equal(max, p.max);
      close(sum / img.pixels.length, p.mean, 1e-9 * Math.max(1, Math.abs(p.mean)), 'mean');
      close(weighted, p.weightedSum, 1e-9 * Math.max(1, Math.abs(p.weightedSum)), 'weighted checksum');
      for (const [i, v] of p.samples) assert.equal(img.pixels[i], v, `value at flat index ${i}`);
    });
  }

  for (const name of LOSSY) {
    test(`${name}: JPEG baseline within decoder tolerance of libjpeg/GDCM`, async () => {
      const img = await checkTags(name);
      const p = expected(name).pixels!;
      assert.deepEqual(img.shape, p.shape);
      assert.equal(img.colorSpace, 'RGB');
      let sum = 0;
      for (let i = 0; i < img.pixels.length; i++) sum += img.pixels[i];
      // IDCT and chroma upsampling differ between decoders at sharp edges; block means must agree
      close(sum / img.pixels.length, p.mean, 0.5, 'mean');
      const [, rows, cols, spp] = img.shape;
      const ours = blockMeans(img.pixels, rows, cols, spp);
      for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) for (let s = 0; s < spp; s++) close(ours[i][j][s], p.blockMeans[i][j][s], 1.5, `block ${i},${j},${s}`);
    });
  }

  test('CT rescale gives float Hounsfield units; MR without rescale keeps signed 16-bit values', async () => {
    const ct = await readDicom(fixture('CT_small.dcm'));
    assert.ok(ct.pixels instanceof Float32Array);
    assert.equal(ct.rescaleIntercept, -1024);
    const mr = await readDicom(fixture('MR_small.dcm'));
    assert.ok(mr.pixels instanceof Int16Array);
    const dose = await readDicom(fixture('rtdose_expb.dcm'));
    assert.ok(dose.pixels instanceof Uint32Array);
    assert.deepEqual(dose.shape, [15, 10, 10, 1]);
  });

  test('block means agree exactly for lossless files (same definition as the fixture script)', async () => {
    for (const name of ['CT_small.dcm', 'ExplVR_BigEnd.dcm', 'SC_rgb_small_odd.dcm']) {
      const img = await readDicom(fixture(name));
      const [, rows, cols, spp] = img.shape;
      const ours = blockMeans(img.pixels, rows, cols, spp);
      const want = expected(name).pixels!.blockMeans;
      for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) for (let s = 0; s < spp; s++) close(ours[i][j][s], want[i][j][s], 1e-6, `${name} block ${i},${j}`);
    }
  });

  test('MONOCHROME1 keeps its stored values and says so', async () => {
    const m1 = await readDicom(fixture('MR_small_MONOCHROME1.dcm'));
    const m2 = await readDicom(fixture('MR_small.dcm'));
    assert.equal(m1.colorSpace, 'MONOCHROME1');
    assert.equal(m2.colorSpace, 'MONOCHROME2');
    assert.deepEqual(Array.from(m1.pixels), Array.from(m2.pixels));
  });

  test('ids only with includeIds, matching pydicom', async () => {
    const img = await readDicom(fixture('CT_small.dcm'), { includeIds: true });
    const e = expected('CT_small.dcm').tags;
    assert.equal(img.ids?.patientId, e.patientId);
    assert.equal(img.ids?.sopInstanceUid, e.sopInstanceUid);
    assert.match(img.ids?.studyInstanceUid ?? '', /^[\d.]+$/);
  });

  test('reads a Buffer and a plain Uint8Array the same as a path', async () => {
    const buf = fs.readFileSync(fixture('image_dfl.dcm'));
    const fromBuffer = await readDicom(buf);
    const fromArray = await readDicom(new Uint8Array(buf));
    const fromPath = await readDicom(fixture('image_dfl.dcm'));
    assert.deepEqual(Array.from(fromBuffer.pixels.slice(0, 4096)), Array.from(fromPath.pixels.slice(0, 4096)));
    assert.deepEqual(Array.from(fromArray.pixels.slice(-4096)), Array.from(fromPath.pixels.slice(-4096)));
  });

  test('readDicomTags reads the header of a file whose pixels are refused', async () => {
    const tags = await readDicomTags(fixture('MR_small_jpeg_ls_lossless.dcm'));
    const e = expected('MR_small_jpeg_ls_lossless.dcm').tags;
    assert.equal(tags.rows, e.rows);
    assert.equal(tags.transferSyntax.uid, '1.2.840.10008.1.2.4.80');
  });
});
