/**
 * From a `Dataset` (or a `SegDataset`: images with masks) to tfjs tensors: per-channel normalisation and
 * mini-batches. Masks get exactly the same flips and shifts as their images (`augmentWithMasks`).
 *
 * Pixel scale: `uint8` images are divided by 255 (values 0..1) before normalisation; `float32` images are
 * taken as they are. Batches are assembled on the CPU (gather, scale, augment, normalise) and become a tensor
 * once, so the only tensors created are the ones handed to the caller.
 */
import * as tf from '@tensorflow/tfjs';
import { Dataset, numClasses } from './dataset';
import { AugmentOptions, DEFAULT_AUGMENT, augment, augmentIsActive, augmentWithMasks } from './augment';
import type { SegDataset } from './segmentation';
import { mulberry32, seededPermutation } from './random';

/** Per-channel mean and standard deviation on the 0..1 pixel scale. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** Pixel scale factor: 1/255 for uint8 images, 1 for float images. */
function pixelScale(ds: Pick<Dataset, 'images'>): number {
  return ds.images.data instanceof Uint8Array ? 1 / 255 : 1;
}

/** Mean and std of each channel over all pixels of `ds` (compute on the training split only). */
export function computeNormalization(ds: Dataset): Normalization {
  const c = ds.images.shape[3];
  const data = ds.images.data;
  const scale = pixelScale(ds);
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] * scale;
    sum[i % c] += v;
    sq[i % c] += v * v;
  }
  const count = data.length / c;
  const mean = Array.from(sum, (s) => s / count);
  // A constant channel would divide by zero; 1 leaves it centred but unscaled.
  const std = Array.from(sq, (s, k) => Math.sqrt(Math.max(0, s / count - mean[k] * mean[k])) || 1);
  return { mean, std };
}

function checkNormalization(norm: Normalization, channels: number): void {
  if (norm.mean.length !== channels || norm.std.length !== channels) {
    throw new Error(`Normalization has ${norm.mean.length} means and ${norm.std.length} stds for ${channels}-channel images.`);
  }
  if (norm.std.some((s) => !(s > 0))) throw new Error(`Normalization std must be positive, got [${norm.std.join(', ')}].`);
}

/** A float32 copy of `ds` with every pixel mapped to `(x * scale - mean[c]) / std[c]`. */
export function normalize(ds: Dataset, norm: Normalization): Dataset {
  const c = ds.images.shape[3];
  checkNormalization(norm, c);
  const src = ds.images.data;
  const scale = pixelScale(ds);
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = (src[i] * scale - norm.mean[i % c]) / norm.std[i % c];
  return { ...ds, images: { data: out, shape: [...ds.images.shape] as Dataset['images']['shape'] } };
}

/** Options for `batches`. */
export interface BatchOptions {
  /** Visit examples in a seeded random order. Default false (dataset order). */
  shuffle?: boolean;
  /** Seed for the order and the augmentation; use e.g. `seed + epoch` for a new order each epoch. Default 0. */
  seed?: number;
  /** `true` for `DEFAULT_AUGMENT`, an options object, or false (default: no augmentation). */
  augment?: boolean | AugmentOptions;
  /** Applied after scaling (and augmentation): `(x - mean) / std` per channel. */
  normalization?: Normalization;
  /** Skip a last batch smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /**
   * Label format for single-label tasks: `index` → int32 `[B]` (default); `onehot` → float32 `[B, K]`
   * (built on the CPU, not with `tf.oneHot`). Multi-label data always give float32 0/1 `[B, L]`.
   */
  labelEncoding?: 'index' | 'onehot';
}

/** One mini-batch. The caller owns `x` and `y` and must dispose them (e.g. `tf.dispose([b.x, b.y])`). */
export interface Batch {
  /** Images `[B, H, W, C]`, float32. */
  x: tf.Tensor4D;
  /** Labels: int32 `[B]`, or float32 `[B, K]` (one-hot or multi-label). */
  y: tf.Tensor;
  /** Which examples of the dataset are in this batch. */
  indices: Int32Array;
}

/** A batch of a segmentation dataset: `y` holds the masks `[B, H, W, K]`, float32 0/1. */
export interface SegBatch extends Batch {
  y: tf.Tensor4D;
}

/** How many batches `batches(ds, batchSize, { dropLast })` yields. */
export function numBatches(ds: Pick<Dataset, 'images'>, batchSize: number, dropLast = false): number {
  const n = ds.images.shape[0];
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * Mini-batches of `ds` as tensors. Tensor ownership: each yielded batch's `x` and `y` belong to the caller,
 * who disposes them when done; nothing else is allocated on the backend, so a loop that disposes every batch
 * leaves `tf.memory().numTensors` unchanged.
 *
 * ```ts
 * for (const { x, y } of batches(train, 64, { shuffle: true, seed: epoch, augment: true, normalization })) {
 *   // ... use x, y ...
 *   tf.dispose([x, y]);
 * }
 * ```
 */
export function batches(ds: SegDataset, batchSize: number, options?: BatchOptions): Generator<SegBatch, void, undefined>;
export function batches(ds: Dataset, batchSize: number, options?: BatchOptions): Generator<Batch, void, undefined>;
export function* batches(ds: Dataset | SegDataset, batchSize: number, options: BatchOptions = {}): Generator<Batch, void, undefined> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batches: batchSize must be a whole number ≥ 1, got ${batchSize}.`);
  const [n, h, w, c] = ds.images.shape;
  const per = h * w * c;
  const seed = options.seed ?? 0;
  const order = options.shuffle ? seededPermutation(n, seed) : Int32Array.from({ length: n }, (_, i) => i);
  const aug: AugmentOptions | false = options.augment === true ? DEFAULT_AUGMENT : options.augment || false;
  const augOn = augmentIsActive(aug);
  // Keep augmented pixels in range only when the source range is known (uint8 → 0..1).
  const augOptions: AugmentOptions | false = augOn ? { ...aug, clip: aug.clip !== undefined ? aug.clip : ds.images.data instanceof Uint8Array ? [0, 1] : null } : false;
  const rand = mulberry32(seed ^ 0x5bd1e995);
  const norm = options.normalization;
  if (norm) checkNormalization(norm, c);
  const scale = pixelScale(ds);
  const masks = 'masks' in ds ? ds.masks : null;
  const k = masks ? masks.shape[3] : 0;
  const total = numBatches(ds, batchSize, options.dropLast);
  for (let b = 0; b < total; b++) {
    const indices = order.slice(b * batchSize, Math.min(n, (b + 1) * batchSize));
    const m = indices.length;
    let pixels: Float32Array = new Float32Array(m * per);
    for (let j = 0; j < m; j++) {
      const src = ds.images.data.subarray(indices[j] * per, (indices[j] + 1) * per);
      const dst = j * per;
      for (let i = 0; i < per; i++) pixels[dst + i] = src[i] * scale;
    }
    let maskPixels: Float32Array | null = masks ? gatherMasks(masks.data, indices, h * w * k) : null;
    // The same random draws with or without masks: masks only follow their images' flips and shifts.
    if (maskPixels) ({ images: pixels, masks: maskPixels } = augmentWithMasks(pixels, [m, h, w, c], maskPixels, k, augOptions, rand));
    else pixels = augment(pixels, [m, h, w, c], augOptions, rand);
    if (norm) for (let i = 0; i < pixels.length; i++) pixels[i] = (pixels[i] - norm.mean[i % c]) / norm.std[i % c];
    const y = maskPixels ? tf.tensor4d(maskPixels, [m, h, w, k], 'float32') : labelTensor(ds as Dataset, indices, options.labelEncoding);
    yield { x: tf.tensor4d(pixels, [m, h, w, c], 'float32'), y, indices };
  }
}

/** The masks of the examples at `indices` (`per` values each) as float32 0/1. */
function gatherMasks(data: Uint8Array, indices: Int32Array, per: number): Float32Array {
  const out = new Float32Array(indices.length * per);
  for (let j = 0; j < indices.length; j++) out.set(data.subarray(indices[j] * per, (indices[j] + 1) * per), j * per);
  return out;
}

/** The labels of the examples at `indices` as `batches` yields them (see `BatchOptions.labelEncoding`). */
function labelTensor(ds: Dataset, indices: Int32Array, encoding: BatchOptions['labelEncoding']): tf.Tensor {
  const m = indices.length;
  const l = ds.labels.shape[1];
  if (ds.task === 'multi-label, binary-class') {
    const lab = new Float32Array(m * l);
    for (let j = 0; j < m; j++) for (let q = 0; q < l; q++) lab[j * l + q] = ds.labels.data[indices[j] * l + q];
    return tf.tensor2d(lab, [m, l], 'float32');
  }
  if (encoding === 'onehot') {
    const k = numClasses(ds);
    const lab = new Float32Array(m * k);
    for (let j = 0; j < m; j++) lab[j * k + ds.labels.data[indices[j]]] = 1;
    return tf.tensor2d(lab, [m, k], 'float32');
  }
  return tf.tensor1d(Int32Array.from(indices, (i) => ds.labels.data[i]), 'int32');
}
