/**
 * A folder of DICOM files plus a labels CSV becomes an image-classification dataset:
 * images windowed to [0, 1], resized (bilinear) and given 1 or 3 channels, channels last `[N, H, W, C]`;
 * labels as class indices; a deterministic train/val/test split (by patient when patient ids are known).
 *
 * ```ts
 * const ds = await loadDicomDataset('scans/', { labels: 'scans/labels.csv', size: 64, channels: 1 });
 * ds.shape;             // [N, 64, 64, 1]
 * ds.failures.length;   // files that could not be read, with reasons
 * ```
 */
import { createReadStream, promises as fs } from 'fs';
import * as path from 'path';
import { DicomError, DicomImage, readDicom } from './dicom';
import { resolveWindow, windowValue, WindowSpec } from './dicom-window';
import { resizeBilinear } from './resize';
import { splitIndices, SplitIndices } from './dicom-split';

/** How to build the dataset. Column names are matched exactly. */
export interface DicomDatasetOptions {
  /** Path of the labels CSV (header row required). */
  labels: string;
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
   * (0010,0020) is used. Examples that have a patient id are split by patient.
   */
  patientColumn?: string;
  /** Window for grey images (default `'file'`: the file's window, else the image's own value range). */
  window?: WindowSpec;
  /** Which frame of multi-frame files to use (default 0). */
  frame?: number;
  /** Fractions of examples for val and test (default 0.15 each); the rest is train. */
  split?: { val: number; test: number };
  /** Seed of the split (default 0). */
  seed?: number;
  /** Called after each file is read. */
  onProgress?: (event: { done: number; total: number; file: string }) => void;
}

/** A file that could not be used, and why. */
export interface DicomFailure {
  file: string;
  /** `DicomError` code (`unsupported-transfer-syntax`, `truncated`, ...) or `error`. */
  code: string;
  reason: string;
}

/**
 * The dataset. Example `i` is `images[i*H*W*C .. (i+1)*H*W*C)`, with label `classNames[labels[i]]`.
 * To be reconciled with the shared `Dataset` type of `src/data/dataset.ts`.
 */
export interface DicomDataset {
  /** `[N, H, W, C]` flattened, values in [0, 1]. */
  images: Float32Array;
  shape: [number, number, number, number];
  /** `[N]` class indices into `classNames`. */
  labels: Int32Array;
  /** Label values as found in the CSV, sorted (numerically when all are numbers). */
  classNames: string[];
  /** Paths relative to the folder, `/`-separated. */
  files: string[];
  /** Patient id per example, or null. */
  patientIds: (string | null)[];
  splits: SplitIndices;
  /** `patient` when patient ids kept patients within one split, else `label` (stratified by label). */
  splitBy: 'patient' | 'label';
  /** Files that failed to read or decode: none is dropped silently. */
  failures: DicomFailure[];
  /** Readable DICOM files that no CSV row names (not in the dataset). */
  unlabeled: string[];
  /** CSV keys (path or UID) that matched no readable file. */
  missing: string[];
}

async function listFiles(root: string): Promise<string[]> {
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

/** Window/normalise one frame to [0, 1] and give it the requested channels: `[rows, columns, channels]`. */
export function toUnitImage(img: DicomImage, frame: number, spec: WindowSpec, channels: 1 | 3): Float32Array {
  const [frames, rows, columns, spp] = img.shape;
  if (frame >= frames) throw new Error(`frame ${frame} requested but the file has ${frames} frame(s).`);
  const n = rows * columns * spp;
  const values = img.pixels.subarray(frame * n, (frame + 1) * n);
  const w =
    img.colorSpace === 'RGB' && (spec === 'file' || spec === 'auto')
      ? img.bitsAllocated === 8
        ? { center: 128, width: 256 }
        : resolveWindow('auto', img, values)
      : resolveWindow(spec, img, values);
  const pixels = rows * columns;
  const out = new Float32Array(pixels * channels);
  const invert = img.colorSpace === 'MONOCHROME1';
  for (let p = 0; p < pixels; p++) {
    if (spp === 1) {
      let v = windowValue(values[p], w);
      if (invert) v = 1 - v;
      for (let c = 0; c < channels; c++) out[p * channels + c] = v;
    } else {
      const r = windowValue(values[p * 3], w);
      const g = windowValue(values[p * 3 + 1], w);
      const b = windowValue(values[p * 3 + 2], w);
      if (channels === 3) out.set([r, g, b], p * 3);
      else out[p] = 0.299 * r + 0.587 * g + 0.114 * b;
    }
  }
  return out;
}

/**
 * Build a dataset from every file under `folder` (recursive; dot-files and the labels CSV are skipped) and the
 * labels CSV. Files that fail to read are listed in `failures` with their reason; CSV rows without a readable
 * file are listed in `missing`; DICOM files without a CSV row in `unlabeled`.
 */
export async function loadDicomDataset(folder: string, options: DicomDatasetOptions): Promise<DicomDataset> {
  const channels = options.channels ?? 1;
  const [outH, outW] = typeof options.size === 'number' ? [options.size, options.size] : options.size;
  if (!(Number.isInteger(outH) && outH > 0 && Number.isInteger(outW) && outW > 0)) throw new Error(`size must be positive integers, got ${options.size}.`);
  if (channels !== 1 && channels !== 3) throw new Error(`channels must be 1 or 3, got ${channels}.`);
  const fileColumn = options.fileColumn ?? 'file';
  const uidColumn = options.uidColumn ?? 'SOPInstanceUID';
  const labelColumn = options.labelColumn ?? 'label';
  const patientColumn = options.patientColumn ?? 'patient_id';
  const spec = options.window ?? 'file';
  const frame = options.frame ?? 0;

  const csv = await readLabelsCsv(options.labels);
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
  const csvPath = path.resolve(options.labels);
  const files = (await listFiles(root)).filter((f) => path.resolve(f) !== csvPath);
  const failures: DicomFailure[] = [];
  const unlabeled: string[] = [];
  const found = new Set<string>();
  const examples: { file: string; row: number; image: Float32Array; patient: string | null }[] = [];
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
        examples.push({ file: rel, row, image, patient: fromCsv || img.ids?.patientId || null });
      }
    } catch (e) {
      failures.push({ file: rel, code: e instanceof DicomError ? e.code : 'error', reason: (e as Error).message ?? String(e) });
    }
    options.onProgress?.({ done: i + 1, total: files.length, file: rel });
  }

  const classNames = sortClassNames([...new Set(examples.map((e) => csv[labelColumn][e.row]))]);
  const classIndex = new Map(classNames.map((c, i) => [c, i]));
  const n = examples.length;
  const per = outH * outW * channels;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  examples.forEach((e, i) => {
    images.set(e.image, i * per);
    labels[i] = classIndex.get(csv[labelColumn][e.row])!;
  });
  const patientIds = examples.map((e) => e.patient);
  const byPatient = patientIds.some((p) => p !== null);
  // an example without a patient id is its own group, so it cannot join a patient's split
  const groups = byPatient ? patientIds.map((p, i) => (p !== null ? `p:${p}` : `f:${examples[i].file}`)) : null;
  const splits = splitIndices(labels, groups, options.split ?? { val: 0.15, test: 0.15 }, options.seed ?? 0);
  return {
    images,
    shape: [n, outH, outW, channels],
    labels,
    classNames,
    files: examples.map((e) => e.file),
    patientIds,
    splits,
    splitBy: byPatient ? 'patient' : 'label',
    failures,
    unlabeled,
    missing: keys.filter((k) => !found.has(k)),
  };
}

/** One line per failure reason: `3 files failed: 2 unsupported-transfer-syntax, 1 truncated`. */
export function summarizeFailures(failures: readonly DicomFailure[]): string {
  if (failures.length === 0) return '0 files failed';
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
  const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([c, k]) => `${k} ${c}`);
  return `${failures.length} file${failures.length === 1 ? '' : 's'} failed: ${parts.join(', ')}`;
}
