/** A folder of real DICOM files + a labels CSV becomes shared Datasets with a patient-disjoint, deterministic split. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { classCounts, Dataset, validateDataset } from '../src/data/sets/dataset';
import { loadDicomDataset, summarizeFailures } from '../src/io/dicom-dataset';
import { windowValue } from '../src/data/dicom/dicom-window';
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

  test('images, labels, the Dataset fields and the failure summary', async () => {
    const events: number[] = [];
    const r = await loadDicomDataset(dir, { labelsCsv: csv, size: 32, channels: 1, onProgress: (e) => events.push(e.done) });
    const all = r.all;
    assert.deepEqual(all.images.shape, [12, 32, 32, 1]);
    assert.ok(all.images.data instanceof Float32Array);
    assert.equal(all.images.data.length, 12 * 32 * 32);
    assert.deepEqual(all.labels.shape, [12, 1]);
    assert.equal(all.task, 'binary-class');
    assert.equal(all.source, dir);
    assert.equal(all.modality, 'CT, MR, OT, RTDOSE, US');
    assert.doesNotThrow(() => validateDataset(all));
    assert.deepEqual(all.classNames, ['normal', 'tumour']);
    const want = ROWS.slice(0, 12).map(([rel, , label]) => [rel, label]).sort();
    assert.deepEqual(all.ids!.map((f, i) => [f, all.classNames[all.labels.data[i]]]).sort(), want);
    let min = Infinity;
    let max = -Infinity;
    for (const v of all.images.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assert.ok(min >= 0 && max <= 1 && max > 0.9, `values in [0, 1], got ${min}..${max}`);
    assert.deepEqual(r.failures.map((f) => [f.file, f.code]).sort(), [
      ['p6/c.dcm', 'truncated'],
      ['p7/a.dcm', 'unsupported-transfer-syntax'],
    ]);
    assert.match(r.failures.find((f) => f.file === 'p7/a.dcm')!.reason, /1\.2\.840\.10008\.1\.2\.4\.80/);
    assert.equal(summarizeFailures(r.failures), '2 files failed: 1 truncated, 1 unsupported-transfer-syntax');
    assert.deepEqual(r.unlabeled, ['extra.dcm']);
    assert.deepEqual(r.missing, ['p6/c.dcm', 'p7/a.dcm', 'gone.dcm']);
    assert.equal(events.length, 15);
  });

  test('patient-disjoint, complete and deterministic split', async () => {
    const r = await loadDicomDataset(dir, { labelsCsv: csv, size: 16, split: { val: 0.2, test: 0.2 }, seed: 7 });
    assert.equal(r.splitBy, 'patient');
    assert.deepEqual([...new Set(r.all.groups)].sort(), ['P1', 'P2', 'P3', 'P4', 'P5', 'P6']);
    const parts: Dataset[] = [r.train, r.val, r.test];
    assert.deepEqual(parts.flatMap((p) => p.ids!).sort(), [...r.all.ids!].sort());
    assert.deepEqual(parts.map((p) => p.source), [`${dir}/train`, `${dir}/val`, `${dir}/test`]);
    for (const p of parts) {
      assert.doesNotThrow(() => validateDataset(p));
      assert.deepEqual(p.classNames, r.all.classNames);
      assert.equal(p.modality, r.all.modality);
    }
    const [tr, va, te] = parts.map((p) => new Set(p.groups));
    for (const p of tr) assert.ok(!va.has(p) && !te.has(p), `patient ${p} in two splits`);
    for (const p of va) assert.ok(!te.has(p), `patient ${p} in two splits`);
    assert.ok(r.val.images.shape[0] > 0 && r.test.images.shape[0] > 0 && r.train.images.shape[0] > 0);
    const again = await loadDicomDataset(dir, { labelsCsv: csv, size: 16, split: { val: 0.2, test: 0.2 }, seed: 7 });
    assert.deepEqual([again.train.ids, again.val.ids, again.test.ids], [r.train.ids, r.val.ids, r.test.ids]);
    assert.deepEqual(again.test.images.data, r.test.images.data);
  });

  test('3 channels, and a pixel equal to the window formula on pydicom\'s value', async () => {
    const { all } = await loadDicomDataset(dir, { labelsCsv: csv, size: 64, channels: 3 });
    const px = all.images.data;
    const i = all.ids!.indexOf('p1/a.dcm'); // MR_small, 64x64: resizing to 64 is the identity
    const e = expected('MR_small.dcm');
    const per = 64 * 64 * 3;
    for (const [k, v] of e.pixels!.samples) {
      const want = windowValue(v, { center: e.tags.windowCenter!, width: e.tags.windowWidth! });
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(px[i * per + k * 3 + c] - want) < 1e-6);
    }
    // the MONOCHROME1 copy of the same image is inverted, so both look alike
    const j = all.ids!.indexOf('p3/a.dcm');
    for (let k = 0; k < per; k += 97) assert.ok(Math.abs(px[j * per + k] - (1 - px[i * per + k])) < 1e-6);
  });

  test('patient ids from the DICOM files when the CSV has none', async () => {
    const plain = buildFolder(false);
    const { all, splitBy } = await loadDicomDataset(plain.dir, { labelsCsv: plain.csv, size: 8 });
    assert.equal(splitBy, 'patient');
    const i = all.ids!.indexOf('p1/a.dcm');
    assert.equal(all.groups![i], expected('MR_small.dcm').tags.patientId);
    // image_dfl.dcm has no Patient ID: its file path is its own group
    const j = all.ids!.indexOf('p4/a.dcm');
    assert.equal(all.groups![j], 'p4/a.dcm');
  });

  test('the labels CSV defaults to <folder>/labels.csv, with a clear error when it is missing', async () => {
    const r = await loadDicomDataset(dir, { size: 8 });
    assert.deepEqual(r.all.ids, (await loadDicomDataset(dir, { labelsCsv: csv, size: 8 })).all.ids);
    assert.deepEqual(r.unlabeled, ['extra.dcm']); // the CSV itself is not listed as a file
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-dicom-nocsv-'));
    const where = path.join(empty, 'labels.csv').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await assert.rejects(
      loadDicomDataset(empty, { size: 8 }),
      new RegExp(`^Error: No labels CSV at "${where}" \\(the default when no labelsCsv path is given\\)\\. Write one with a header row and the columns file,label \\(file path relative to the folder; or SOPInstanceUID,label\\), optionally patient_id, or pass the CSV's path as labelsCsv\\.$`),
    );
  });

  test('labels by SOP Instance UID, and clear errors for bad columns', async () => {
    const uidDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-dicom-uid-'));
    fs.copyFileSync(fixture('CT_small.dcm'), path.join(uidDir, 'ct'));
    fs.copyFileSync(fixture('MR_small.dcm'), path.join(uidDir, 'mr'));
    const uidCsv = path.join(uidDir, 'labels.csv');
    fs.writeFileSync(uidCsv, `SOPInstanceUID,label\n${expected('CT_small.dcm').tags.sopInstanceUid},1\n${expected('MR_small.dcm').tags.sopInstanceUid},0\n`);
    const { all } = await loadDicomDataset(uidDir, { labelsCsv: uidCsv, size: 8 });
    assert.deepEqual(all.ids, ['ct', 'mr']);
    assert.deepEqual(all.classNames, ['0', '1']);
    assert.deepEqual(Array.from(all.labels.data), [1, 0]);
    await assert.rejects(loadDicomDataset(uidDir, { labelsCsv: uidCsv, size: 8, labelColumn: 'diagnosis' }), /Labels CSV has no "diagnosis" column \(columns: SOPInstanceUID, label\); set labelColumn/);
    await assert.rejects(loadDicomDataset(uidDir, { labelsCsv: path.join(uidDir, 'nope.csv'), size: 8 }), /Labels CSV ".*nope.csv" does not exist/);
  });

  test('without patient ids the split is stratified by label and deterministic by seed', async () => {
    // ExplVR_BigEnd.dcm and image_dfl.dcm carry no Patient ID; 20 files labelled 0, 10 labelled 1
    const noIds = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-dicom-strat-'));
    const lines = ['file,label'];
    for (let i = 0; i < 30; i++) {
      const name = `f${String(i).padStart(2, '0')}.dcm`;
      fs.copyFileSync(fixture(i % 2 ? 'ExplVR_BigEnd.dcm' : 'image_dfl.dcm'), path.join(noIds, name));
      lines.push(`${name},${i < 20 ? 0 : 1}`);
    }
    fs.writeFileSync(path.join(noIds, 'labels.csv'), lines.join('\n') + '\n');
    const r = await loadDicomDataset(noIds, { size: 4, split: { val: 0.2, test: 0.1 }, seed: 3 });
    assert.equal(r.splitBy, 'label');
    assert.equal(r.all.groups, undefined);
    assert.deepEqual([...classCounts(r.val), ...classCounts(r.test)], [4, 2, 2, 1]);
    assert.equal(r.train.images.shape[0], 21);
    const other = await loadDicomDataset(noIds, { size: 4, split: { val: 0.2, test: 0.1 }, seed: 4 });
    assert.notDeepEqual(other.test.ids, r.test.ids);
    await assert.rejects(loadDicomDataset(noIds, { size: 4, split: { val: 0.6, test: 0.4 } }), /val \(0\.6\) and test \(0\.4\) must be ≥ 0 with val \+ test < 1/);
  });
});
