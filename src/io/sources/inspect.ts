/**
 * What an `.npz` (a MedMNIST flag or any file) holds: per split the image and label shapes, dtypes and class
 * counts, plus the catalogue's modality, task and classes when the file is a known MedMNIST dataset.
 * Only the label arrays are decoded; image arrays are described from their headers.
 */
import * as fs from 'fs';
import { md5File } from './download';
import { resolveMedMNIST, MedMNISTLocation, SPLITS, Split } from './medmnist';
import { medmnistInfo, MedMNISTSize } from '../../data/sources/medmnist-info';
import { readNpz, readNpzInfo } from '../../data/formats/npz';
import { fileSource } from '../file-source';

/** One split of a MedMNIST-style file. */
export interface SplitReport {
  /** Number of examples. */
  n: number;
  /** Shape as stored, e.g. `[546, 28, 28]` (grey) or `[N, 28, 28, 3]` (RGB). */
  imageShape: number[];
  /** numpy dtype name, e.g. `uint8`. */
  imageDtype: string;
  labelShape: number[];
  labelDtype: string;
  /** Examples per class (multi-label: positives per class), keyed by class index as a string. */
  classCounts: Record<string, number>;
}

/** The report of `inspectNpz` (also the JSON of `tpp-lab data inspect --json`). */
export interface InspectReport {
  file: string;
  bytes: number;
  md5: string;
  /** How `md5` compares with the catalogue: `verified` (matches a verified value), `matches-unverified`,
   * `mismatch`, or `unknown` (no catalogue value, or not a MedMNIST file). */
  md5Status: 'verified' | 'matches-unverified' | 'mismatch' | 'unknown';
  flag: string | null;
  size: number | null;
  modality: string | null;
  task: string | null;
  classNames: string[] | null;
  license: string | null;
  /** Present for each split whose `<split>_images` and `<split>_labels` are in the file. */
  splits: Partial<Record<Split, SplitReport>>;
  /** Every array in the file. */
  arrays: { key: string; dtype: string; descr: string; shape: number[] }[];
}

/** Describe a MedMNIST dataset (by flag, looked up like `loadMedMNIST`) or any `.npz` file. */
export async function inspectNpz(flagOrPath: string, options: MedMNISTLocation = {}): Promise<InspectReport> {
  const where = resolveMedMNIST(flagOrPath, options);
  const info = where.flag ? medmnistInfo(where.flag) : null;
  const entries = readNpzInfo(fileSource(where.path));
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const present = SPLITS.filter((s) => byKey.has(`${s}_images`) && byKey.has(`${s}_labels`));
  const labels = readNpz(fileSource(where.path), { keys: present.map((s) => `${s}_labels`) });
  const splits: Partial<Record<Split, SplitReport>> = {};
  for (const s of present) {
    const img = byKey.get(`${s}_images`)!;
    const lab = labels[`${s}_labels`];
    const cols = lab.shape.length === 2 ? lab.shape[1] : 1;
    const counts: Record<string, number> = {};
    if (cols > 1) {
      for (let c = 0; c < cols; c++) counts[String(c)] = 0;
      lab.data.forEach((v, i) => (counts[String(i % cols)] += v));
    } else {
      for (const v of lab.data) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
    }
    const sorted = Object.fromEntries(Object.entries(counts).sort((a, b) => Number(a[0]) - Number(b[0])));
    splits[s] = { n: img.shape[0], imageShape: img.shape, imageDtype: img.dtype, labelShape: lab.shape, labelDtype: lab.dtype, classCounts: sorted };
  }
  const md5 = await md5File(where.path);
  const known = info && where.size ? info.md5[where.size as MedMNISTSize] : null;
  const md5Status: InspectReport['md5Status'] = !known?.md5 ? 'unknown' : known.md5 !== md5 ? 'mismatch' : known.verified ? 'verified' : 'matches-unverified';
  return {
    file: where.path,
    bytes: fs.statSync(where.path).size,
    md5,
    md5Status,
    flag: where.flag,
    size: where.size,
    modality: info?.modality ?? null,
    task: info?.task ?? null,
    classNames: info ? [...info.classNames] : null,
    license: info?.license ?? null,
    splits,
    arrays: entries.map((e) => ({ key: e.key, dtype: e.dtype, descr: e.descr, shape: e.shape })),
  };
}
