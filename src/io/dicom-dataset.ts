/**
 * A folder of DICOM files plus a labels CSV becomes the shared `Dataset` type (`./dataset`):
 * images windowed to [0, 1], resized (bilinear) and given 1 or 3 channels, channels last `[N, H, W, C]`;
 * labels `[N, 1]` class indices; a deterministic train/val/test split made by `split` (`./splits`), by
 * patient when patient ids are known, else stratified by label.
 *
 * ```ts
 * const { train, val, test, failures } = await loadDicomDataset('scans/', { size: 64 }); // reads scans/labels.csv
 * train.images.shape;   // [N, 64, 64, 1]
 * failures.length;      // files that could not be read, with reasons
 * ```
 */
import { createReadStream, promises as fs } from 'fs';
import * as path from 'path';
import { Dataset, validateDataset } from '../data/sets/dataset';
import { DicomError, DicomImage } from '../data/dicom/dicom';
import { readDicom } from './dicom-file';
import { DICOM_DEFAULTS, toUnitImage, WindowSpec } from '../data/dicom/dicom-window';
import { resizeBilinear } from '../data/sets/resize';
import { split, SplitDatasets } from '../data/sets/splits';
import { summarizeFailures, type DicomFailure } from '../data/dicom/dicom-load';

/** How to build the dataset. Column names are matched exactly. */
export interface DicomDatasetOptions {
  /** Path of the labels CSV (header row required). Default `<folder>/labels.csv`. */
  labelsCsv?: string;
  /** Output size: `n` for n x n, or `[height, width]`. */
  size: number | [number, number];
  /** 1 (grey; RGB is converted with luma weights 0.299/0.587/0.114) or 3 (grey is repeated). Default 1. */
  channels?: 1 | 3;
  /** CSV column with the file path relative to the folder (default `file`). */
  fileColumn?: string;
  /** CSV column with the SOP Instance UID, used when the CSV has no `fileColumn` (default `SOPInstanceUID`). */
  uidColumn?: string;
  /** CSV column with the label (default `label`). */
  labelColumn?: string;
  /**
   * CSV column with a patient id (default `patient_id`). When the CSV lacks it, the files' Patient ID
   * (0010,0020) is used. When any example has a patient id, the split keeps each patient in one part.
   */
  patientColumn?: string;
  /** Window for grey images (default `'file'`: the file's window, else the image's own value range). */
  window?: WindowSpec;
  /** Which frame of multi-frame files to use (default 0). */
  frame?: number;
  /** Fractions of examples for val and test; the rest is train. Defaults: those of `split` (val 0.1, test 0.2). */
  split?: { val?: number; test?: number };
  /** Seed of the split (default 0). */
  seed?: number;
  /** Called after each file is read. */
  onProgress?: (event: { done: number; total: number; file: string }) => void;
}


/**
 * What `loadDicomDataset` returns: the examples as shared `Dataset`s (`all`, and its `train` / `val` / `test`
 * parts from `split`), plus what the folder and the CSV did not agree on.
 *
 * In every dataset: images `[N, H, W, C]` float32 in [0, 1]; labels `[N, 1]` indices into `classNames`
 * (label values as found in the CSV, sorted, numerically when all are numbers); `task` `binary-class` for
 * 2 classes, else `multi-class`; `source` the folder (`<folder>/train`, ... for the parts); `modality` the
 * Modality tag (0008,0060) when all files agree, else the distinct values joined with `, `; `ids` the file
 * paths relative to the folder, `/`-separated; `groups` (only when some example has a patient id) the
 * patient id, or for an example without one its file path, so that it forms a group of its own.
 */
export interface DicomLoadResult extends SplitDatasets {
  /** Every labelled, readable example, in file order. */
  all: Dataset;
  /** `patient` when patient ids kept patients within one split, else `label` (stratified by label). */
  splitBy: 'patient' | 'label';
  /** Files that failed to read or decode: none is dropped silently. */
  failures: DicomFailure[];
  /** Readable DICOM files that no CSV row names (not in the dataset). */
  unlabeled: string[];
  /** CSV keys (path or UID) that matched no readable file. */
  missing: string[];
}

/**
 * Every file under `root`, recursively, skipping dot-files and dot-folders, in a stable order (names sorted by
 * code unit in each folder, depth first): the order a folder's DICOM files are read and reported in.
 */
export async function listFilesSorted(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  }
  await walk(root);
  return out;
}

function posix(rel: string): string {
  return rel.split(path.sep).join('/').replace(/\\/g, '/').replace(/^\.\//, '');
}

/** Read the CSV with danfojs (all columns as strings) into one array per column. */
export async function readLabelsCsv(file: string): Promise<Record<string, string[]>> {
  // danfojs' readCSV in Node takes a readable stream (a path would be fetched as a URL)
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const dfd = require('danfojs') as { readCSV(s: unknown, o: object): Promise<{ columns: string[]; column(c: string): { values: unknown[] } }> };
  await fs.access(file).catch(() => {
    throw new Error(`Labels CSV "${file}" does not exist. Pass the path of a CSV with a header row (e.g. file,label).`);
  });
  const df = await dfd.readCSV(createReadStream(file), { dynamicTyping: false });
  const out: Record<string, string[]> = {};
  for (const c of df.columns) out[c] = df.column(c).values.map((v) => (v === null || v === undefined ? '' : String(v).trim()));
  return out;
}

function sortClassNames(names: string[]): string[] {
  const numeric = names.every((n) => n !== '' && Number.isFinite(Number(n)));
  return numeric ? names.sort((a, b) => Number(a) - Number(b)) : names.sort();
}

/**
 * Build a dataset from every file under `folder` (recursive; dot-files and the labels CSV are skipped) and the
 * labels CSV (default `<folder>/labels.csv`). Files that fail to read are listed in `failures` with their
 * reason; CSV rows without a readable file are listed in `missing`; DICOM files without a CSV row in
 * `unlabeled`. The split is `split(all, { val, test, seed })`: by patient when patient ids are known, else
 * stratified by label.
 */
export async function loadDicomDataset(folder: string, options: DicomDatasetOptions): Promise<DicomLoadResult> {
  const channels = options.channels ?? 1;
  const [outH, outW] = typeof options.size === 'number' ? [options.size, options.size] : options.size;
  if (!(Number.isInteger(outH) && outH > 0 && Number.isInteger(outW) && outW > 0)) throw new Error(`size must be positive integers, got ${options.size}.`);
  if (channels !== 1 && channels !== 3) throw new Error(`channels must be 1 or 3, got ${channels}.`);
  const fileColumn = options.fileColumn ?? 'file';
  const uidColumn = options.uidColumn ?? 'SOPInstanceUID';
  const labelColumn = options.labelColumn ?? 'label';
  const patientColumn = options.patientColumn ?? 'patient_id';
  const spec = options.window ?? DICOM_DEFAULTS.window;
  const frame = options.frame ?? DICOM_DEFAULTS.frame;

  const labelsPath = options.labelsCsv ?? path.join(folder, 'labels.csv');
  if (options.labelsCsv === undefined) {
    await fs.access(labelsPath).catch(() => {
      throw new Error(
        `No labels CSV at "${labelsPath}" (the default when no labelsCsv path is given). Write one with a header row and ` +
          `the columns ${fileColumn},${labelColumn} (file path relative to the folder; or ${uidColumn},${labelColumn}), ` +
          `optionally ${patientColumn}, or pass the CSV's path as labelsCsv.`,
      );
    });
  }
  const csv = await readLabelsCsv(labelsPath);
  const columns = Object.keys(csv);
  if (!csv[labelColumn]) throw new Error(`Labels CSV has no "${labelColumn}" column (columns: ${columns.join(', ')}); set labelColumn.`);
  const byPath = !!csv[fileColumn];
  if (!byPath && !csv[uidColumn]) {
    throw new Error(`Labels CSV has neither a "${fileColumn}" nor a "${uidColumn}" column (columns: ${columns.join(', ')}); set fileColumn or uidColumn.`);
  }
  const keys = (byPath ? csv[fileColumn].map(posix) : csv[uidColumn]) as string[];
  const rowOf = new Map<string, number>();
  keys.forEach((k, i) => {
    if (rowOf.has(k)) throw new Error(`Labels CSV names "${k}" twice (rows ${rowOf.get(k)! + 2} and ${i + 2}).`);
    rowOf.set(k, i);
  });

  const root = path.resolve(folder);
  const csvPath = path.resolve(labelsPath);
  const files = (await listFilesSorted(root)).filter((f) => path.resolve(f) !== csvPath);
  const failures: DicomFailure[] = [];
  const unlabeled: string[] = [];
  const found = new Set<string>();
  const examples: { file: string; row: number; image: Float32Array; patient: string | null; modality: string | null }[] = [];
  for (let i = 0; i < files.length; i++) {
    const rel = posix(path.relative(root, files[i]));
    try {
      const img = await readDicom(files[i], { includeIds: true });
      const key = byPath ? rel : img.ids?.sopInstanceUid ?? '';
      const row = rowOf.get(key);
      if (row === undefined) unlabeled.push(rel);
      else {
        found.add(key);
        const unit = toUnitImage(img, frame, spec, channels);
        const image = resizeBilinear(unit, img.rows, img.columns, channels, outH, outW);
        const fromCsv = csv[patientColumn] ? csv[patientColumn][row] : '';
        examples.push({ file: rel, row, image, patient: fromCsv || img.ids?.patientId || null, modality: img.modality });
      }
    } catch (e) {
      failures.push({ file: rel, code: e instanceof DicomError ? e.code : 'error', reason: (e as Error).message ?? String(e) });
    }
    options.onProgress?.({ done: i + 1, total: files.length, file: rel });
  }

  if (examples.length === 0) throw new Error(noExamplesMessage(folder, labelsPath, keys, { byPath, fileColumn, uidColumn, failures, unlabeled }));
  const classNames = sortClassNames([...new Set(examples.map((e) => csv[labelColumn][e.row]))]);
  if (classNames.length < 2) {
    throw new Error(
      `${folder}: all ${examples.length} labelled files have the same label "${classNames[0]}" (column "${labelColumn}" of ${labelsPath}), only one class: ` +
        'a classifier needs at least two. Add files of another class to the folder and the CSV, or check that the label column is the right one.',
    );
  }
  const classIndex = new Map(classNames.map((c, i) => [c, i]));
  const n = examples.length;
  const per = outH * outW * channels;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  examples.forEach((e, i) => {
    images.set(e.image, i * per);
    labels[i] = classIndex.get(csv[labelColumn][e.row])!;
  });
  const all: Dataset = {
    images: { data: images, shape: [n, outH, outW, channels] },
    labels: { data: labels, shape: [n, 1] },
    task: classNames.length === 2 ? 'binary-class' : 'multi-class',
    classNames,
    source: folder.replace(/[\\/]+$/, '') || folder,
    ids: examples.map((e) => e.file),
  };
  const modalities = [...new Set(examples.map((e) => e.modality).filter((m): m is string => !!m))].sort();
  if (modalities.length) all.modality = modalities.join(', ');
  const byPatient = examples.some((e) => e.patient !== null);
  // an example without a patient id is its own group (its file path), so it cannot join a patient's split
  if (byPatient) all.groups = examples.map((e) => e.patient ?? e.file);
  validateDataset(all);
  const parts = split(all, { ...options.split, seed: options.seed ?? 0, byGroup: byPatient, stratify: true });
  return {
    ...parts,
    all,
    splitBy: byPatient ? 'patient' : 'label',
    failures,
    unlabeled,
    missing: keys.filter((k) => !found.has(k)),
  };
}

/** Why no example could be built: what the CSV names and what the folder holds, side by side. */
function noExamplesMessage(
  folder: string,
  labelsPath: string,
  keys: string[],
  o: { byPath: boolean; fileColumn: string; uidColumn: string; failures: DicomFailure[]; unlabeled: string[] },
): string {
  if (o.unlabeled.length === 0) {
    return `${folder}: no readable DICOM file in the folder (${summarizeFailures(o.failures)}${o.failures[0] ? `; e.g. ${o.failures[0].file}: ${o.failures[0].reason}` : ''}). Check the folder path.`;
  }
  const column = o.byPath ? o.fileColumn : o.uidColumn;
  const fix = o.byPath
    ? `The "${o.fileColumn}" column must hold each file's path relative to the folder, with / separators`
    : `The "${o.uidColumn}" column must hold each file's SOP Instance UID (0008,0018)`;
  return (
    `${folder}: none of the ${keys.length} rows of ${labelsPath} matches one of the ${o.unlabeled.length} readable files ` +
    `(column "${column}" names e.g. "${keys[0] ?? ''}"; the folder holds e.g. "${o.unlabeled[0]}"). ${fix}.`
  );
}

export { toUnitImage } from '../data/dicom/dicom-window';
export { dicomLoadIsClean, formatDicomLoad, summarizeFailures, type DicomFailure, type DicomLoadSummary } from '../data/dicom/dicom-load';
