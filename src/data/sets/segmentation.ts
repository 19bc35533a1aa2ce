/**
 * The segmentation dataset type: images `[N, H, W, C]` with one mask per image `[N, H, W, K]` (K = 1: a binary
 * foreground mask; K > 1: one channel per foreground class, at most one class per pixel, background where all
 * are 0), optional image-level labels (for stratified splits), pixel size in mm and per-image reference
 * measurements (e.g. HC18's head circumference). Like `Dataset`, it is treated as immutable.
 *
 * Here: validation, subsets, deterministic splits (stratified by image label with `splits.ts`), the label
 * budget in images, the `Dataset` view of the images (for MAE / TPP, which need only images) and nearest-neighbour
 * resizing of masks (fitting to a backbone: `fitSegToBackbone` in fit.ts). Loaders: `src/io/sources/seg-load.ts`;
 * batches with paired augmentation: `batches` (batches.ts) takes a `SegDataset` too.
 */
import { Dataset, Images, subset } from './dataset';
import { mulberry32, shuffleInPlace } from './random';
import { splitIndices, type SplitOptions } from './splits';

/** Masks `[N, H, W, K]`, values 0 or 1 (see the module comment for K). */
export interface Masks {
  data: Uint8Array;
  shape: [number, number, number, number];
}

/** A segmentation dataset (one split of it). */
export interface SegDataset {
  images: Images;
  masks: Masks;
  /** Names of the K foreground classes, e.g. `['lesion']`. */
  classNames: string[];
  /** Optional image-level class per image (BUSI: normal / benign / malignant): splits stratify on it. */
  imageLabels?: { data: Int32Array; names: string[] };
  /** Optional pixel size in mm `[N, 2]` row-major (x = width direction, then y), for HD95 and measurements in mm. */
  pixelSize?: Float32Array;
  /** Optional per-image reference measurements by name, each of length N (e.g. `head_circumference_mm`). */
  measures?: Record<string, Float32Array>;
  /** Where it came from, for reports (a file or folder path, plus `/train` etc.). */
  source: string;
  modality?: string;
  /** Optional id per image (a file name). */
  ids?: string[];
  /** Optional group per image (patient id): splits keep a group on one side. */
  groups?: string[];
}

/** Number of images N. */
export function numSegExamples(ds: SegDataset): number {
  return ds.images.shape[0];
}

/** Number of foreground classes K (1 for a binary mask). */
export function numMaskClasses(ds: SegDataset): number {
  return ds.masks.shape[3];
}

/** Check a segmentation dataset; throws an Error naming the bad field. Returns it for chaining. */
export function validateSegDataset(ds: SegDataset): SegDataset {
  const where = `Segmentation dataset ${ds.source || '(no source)'}`;
  const [n, h, w, c] = ds.images.shape;
  if (ds.images.shape.length !== 4 || ds.images.data.length !== n * h * w * c) {
    throw new Error(`${where}: images must be [N, H, W, C] with N*H*W*C values; got shape [${ds.images.shape.join(', ')}] and ${ds.images.data.length} values.`);
  }
  const [mn, mh, mw, k] = ds.masks.shape;
  if (mn !== n || mh !== h || mw !== w) throw new Error(`${where}: masks [${ds.masks.shape.join(', ')}] do not match images [${ds.images.shape.join(', ')}] (need the same N, H, W).`);
  if (!(k >= 1) || ds.masks.data.length !== n * h * w * k) throw new Error(`${where}: masks.data holds ${ds.masks.data.length} values for shape [${ds.masks.shape.join(', ')}].`);
  if (ds.classNames.length !== k) throw new Error(`${where}: ${k} mask channel(s) but ${ds.classNames.length} classNames.`);
  const m = ds.masks.data;
  for (let p = 0; p < n * h * w; p++) {
    let sum = 0;
    for (let q = 0; q < k; q++) {
      const v = m[p * k + q];
      if (v > 1) throw new Error(`${where}: mask values must be 0 or 1; found ${v} (image ${Math.floor(p / (h * w))}). Binarise the masks (e.g. mask > 0).`);
      sum += v;
    }
    if (sum > 1) throw new Error(`${where}: pixel ${p % (h * w)} of image ${Math.floor(p / (h * w))} belongs to ${sum} classes; classes must not overlap.`);
  }
  if (ds.imageLabels) {
    const { data, names } = ds.imageLabels;
    if (data.length !== n) throw new Error(`${where}: imageLabels has ${data.length} entries for ${n} images.`);
    const bad = data.findIndex((v) => !(v >= 0 && v < names.length));
    if (bad >= 0) throw new Error(`${where}: image label ${data[bad]} of image ${bad} is outside 0..${names.length - 1}.`);
  }
  if (ds.pixelSize && (ds.pixelSize.length !== 2 * n || ds.pixelSize.some((v) => !(v > 0)))) {
    throw new Error(`${where}: pixelSize must hold 2 positive values (mm per pixel in x, y) per image: ${2 * n} values.`);
  }
  for (const [key, v] of Object.entries(ds.measures ?? {})) if (v.length !== n) throw new Error(`${where}: measure "${key}" has ${v.length} values for ${n} images.`);
  for (const key of ['ids', 'groups'] as const) {
    const list = ds[key];
    if (list && list.length !== n) throw new Error(`${where}: ${key} has ${list.length} entries for ${n} images.`);
  }
  return ds;
}

/**
 * The images as a classification `Dataset` (labels: the image labels, or one class `image` for all): what MAE
 * pre-training and TPP take, and what the split machinery stratifies on. Pixels are shared, not copied.
 */
export function segImages(ds: SegDataset): Dataset {
  const n = numSegExamples(ds);
  const labels = ds.imageLabels?.data ?? new Int32Array(n);
  const names = ds.imageLabels?.names ?? ['image'];
  const out: Dataset = {
    images: ds.images, labels: { data: labels, shape: [n, 1] }, task: names.length === 2 ? 'binary-class' : 'multi-class', classNames: names, source: ds.source,
  };
  if (ds.modality) out.modality = ds.modality;
  if (ds.ids) out.ids = ds.ids;
  if (ds.groups) out.groups = ds.groups;
  return out;
}

/** The images at `indices`, in that order, with their masks and metadata (copied). */
export function segSubset(ds: SegDataset, indices: ArrayLike<number>, source = ds.source): SegDataset {
  const view = subset(segImages(ds), indices, source);
  const [, h, w, k] = ds.masks.shape;
  const per = h * w * k;
  const m = indices.length;
  const masks = new Uint8Array(m * per);
  for (let j = 0; j < m; j++) masks.set(ds.masks.data.subarray(indices[j] * per, (indices[j] + 1) * per), j * per);
  const out: SegDataset = { ...ds, images: view.images, masks: { data: masks, shape: [m, h, w, k] }, source };
  if (ds.imageLabels) out.imageLabels = { data: Int32Array.from(indices, (i) => ds.imageLabels!.data[i]), names: ds.imageLabels.names };
  if (ds.pixelSize) out.pixelSize = Float32Array.from({ length: 2 * m }, (_, q) => ds.pixelSize![2 * indices[q >> 1] + (q & 1)]);
  if (ds.measures) out.measures = Object.fromEntries(Object.entries(ds.measures).map(([key, v]) => [key, Float32Array.from(indices, (i) => v[i])]));
  if (view.ids) out.ids = view.ids;
  if (view.groups) out.groups = view.groups;
  return out;
}

/** Train / validation / test parts of a segmentation dataset. */
export interface SegSplits {
  name: string;
  train: SegDataset;
  val: SegDataset;
  test: SegDataset;
}

/**
 * A deterministic train / val / test split by image (default 70 / 10 / 20), stratified by the image labels
 * when there are any, kept by group when there are groups; the same machinery as classification (`splitIndices`).
 */
export function segSplit(ds: SegDataset, options: SplitOptions = {}): SegSplits {
  const idx = splitIndices(segImages(ds), options);
  return {
    name: ds.source,
    train: segSubset(ds, idx.train, `${ds.source}/train`),
    val: segSubset(ds, idx.val, `${ds.source}/val`),
    test: segSubset(ds, idx.test, `${ds.source}/test`),
  };
}

/**
 * Keep `count` labelled images (the label budget of few-label segmentation), chosen by `seed`. With image
 * labels, classes are represented in proportion (largest remainders; every class with images gets at least one
 * when count allows). A budget at or above N keeps everything. Throws for a count below 1.
 */
export function segLabelBudget(ds: SegDataset, count: number, seed = 0): SegDataset {
  if (!Number.isInteger(count) || count < 1) throw new Error(`segLabelBudget: the budget must be a whole number of images ≥ 1, got ${count}.`);
  const n = numSegExamples(ds);
  if (count >= n) return ds;
  const rand = mulberry32(seed);
  const labels = ds.imageLabels?.data ?? new Int32Array(n);
  const classes = ds.imageLabels?.names.length ?? 1;
  const lists: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < n; i++) lists[labels[i]].push(i);
  lists.forEach((l) => shuffleInPlace(l, rand));
  // Proportional allocation, at least one per non-empty class when the budget allows, by largest remainder.
  const want = lists.map((l) => (l.length * count) / n);
  const take = want.map((v, c) => Math.min(lists[c].length, Math.max(lists[c].length && count >= classes ? 1 : 0, Math.floor(v))));
  const order = want.map((v, c) => c).sort((a, b) => want[b] - Math.floor(want[b]) - (want[a] - Math.floor(want[a])) || a - b);
  for (let left = count - take.reduce((a, b) => a + b, 0), r = 0; left > 0; r++) {
    const c = order[r % classes];
    if (take[c] < lists[c].length) {
      take[c]++;
      left--;
    }
  }
  const keep = lists.flatMap((l, c) => l.slice(0, take[c])).sort((a, b) => a - b);
  return segSubset(ds, keep, `${ds.source}[labels=${count},seed=${seed}]`);
}

/** Nearest-neighbour resize of masks `[N, H, W, K]` to `size` x `size` (pixel centres, no new values). */
export function resizeMasksNearest(masks: Masks, size: number): Masks {
  const [n, h, w, k] = masks.shape;
  if (h === size && w === size) return masks;
  const out = new Uint8Array(n * size * size * k);
  const ys = Int32Array.from({ length: size }, (_, y) => Math.min(h - 1, Math.floor(((y + 0.5) * h) / size)));
  const xs = Int32Array.from({ length: size }, (_, x) => Math.min(w - 1, Math.floor(((x + 0.5) * w) / size)));
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const src = ((i * h + ys[y]) * w + xs[x]) * k;
        out.set(masks.data.subarray(src, src + k), ((i * size + y) * size + x) * k);
      }
    }
  }
  return { data: out, shape: [n, size, size, k] };
}

/** Foreground fraction of each class over all pixels (length K): a quick look at class balance. */
export function foregroundFractions(ds: SegDataset): number[] {
  const [n, h, w, k] = ds.masks.shape;
  const sums = new Array<number>(k).fill(0);
  for (let i = 0; i < ds.masks.data.length; i++) sums[i % k] += ds.masks.data[i];
  return sums.map((s) => s / (n * h * w || 1));
}
