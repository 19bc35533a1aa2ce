/** A folder of real DICOM files + a labels CSV becomes a dataset with a patient-disjoint, deterministic split. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDicomDataset, summarizeFailures } from '../src/data/dicom-dataset';
import { splitIndices } from '../src/data/dicom-split';
import { windowValue } from '../src/data/dicom-window';
import { expected, fixture } from './dicom-helpers';

// 12 readable files for 6 patients (2 each), two labels, in nested folders; plus 2 broken files, a file the
// CSV does not name, and a CSV row naming no file.
const ROWS: [string, string, string, string][] = [
  // [path in the folder, fixture, label, patient]
  ['p1/a.dcm', 'MR_small.dcm', 'tumour', 'P1'],
  ['p1/b.dcm', 'MR_small_implicit.dcm', 'tumour', 'P1'],
  ['p2/a.dcm', 'MR_small_bigendian.dcm', 'tumour', 'P2'],
  ['p2/b.dcm', 'MR_small_RLE.dcm', 'tumour', 'P2'],
  ['p3/a.dcm', 'MR_small_MONOCHROME1.dcm', 'tumour', 'P3'],
  ['p3/b.dcm', 'CT_small.dcm', 'tumour', 'P3'],
  ['p4/a.dcm', 'image_dfl.dcm', 'normal', 'P4'],
  ['p4/b.dcm', 'SC_rgb_small_odd.dcm', 'normal', 'P4'],
  ['p5/a.dcm', 'ExplVR_BigEnd.dcm', 'normal', 'P5'],
  ['p5/b.dcm', 'SC_rgb_rle.dcm', 'normal', 'P5'],
  ['p6/deep/a.dcm', 'rtdose.dcm', 'normal', 'P6'],
  ['p6/deep/b.dcm', 'SC_rgb_jpeg_gdcm.dcm', 'normal', 'P6'],
  ['p6/c.dcm', 'CT_small_truncated.dcm', 'normal', 'P6'],
  ['p7/a.dcm', 'MR_small_jpeg_ls_lossless.dcm', 'tumour', 'P7'],
];

function buildFolder(withPatients: boolean): { dir: string; csv: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-dicom-ds-'));
  for (const [rel, src] of ROWS) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.copyFileSync(fixture(src), path.join(dir, rel));
  }
  fs.copyFileSync(fixture('CT_small.dcm'), path.join(dir, 'extra.dcm')); // no CSV row
  const lines = [withPatients ? 'file,label,patient_id' : 'file,label'];
  for (const [rel, , label, patient] of ROWS) lines.push(withPatients ? `${rel},${label},${patient}` : `${rel},${label}`);
  lines.push(withPatients ? 'gone.dcm,normal,P9' : 'gone.dcm,normal');
  const csv = path.join(dir, 'labels.csv');
  fs.writeFileSync(csv, lines.join('\n') + '\n');
  return { dir, csv };
}

describe('loadDicomDataset', () => {
  const { dir, csv } = buildFolder(true);

  test('images, labels and the failure summary', async () => {
    const events: number[] = [];
    const ds = await loadDicomDataset(dir, { labels: csv, size: 32, channels: 1, onProgress: (e) => events.push(e.done) });
    assert.deepEqual(ds.shape, [12, 32, 32, 1]);
    assert.equal(ds.images.length, 12 * 32 * 32);
    assert.deepEqual(ds.classNames, ['normal', 'tumour']);
    const want = ROWS.slice(0, 12).map(([rel, , label]) => [rel, label]).sort();
    assert.deepEqual(ds.files.map((f, i) => [f, ds.classNames[ds.labels[i]]]).sort(), want);
    let min = Infinity;
    let max = -Infinity;
    for (const v of ds.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assert.ok(min >= 0 && max <= 1 && max > 0.9, `values in [0, 1], got ${min}..${max}`);
    assert.deepEqual(ds.failures.map((f) => [f.file, f.code]).sort(), [
      ['p6/c.dcm', 'truncated'],
      ['p7/a.dcm', 'unsupported-transfer-syntax'],
    ]);
    assert.match(ds.failures.find((f) => f.file === 'p7/a.dcm')!.reason, /1\.2\.840\.10008\.1\.2\.4\.80/);
    assert.equal(summarizeFailures(ds.failures), '2 files failed: 1 truncated, 1 unsupported-transfer-syntax');
    assert.deepEqual(ds.unlabeled, ['extra.dcm']);
    assert.deepEqual(ds.missing, ['p6/c.dcm', 'p7/a.dcm', 'gone.dcm']);
    assert.equal(events.length, 15);
  });

  test('patient-disjoint, complete and deterministic split', async () => {
    const ds = await loadDicomDataset(dir, { labels: csv, size: 16, split: { val: 0.2, test: 0.2 }, seed: 7 });
    assert.equal(ds.splitBy, 'patient');
    const all = [...ds.splits.train, ...ds.splits.val, ...ds.splits.test].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 12 }, (_, i) => i));
    const patientsOf = (idx: number[]) => new Set(idx.map((i) => ds.patientIds[i]));
    const [tr, va, te] = [patientsOf(ds.splits.train), patientsOf(ds.splits.val), patientsOf(ds.splits.test)];
    for (const p of tr) assert.ok(!va.has(p) && !te.has(p), `patient ${p} in two splits`);
    for (const p of va) assert.ok(!te.has(p), `patient ${p} in two splits`);
    assert.ok(ds.splits.val.length > 0 && ds.splits.test.length > 0 && ds.splits.train.length > 0);
    const again = await loadDicomDataset(dir, { labels: csv, size: 16, split: { val: 0.2, test: 0.2 }, seed: 7 });
    assert.deepEqual(again.splits, ds.splits);
  });

  test('3 channels, and a pixel equal to the window formula on pydicom\'s value', async () => {
    const ds = await loadDicomDataset(dir, { labels: csv, size: 64, channels: 3 });
    const i = ds.files.indexOf('p1/a.dcm'); // MR_small, 64x64: resizing to 64 is the identity
    const e = expected('MR_small.dcm');
    const per = 64 * 64 * 3;
    for (const [k, v] of e.pixels!.samples) {
      const want = windowValue(v, { center: e.tags.windowCenter!, width: e.tags.windowWidth! });
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(ds.images[i * per + k * 3 + c] - want) < 1e-6);
    }
    // the MONOCHROME1 copy of the same image is inverted, so both look alike
    const j = ds.files.indexOf('p3/a.dcm');
    for (let k = 0; k < per; k += 97) assert.ok(Math.abs(ds.images[j * per + k] - (1 - ds.images[i * per + k])) < 1e-6);
  });

  test('patient ids from the DICOM files when the CSV has none', async () => {
    const plain = buildFolder(false);
    const ds = await loadDicomDataset(plain.dir, { labels: plain.csv, size: 8 });
    assert.equal(ds.splitBy, 'patient');
    const i = ds.files.indexOf('p1/a.dcm');
    assert.equal(ds.patientIds[i], expected('MR_small.dcm').tags.patientId);
  });

  test('labels by SOP Instance UID, and clear errors for bad columns', async () => {
    const uidDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-dicom-uid-'));
    fs.copyFileSync(fixture('CT_small.dcm'), path.join(uidDir, 'ct'));
    fs.copyFileSync(fixture('MR_small.dcm'), path.join(uidDir, 'mr'));
    const uidCsv = path.join(uidDir, 'labels.csv');
    fs.writeFileSync(uidCsv, `SOPInstanceUID,label\n${expected('CT_small.dcm').tags.sopInstanceUid},1\n${expected('MR_small.dcm').tags.sopInstanceUid},0\n`);
    const ds = await loadDicomDataset(uidDir, { labels: uidCsv, size: 8 });
    assert.deepEqual(ds.files, ['ct', 'mr']);
    assert.deepEqual(ds.classNames, ['0', '1']);
    assert.deepEqual(Array.from(ds.labels), [1, 0]);
    await assert.rejects(loadDicomDataset(uidDir, { labels: uidCsv, size: 8, labelColumn: 'diagnosis' }), /Labels CSV has no "diagnosis" column \(columns: SOPInstanceUID, label\); set labelColumn/);
    await assert.rejects(loadDicomDataset(uidDir, { labels: path.join(uidDir, 'nope.csv'), size: 8 }), /Labels CSV ".*nope.csv" does not exist/);
  });
});

describe('splitIndices', () => {
  test('stratified by label without groups', () => {
    const labels = [...Array(20).fill(0), ...Array(10).fill(1)];
    const s = splitIndices(labels, null, { val: 0.2, test: 0.1 }, 3);
    const count = (idx: number[], l: number) => idx.filter((i) => labels[i] === l).length;
    assert.deepEqual([count(s.val, 0), count(s.val, 1), count(s.test, 0), count(s.test, 1)], [4, 2, 2, 1]);
    assert.equal(s.train.length, 21);
    assert.notDeepEqual(splitIndices(labels, null, { val: 0.2, test: 0.1 }, 4), s);
    assert.throws(() => splitIndices(labels, null, { val: 0.6, test: 0.4 }, 0), /val \+ test < 1/);
  });
});
