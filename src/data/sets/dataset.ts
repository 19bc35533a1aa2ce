/**
 * The one dataset type every loader returns (MedMNIST `.npz`, a DICOM folder + labels CSV, ...) and the
 * training loops consume: images `[N, H, W, C]` channels-last, labels `[N, L]`, the task, class names, source.
 *
 * Utilities that work on it live beside it: `splits.ts` (shuffle, train/val/test, label subsampling),
 * `batches.ts` (tfjs tensors, normalisation) and `augment.ts`. Datasets are treated as immutable: every
 * utility returns a new one and leaves its input alone.
 */
import { seededPermutation } from './random';

/** Task types, named as MedMNIST's `info.py` names them. */
export type Task = 'multi-class' | 'binary-class' | 'multi-label, binary-class' | 'ordinal-regression';

/** All task types, for validation and help text. */
export const TASKS: readonly Task[] = ['multi-class', 'binary-class', 'multi-label, binary-class', 'ordinal-regression'];

/** Pixels: `uint8` 0..255 as stored, or `float32` (after `normalize`, or from a loader that rescales). */
export type PixelData = Uint8Array | Float32Array;

/** Images `[N, H, W, C]`, channels-last, C order (the channel of one pixel is contiguous). */
export interface Images {
  data: PixelData;
  shape: [number, number, number, number];
}

/**
 * Labels `[N, L]`. For `multi-class`, `binary-class` and `ordinal-regression`, L = 1 and the value is the
 * class index (ordinal: the grade, 0..K-1). For `multi-label, binary-class`, L = number of classes and each
 * value is 0 or 1.
 */
export interface Labels {
  data: Int32Array;
  shape: [number, number];
}

/** A labelled image dataset (one split of it). */
export interface Dataset {
  images: Images;
  labels: Labels;
  task: Task;
  /** One name per class (index = label value; for multi-label, index = label column). */
  classNames: string[];
  /** Where it came from, for reports: e.g. `medmnist:breastmnist@28/train` or a folder path. */
  source: string;
  /** Imaging modality when known, e.g. `Breast Ultrasound` or the DICOM Modality tag (`CT`). */
  modality?: string;
  /** Optional id per example (a file path, a SOP Instance UID); carried through every utility. */
  ids?: string[];
  /** Optional group per example (e.g. patient id): `split` keeps each group on one side. */
  groups?: string[];
}

/** Number of examples N. */
export function numExamples(ds: Dataset): number {
  return ds.images.shape[0];
}

/** Number of classes: label columns for multi-label, otherwise `classNames.length`. */
export function numClasses(ds: Dataset): number {
  return ds.task === 'multi-label, binary-class' ? ds.labels.shape[1] : ds.classNames.length;
}

/**
 * Check that a dataset is consistent; throws an Error naming the bad field. Loaders call it before returning,
 * so a dataset that reaches training is well-formed. Returns the dataset for chaining.
 */
export function validateDataset(ds: Dataset): Dataset {
  const where = `Dataset ${ds.source || '(no source)'}`;
  const [n, h, w, c] = ds.images.shape;
  if (ds.images.shape.length !== 4 || [n, h, w, c].some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${where}: images.shape must be [N, H, W, C] with whole numbers, got [${ds.images.shape.join(', ')}].`);
  }
  if (ds.images.data.length !== n * h * w * c) {
    throw new Error(`${where}: images.data holds ${ds.images.data.length} values but images.shape [${ds.images.shape.join(', ')}] needs ${n * h * w * c}.`);
  }
  if (!TASKS.includes(ds.task)) throw new Error(`${where}: task "${ds.task}" is not one of ${TASKS.join(', ')}.`);
  const [ln, l] = ds.labels.shape;
  if (ln !== n) throw new Error(`${where}: labels.shape[0] is ${ln} but there are ${n} images.`);
  if (ds.labels.data.length !== ln * l) throw new Error(`${where}: labels.data holds ${ds.labels.data.length} values but labels.shape [${ln}, ${l}] needs ${ln * l}.`);
  const k = ds.classNames.length;
  if (ds.task === 'multi-label, binary-class') {
    if (l !== k) throw new Error(`${where}: a multi-label dataset needs one label column per class (${k} classNames) but labels have ${l}.`);
    if (ds.labels.data.some((v) => v !== 0 && v !== 1)) throw new Error(`${where}: multi-label labels must be 0 or 1.`);
  } else {
    if (l !== 1) throw new Error(`${where}: a ${ds.task} dataset needs labels of shape [N, 1], got [${ln}, ${l}].`);
    if (ds.task === 'binary-class' && k !== 2) throw new Error(`${where}: a binary-class dataset needs 2 classNames, got ${k}.`);
    const bad = ds.labels.data.findIndex((v) => v < 0 || v >= k);
    if (bad >= 0) throw new Error(`${where}: label ${ds.labels.data[bad]} of example ${bad} is outside 0..${k - 1} (${k} classNames).`);
  }
  for (const key of ['ids', 'groups'] as const) {
    const list = ds[key];
    if (list && list.length !== n) throw new Error(`${where}: ${key} has ${list.length} entries for ${n} examples.`);
  }
  return ds;
}

/** Count per class: examples of each class, or for multi-label the positives of each class. Length K. */
export function classCounts(ds: Dataset): number[] {
  const k = numClasses(ds);
  const counts = new Array<number>(k).fill(0);
  const [n, l] = ds.labels.shape;
  if (ds.task === 'multi-label, binary-class') {
    for (let i = 0; i < n * l; i++) counts[i % l] += ds.labels.data[i];
  } else {
    for (let i = 0; i < n; i++) counts[ds.labels.data[i]]++;
  }
  return counts;
}

/** The examples at `indices`, in that order, as a new dataset (pixels and labels copied). */
export function subset(ds: Dataset, indices: ArrayLike<number>, source = ds.source): Dataset {
  const [n, h, w, c] = ds.images.shape;
  const per = h * w * c;
  const l = ds.labels.shape[1];
  const m = indices.length;
  const data = ds.images.data instanceof Uint8Array ? new Uint8Array(m * per) : new Float32Array(m * per);
  const labels = new Int32Array(m * l);
  for (let j = 0; j < m; j++) {
    const i = indices[j];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`subset: index ${i} is outside 0..${n - 1}.`);
    data.set(ds.images.data.subarray(i * per, (i + 1) * per), j * per);
    labels.set(ds.labels.data.subarray(i * l, (i + 1) * l), j * l);
  }
  const pick = (list?: string[]) => (list ? Array.from(indices, (i) => list[i]) : undefined);
  const out: Dataset = {
    ...ds,
    images: { data, shape: [m, h, w, c] },
    labels: { data: labels, shape: [m, l] },
    source,
  };
  if (ds.ids) out.ids = pick(ds.ids);
  if (ds.groups) out.groups = pick(ds.groups);
  return out;
}

/** The first `n` examples (keeps quick profiles and tests small); the whole set when n is undefined or larger. */
export function limit(ds: Dataset, n?: number): Dataset {
  if (n === undefined || n >= numExamples(ds)) return ds;
  return subset(ds, Int32Array.from({ length: n }, (_, i) => i));
}

/** At most `cap` images of `ds`: all of them, or a random sample (seed 0) in a random order. */
export function capImages(ds: Dataset, cap: number | undefined): Dataset {
  return cap === undefined || cap >= numExamples(ds) ? ds : limit(seededShuffle(ds, 0), cap);
}

/**
 * A copy in an order fixed by `seed` (the same seed gives the same order on every run and machine).
 * Also shuffles a plain array: `seededShuffle([1, 2, 3], 7)`.
 */
export function seededShuffle(ds: Dataset, seed: number): Dataset;
export function seededShuffle<T>(items: readonly T[], seed: number): T[];
export function seededShuffle<T>(input: Dataset | readonly T[], seed: number): Dataset | T[] {
  if (Array.isArray(input)) {
    const order = seededPermutation(input.length, seed);
    return Array.from(order, (i) => input[i]);
  }
  const ds = input as Dataset;
  return subset(ds, seededPermutation(numExamples(ds), seed));
}
