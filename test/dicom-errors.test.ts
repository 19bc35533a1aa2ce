/** Refusals and errors of readDicom, RLE damage, windowing presets, PNG encoding and bilinear resizing. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import { DicomError } from '../src/data/dicom/dicom';
import { readDicom } from '../src/io/dicom-file';
import { decodeRleFrame, unpackBits } from '../src/data/dicom/dicom-rle';
import { parseWindow, WINDOW_PRESETS, windowToUint8, windowValue } from '../src/data/dicom/dicom-window';
import { encodePng } from '../src/data/formats/png-write';
import { resizeBilinear } from '../src/data/sets/resize';
import { expected, fixture, readPng } from './dicom-helpers';

async function rejects(name: string | Uint8Array, code: string, pattern: RegExp) {
  await assert.rejects(readDicom(typeof name === 'string' ? fixture(name) : name), (e: unknown) => {
    assert.ok(e instanceof DicomError, `expected a DicomError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('refusals name the transfer syntax and its UID', () => {
  test('JPEG-LS', () => rejects('MR_small_jpeg_ls_lossless.dcm', 'unsupported-transfer-syntax', /JPEG-LS Lossless Image Compression \(1\.2\.840\.10008\.1\.2\.4\.80\)/));
  test('JPEG 2000', () => rejects('MR_small_jp2klossless.dcm', 'unsupported-transfer-syntax', /JPEG 2000 Image Compression \(Lossless Only\) \(1\.2\.840\.10008\.1\.2\.4\.90\)/));
  test('12-bit JPEG Extended', () => rejects('JPGExtended.dcm', 'unsupported-transfer-syntax', /JPEG Extended \(Process 2 & 4\) \(1\.2\.840\.10008\.1\.2\.4\.51\): 12-bit JPEG precision/));
  test('the refusal says how to convert', () => rejects('MR_small_jp2klossless.dcm', 'unsupported-transfer-syntax', /gdcmconv --raw/));
});

describe('broken files give clear errors, never pixels', () => {
  test('pydicom\'s truncated MR', () => rejects('MR_truncated.dcm', 'truncated', /truncated/));
  test('CT cut in its pixel data', () => rejects('CT_small_truncated.dcm', 'truncated', /truncated/));
  test('native pixel data shorter than the image', async () => {
    // cut MR_small (explicit VR LE) so the pixel data element claims fewer bytes than the image needs
    const buf = Buffer.from(fs.readFileSync(fixture('MR_small.dcm')));
    const at = buf.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
    // explicit VR OW: tag(4) VR(2) reserved(2) length(4)
    buf.writeUInt32LE(8000, at + 8);
    await rejects(new Uint8Array(buf.subarray(0, at + 12 + 8000)), 'truncated', /Pixel data holds 8000 bytes but 1 frame\(s\) of 64x64x1 at 16 bits need 8192/);
  });
  test('not DICOM', () => rejects('not_dicom.dcm', 'not-dicom', /Not a DICOM file/));
  test('empty input', () => rejects(new Uint8Array(0), 'not-dicom', /Not a DICOM file/));
  test('a damaged RLE segment is an error', () => {
    const frame = new Uint8Array(64 + 4);
    new DataView(frame.buffer).setUint32(0, 1, true);
    new DataView(frame.buffer).setUint32(4, 64, true);
    frame.set([2, 10, 20, 30], 64); // a literal run of 3 bytes, but the image has 5 pixels
    assert.throws(() => decodeRleFrame(frame, 5, 1, 1), /RLE segment decodes to 3 bytes, expected 5/);
    assert.throws(() => decodeRleFrame(frame, 3, 3, 1), /RLE frame has 1 segments, expected 3/);
  });
  test('PackBits runs decode as specified', () => {
    // literal 2 bytes, repeat 0x07 four times (257 - 253), a -128 no-op, literal 1 byte
    const src = new Uint8Array([1, 0xaa, 0xbb, 253, 7, 128, 0, 0xcc]);
    assert.deepEqual(Array.from(unpackBits(src, 0, src.length, 7)), [0xaa, 0xbb, 7, 7, 7, 7, 0xcc]);
  });
});

describe('windowing', () => {
  test('presets have the documented numbers', () => {
    assert.deepEqual(WINDOW_PRESETS, {
      lung: { center: -600, width: 1500 },
      mediastinum: { center: 50, width: 350 },
      bone: { center: 400, width: 1800 },
      brain: { center: 40, width: 80 },
    });
    assert.equal(parseWindow('lung'), 'lung');
    assert.equal(parseWindow('file'), 'file');
    assert.deepEqual(parseWindow('40,80'), { center: 40, width: 80 });
    assert.deepEqual(parseWindow('-600, 1500'), { center: -600, width: 1500 });
    assert.throws(() => parseWindow('liver'), /not one of lung, mediastinum, bone, brain, file, auto, or CENTER,WIDTH/);
  });

  test('the DICOM linear function: edges and midpoint', () => {
    const w = { center: 40, width: 80 };
    assert.equal(windowValue(0, w), 0); // <= c - 0.5 - (w-1)/2 = 0
    assert.equal(windowValue(79.5, w), 1); // > c - 0.5 + (w-1)/2 = 79
    assert.equal(windowValue(39.5, w), 0.5);
    assert.equal(windowValue(-1000, w), 0);
  });

  test('CT with the lung preset: pixels follow the formula on pydicom\'s values', async () => {
    const ct = await readDicom(fixture('CT_small.dcm'));
    const out = windowToUint8(ct, 'lung');
    assert.deepEqual(out.window, WINDOW_PRESETS.lung);
    for (const [i, hu] of expected('CT_small.dcm').pixels!.samples) {
      assert.equal(out.data[i], Math.round(windowValue(hu, WINDOW_PRESETS.lung) * 255), `pixel ${i} (HU ${hu})`);
    }
  });

  test('file window (MR 600/1600) and MONOCHROME1 inversion', async () => {
    const m2 = windowToUint8(await readDicom(fixture('MR_small.dcm')));
    const m1 = windowToUint8(await readDicom(fixture('MR_small_MONOCHROME1.dcm')));
    assert.deepEqual(m2.window, { center: 600, width: 1600 });
    for (let i = 0; i < m2.data.length; i++) assert.equal(m1.data[i], 255 - m2.data[i]);
  });

  test('no file window: the value range maps to 0..255; 8-bit RGB passes through', async () => {
    const ct = windowToUint8(await readDicom(fixture('CT_small.dcm')), 'file');
    assert.equal(Math.min(...ct.data), 0);
    assert.equal(Math.max(...ct.data), 255);
    const rgb = await readDicom(fixture('SC_rgb_small_odd.dcm'));
    assert.deepEqual(Array.from(windowToUint8(rgb).data), Array.from(rgb.pixels));
  });

  test('frames out of range are refused', async () => {
    const dose = await readDicom(fixture('rtdose.dcm'));
    assert.equal(windowToUint8(dose, 'auto', 14).data.length, 100);
    assert.throws(() => windowToUint8(dose, 'auto', 15), /Frame 15 does not exist: the image has 15 frame\(s\), numbered 0 to 14/);
  });
});

describe('PNG and resize', () => {
  test('PNG grey and RGB decode back to the same bytes', () => {
    const grey = { width: 3, height: 2, channels: 1 as const, data: new Uint8Array([0, 50, 100, 150, 200, 255]) };
    const g = readPng(encodePng(grey));
    assert.deepEqual([g.width, g.height, g.channels], [3, 2, 1]);
    assert.deepEqual(Array.from(g.data), Array.from(grey.data));
    const rgb = { width: 2, height: 1, channels: 3 as const, data: new Uint8Array([255, 0, 0, 0, 0, 255]) };
    assert.deepEqual(Array.from(readPng(encodePng(rgb)).data), [255, 0, 0, 0, 0, 255]);
    assert.throws(() => encodePng({ ...rgb, width: 3 }), /PNG data holds 6 bytes, expected 3x1x3 = 9/);
  });

  test('bilinear resize with half-pixel centres', () => {
    // 1x2 -> 1x4: samples at x = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
    assert.deepEqual(Array.from(resizeBilinear([0, 8], 1, 2, 1, 1, 4)), [0, 2, 6, 8]);
    // 2x2 -> 1x1 is the mean; same size is the identity; channels stay apart
    assert.deepEqual(Array.from(resizeBilinear([0, 4, 8, 12], 2, 2, 1, 1, 1)), [6]);
    assert.deepEqual(Array.from(resizeBilinear([1, 2, 3, 4, 5, 6], 1, 2, 3, 1, 2)), [1, 2, 3, 4, 5, 6]);
    assert.throws(() => resizeBilinear([1, 2, 3], 2, 2, 1, 1, 1), /input holds 3 values, expected 2x2x1/);
  });
});
