/** `tpp-lab dicom`, run in-process through the CLI's `main` with console output captured. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { windowValue } from '../src/data/dicom/dicom-window';
import { expected, fixture, FIXTURES, readPng } from './dicom-helpers';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-dicom-cli-'));

describe('tpp-lab dicom', () => {
  test('--json on a CT file: stable keys, tags and statistics as pydicom reads them', async () => {
    const { code, out } = await run(['dicom', fixture('CT_small.dcm'), '--json']);
    assert.equal(code, 0);
    const r = JSON.parse(out);
    const e = expected('CT_small.dcm');
    for (const key of ['modality', 'rows', 'columns', 'frames', 'transferSyntax', 'photometricInterpretation', 'bitsAllocated', 'pixel']) {
      assert.ok(key in r, `missing key ${key}`);
    }
    assert.equal(r.modality, 'CT');
    assert.equal(r.rows, 128);
    assert.equal(r.frames, 1);
    assert.deepEqual(r.transferSyntax, { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian' });
    assert.equal(r.pixel.min, e.pixels!.min);
    assert.equal(r.pixel.max, e.pixels!.max);
    assert.ok(Math.abs(r.pixel.mean - e.pixels!.mean) < 1e-9);
    assert.equal(r.ids, undefined);
    assert.equal(r.error, undefined);
  });

  test('statistics cover all frames of a multi-frame file', async () => {
    const r = JSON.parse((await run(['dicom', fixture('rtdose_rle.dcm'), '--json'])).out);
    const e = expected('rtdose_rle.dcm').pixels!;
    assert.equal(r.frames, 15);
    assert.deepEqual(r.pixel, { min: e.min, max: e.max, mean: r.pixel.mean });
    assert.ok(Math.abs(r.pixel.mean - e.mean) < 1e-6);
  });

  test('--png with a preset writes a PNG whose pixels follow the window', async () => {
    const png = path.join(tmp, 'ct.png');
    const { code, out } = await run(['dicom', fixture('CT_small.dcm'), '--json', '--png', png, '--window', 'mediastinum']);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out).png, { path: png, frame: 0, window: { center: 50, width: 350 } });
    const img = readPng(fs.readFileSync(png));
    assert.deepEqual([img.width, img.height, img.channels], [128, 128, 1]);
    for (const [i, hu] of expected('CT_small.dcm').pixels!.samples) {
      assert.equal(img.data[i], Math.round(windowValue(hu, { center: 50, width: 350 }) * 255));
    }
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-')), [], 'no temporary file left');
  });

  test('--png of an RGB file and of frame 1 of a 2-frame file', async () => {
    const png = path.join(tmp, 'rgb.png');
    assert.equal((await run(['dicom', fixture('SC_rgb_small_odd.dcm'), '--png', png])).code, 0);
    const img = readPng(fs.readFileSync(png));
    assert.deepEqual([img.width, img.height, img.channels], [3, 3, 3]);
    const e = expected('SC_rgb_small_odd.dcm').pixels!;
    for (const [i, v] of e.samples) assert.equal(img.data[i], v);
    const two = path.join(tmp, 'two.png');
    const r = await run(['dicom', fixture('SC_rgb_rle_16bit_2frame.dcm'), '--png', two, '--frame', '1', '--window', 'auto']);
    assert.equal(r.code, 0);
    assert.deepEqual(readPng(fs.readFileSync(two)).channels, 3);
  });

  test('undecodable pixel data exits 1 naming the transfer syntax and UID; tags still in the JSON', async () => {
    const { code, out, err } = await run(['dicom', fixture('MR_small_jpeg_ls_lossless.dcm'), '--json']);
    assert.equal(code, 1);
    assert.match(err, /JPEG-LS Lossless Image Compression \(1\.2\.840\.10008\.1\.2\.4\.80\)/);
    const r = JSON.parse(out);
    assert.equal(r.rows, 64);
    assert.equal(r.pixel, null);
    assert.equal(r.error.code, 'unsupported-transfer-syntax');
  });

  test('a truncated file exits 1 with a clear message', async () => {
    const { code, err } = await run(['dicom', fixture('CT_small_truncated.dcm')]);
    assert.equal(code, 1);
    assert.match(err, /truncated/);
  });

  test('--ids adds identifiers', async () => {
    const r = JSON.parse((await run(['dicom', fixture('MR_small.dcm'), '--json', '--ids'])).out);
    assert.equal(r.ids.patientId, expected('MR_small.dcm').tags.patientId);
  });

  test('a folder: one line per file and a summary; exit 1 because some DICOM files fail', async () => {
    const { code, out } = await run(['dicom', FIXTURES]);
    assert.equal(code, 1);
    const dcm = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.dcm'));
    for (const f of dcm) assert.match(out, new RegExp(`^${f.replace(/[.+]/g, '\\$&')}  `, 'm'));
    assert.match(out, /files: 17 read, 5 failed \(2 truncated, 3 unsupported-transfer-syntax\), \d+ not DICOM$/m);
  });

  test('bad usage exits 2', async () => {
    assert.equal((await run(['dicom', fixture('CT_small.dcm'), '--window', 'liver'])).code, 2);
    assert.equal((await run(['dicom', FIXTURES, '--png', path.join(tmp, 'x.png')])).code, 2);
    assert.equal((await run(['dicom', fixture('CT_small.dcm'), '--png', path.join(tmp, 'x.png'), '--frame', '3'])).code, 2);
    assert.equal((await run(['dicom'])).code, 2);
  });
});
