/**
 * MedMNIST `.npz` contents as `Dataset`s, from a byte source: the part of loading that needs no file system, so a
 * web page builds from fetched bytes the same datasets `loadMedMNISTSplits` (medmnist.ts) builds from a file.
 */
import { Dataset, PixelData, Task, validateDataset } from '../sets/dataset';
import { NpyArray } from '../formats/npy';
import { readNpz, readNpzHead, readNpzInfo } from '../formats/npz';
import { bufferSource, type ByteSource } from '../formats/zip';
import { MedMNISTFlag, MedMNISTInfo, MedMNISTSize, medmnistFileName, medmnistInfo } from './medmnist-info';

/** The official splits. */
export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** A MedMNIST split: a `Dataset` plus what is known about where it came from. */
export interface MedMNISTDataset extends Dataset {
  /** The MedMNIST flag, or null for a file that is not named after one. */
  flag: MedMNISTFlag | null;
  split: Split;
  /** The catalogue entry (null for an unknown file: task and classes are then inferred from the labels). */
  info: MedMNISTInfo | null;
  /** The .npz file read. */
  path: string;
}

/** Value range of each integer dtype, for scaling pixels to [0, 1]. */
const INT_RANGE: Partial<Record<NpyArray['dtype'], [number, number]>> = {
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/**
 * Pixels as the `Dataset` contract wants them: `uint8` kept as 0..255; other integer types scaled by their
 * type's range to [0, 1] (`(v - min) / (max - min)`: uint16 / 65535, int16 (v + 32768) / 65535, ...); bool as
 * 0/1; float images taken as they are, which they must already be in [0, 1] for (else an Error: a backbone
 * normalised for [0, 1] would see another scale and silently learn nothing).
 */
export function scalePixels(a: NpyArray, where: string): PixelData {
  if (a.dtype === 'uint8') return a.data as Uint8Array;
  const range = INT_RANGE[a.dtype];
  if (range) {
    const [lo, hi] = range;
    const out = new Float32Array(a.data.length);
    for (let i = 0; i < out.length; i++) out[i] = (a.data[i] - lo) / (hi - lo);
    return out;
  }
  if (a.dtype === 'bool') return Float32Array.from(a.data);
  if (a.dtype === 'int64' || a.dtype === 'uint64') throw new Error(`${where}: ${a.dtype} images are not supported; save them as uint8 or uint16 (scaled by the type's range) or float32 in [0, 1].`);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.data.length; i++) {
    const v = a.data[i];
    if (Number.isNaN(v)) throw new Error(`${where}: float images hold NaN at index ${i}; clean or re-export the data.`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min < 0 || max > 1) {
    throw new Error(
      `${where}: float images hold values in [${min}, ${max}], outside [0, 1]. Float pixels are used as they are, so scale them to [0, 1] first ` +
        `(e.g. x / 255 for 0..255 data, (x - min) / (max - min) otherwise) or save them as uint8/uint16, which are scaled by their type's range.`,
    );
  }
  return a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
}

/** Images `[N, H, W]` or `[N, H, W, C]` as channels-last pixels. */
function toImages(a: NpyArray, where: string): Dataset['images'] {
  const s = a.shape;
  if (s.length !== 3 && s.length !== 4) throw new Error(`${where}: images must have shape [N, H, W] or [N, H, W, C], got [${s.join(', ')}].`);
  return { data: scalePixels(a, where), shape: [s[0], s[1], s[2], s.length === 4 ? s[3] : 1] };
}

/** Labels `[N]` or `[N, L]` as int32 `[N, L]`. */
function toLabels(a: NpyArray, where: string): Dataset['labels'] {
  const s = a.shape;
  if (s.length !== 1 && s.length !== 2) throw new Error(`${where}: labels must have shape [N] or [N, L], got [${s.join(', ')}].`);
  const data = Int32Array.from(a.data);
  if (data.some((x, i) => x !== a.data[i])) throw new Error(`${where}: labels must be whole numbers.`);
  return { data, shape: [s[0], s.length === 2 ? s[1] : 1] };
}

/**
 * Task and class names for a file we have no catalogue entry for, from its labels (`labels` by split, the
 * training split first). Without a declaration, classes 0..K-1 are the values seen; a value in that range with
 * no example in any split, or none in the training split, is an Error naming the classes (one stray label 7 in
 * a binary file would otherwise silently make an 8-class task).
 */
function inferTask(labels: Map<Split, Dataset['labels']>, where: string): { task: Task; classNames: string[] } {
  const first = [...labels.values()][0];
  const l = first.shape[1];
  if (l > 1) return { task: 'multi-label, binary-class', classNames: Array.from({ length: l }, (_, i) => String(i)) };
  let max = 0;
  for (const lab of labels.values()) for (const x of lab.data) max = Math.max(max, x);
  const k = Math.max(2, max + 1);
  const seen = new Map<Split, Set<number>>([...labels].map(([s, lab]) => [s, new Set(lab.data)]));
  const absent = (s: Split | null) => Array.from({ length: k }, (_, c) => c).filter((c) => (s ? !seen.get(s)!.has(c) : ![...seen.values()].some((set) => set.has(c))));
  const nowhere = absent(null);
  if (nowhere.length) {
    const counts = [...labels].map(([s, lab]) => `${s}: ${[...new Set(lab.data)].sort((a, b) => a - b).join(', ')}`).join('; ');
    throw new Error(
      `${where}: labels run from 0 to ${max} but classes ${nowhere.join(', ')} have no examples in any split (values by split: ${counts}). ` +
        'Without a MedMNIST name the classes are 0..max label, so a stray label silently adds classes: relabel to consecutive classes 0..K-1, or fix the wrong labels.',
    );
  }
  const untrained = labels.has('train') ? absent('train') : [];
  if (untrained.length) {
    throw new Error(`${where}: classes ${untrained.join(', ')} have no examples in the train split, so they cannot be learned; move some of their examples into train_labels or relabel.`);
  }
  return { task: k === 2 ? 'binary-class' : 'multi-class', classNames: Array.from({ length: k }, (_, i) => String(i)) };
}

/** The first `n` rows of labels `[N, L]` (all of them when n is undefined or larger). */
function headOfLabels(lab: Dataset['labels'], n?: number): Dataset['labels'] {
  if (n === undefined || n >= lab.shape[0]) return lab;
  return { data: lab.data.slice(0, n * lab.shape[1]), shape: [n, lab.shape[1]] };
}

/**
 * Check, from the headers alone, that every split to read has images and as many labels as images.
 * Throws before anything large is inflated; header shapes are already checked against entry sizes.
 */
function checkHeaders(src: ByteSource, file: string, splits: readonly Split[]): void {
  const info = new Map(readNpzInfo(src).map((e) => [e.key, e]));
  for (const s of splits) {
    const img = info.get(`${s}_images`);
    const lab = info.get(`${s}_labels`);
    if (!img || !lab) {
      throw new Error(`${file}: no "${s}_${img ? 'labels' : 'images'}" array; a MedMNIST-style .npz holds train/val/test _images and _labels (it holds: ${[...info.keys()].join(', ') || 'no arrays'}).`);
    }
    if (img.shape[0] !== lab.shape[0]) {
      throw new Error(`${file}: ${s}_images holds ${img.shape[0]} images but ${s}_labels holds ${lab.shape[0]} labels (from the headers); every image needs one label row. The file is damaged or was saved from mismatched arrays.`);
    }
  }
}

/**
 * All three official splits from the bytes of a MedMNIST `.npz` already in memory (a web page's fetch, a dropped
 * file), for the flag it is named after; the same datasets `loadMedMNISTSplits(flag)` gives from disk.
 */
export async function medmnistSplitsFromBytes(bytes: Uint8Array, flag: MedMNISTFlag, size: MedMNISTSize = 28): Promise<Record<Split, MedMNISTDataset>> {
  const name = medmnistFileName(flag, size);
  return (await splitsOf(() => bufferSource(bytes, name), { path: name, flag, size }, SPLITS)) as Record<Split, MedMNISTDataset>;
}

/** The datasets of `splits` read from the .npz found at `where`; `open` gives a fresh source per read (each read closes it). */
export async function splitsOf(open: () => ByteSource, where: { path: string; flag: MedMNISTFlag | null; size: number | null }, splits: readonly Split[], limits: Partial<Record<Split, number>> = {}): Promise<Partial<Record<Split, MedMNISTDataset>>> {
  const info = where.flag ? medmnistInfo(where.flag) : null;
  // For a file without a catalogue entry, classes come from the labels of all splits, so every split agrees.
  const labelSplits = info ? splits : SPLITS;
  checkHeaders(open(), where.path, labelSplits);
  const arrays = readNpz(open(), { keys: labelSplits.map((s) => `${s}_labels`) });
  const labels = new Map(labelSplits.map((s) => [s, toLabels(arrays[`${s}_labels`], `${where.path}: ${s}_labels`)]));
  const meta = info ? { task: info.task, classNames: [...info.classNames] } : inferTask(labels, where.path);
  const out: Partial<Record<Split, MedMNISTDataset>> = {};
  for (const split of splits) {
    // Only the kept images are inflated; val and test (no limit) are read whole.
    const n = limits[split];
    const raw = n === undefined ? readNpz(open(), { keys: [`${split}_images`] })[`${split}_images`] : await readNpzHead(open(), `${split}_images`, n);
    const images = toImages(raw, `${where.path}: ${split}_images`);
    if (info && images.shape[3] !== info.channels) {
      throw new Error(`${where.path}: ${split}_images have ${images.shape[3]} channels but ${info.flag} has ${info.channels}; is the file damaged or misnamed?`);
    }
    const source = where.flag ? `medmnist:${where.flag}@${where.size}/${split}` : `${where.path}/${split}`;
    const ds: MedMNISTDataset = { images, labels: headOfLabels(labels.get(split)!, n), ...meta, source, flag: where.flag, split, info, path: where.path };
    if (info) ds.modality = info.modality;
    out[split] = validateDataset(ds) as MedMNISTDataset;
  }
  return out;
}
