/**
 * Mini-batches of a segmentation dataset as tfjs tensors: images `[B, H, W, C]` (scaled to 0..1, augmented,
 * normalised, as `batches.ts` does for classification) and masks `[B, H, W, K]` float32 0/1, augmented with
 * exactly the same flips and shifts as their images (`augmentWithMasks`).
 */
import * as tf from '@tensorflow/tfjs';
import { AugmentOptions, augmentWithMasks, DEFAULT_AUGMENT } from './augment';
import type { Normalization } from './batches';
import { mulberry32, seededPermutation } from './random';
import { numSegExamples, type SegDataset } from './segmentation';

/** Options of `segBatches` (as `BatchOptions` of batches.ts). */
export interface SegBatchOptions {
  shuffle?: boolean;
  seed?: number;
  /** `true` for `DEFAULT_AUGMENT` (flips, shifts, intensity jitter; masks get the flips and shifts only), an options object, or false (default). */
  augment?: boolean | AugmentOptions;
  normalization?: Normalization;
  dropLast?: boolean;
}

/** One batch; the caller disposes `x` and `y`. */
export interface SegBatch {
  /** Images `[B, H, W, C]` float32. */
  x: tf.Tensor4D;
  /** Masks `[B, H, W, K]` float32 0/1. */
  y: tf.Tensor4D;
  indices: Int32Array;
}

/** How many batches `segBatches` yields. */
export function numSegBatches(ds: SegDataset, batchSize: number, dropLast = false): number {
  const n = numSegExamples(ds);
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** Mini-batches of images and masks; only the yielded tensors are allocated on the backend. */
export function* segBatches(ds: SegDataset, batchSize: number, options: SegBatchOptions = {}): Generator<SegBatch, void, undefined> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`segBatches: batchSize must be a whole number ≥ 1, got ${batchSize}.`);
  const [n, h, w, c] = ds.images.shape;
  const k = ds.masks.shape[3];
  const per = h * w * c;
  const perMask = h * w * k;
  const seed = options.seed ?? 0;
  const order = options.shuffle ? seededPermutation(n, seed) : Int32Array.from({ length: n }, (_, i) => i);
  const aug: AugmentOptions | false = options.augment === true ? DEFAULT_AUGMENT : options.augment || false;
  const clip: [number, number] | null = ds.images.data instanceof Uint8Array ? [0, 1] : null;
  const augOptions: AugmentOptions | false = aug ? { ...aug, clip: aug.clip !== undefined ? aug.clip : clip } : false;
  const rand = mulberry32(seed ^ 0x5bd1e995);
  const norm = options.normalization;
  if (norm && (norm.mean.length !== c || norm.std.length !== c)) throw new Error(`segBatches: normalisation has ${norm.mean.length} channels for ${c}-channel images.`);
  const scale = ds.images.data instanceof Uint8Array ? 1 / 255 : 1;
  const total = numSegBatches(ds, batchSize, options.dropLast);
  for (let b = 0; b < total; b++) {
    const indices = order.slice(b * batchSize, Math.min(n, (b + 1) * batchSize));
    const m = indices.length;
    let pixels: Float32Array = new Float32Array(m * per);
    let masks: Float32Array = new Float32Array(m * perMask);
    for (let j = 0; j < m; j++) {
      const i = indices[j];
      const src = ds.images.data.subarray(i * per, (i + 1) * per);
      for (let q = 0; q < per; q++) pixels[j * per + q] = src[q] * scale;
      masks.set(ds.masks.data.subarray(i * perMask, (i + 1) * perMask), j * perMask);
    }
    ({ images: pixels, masks } = augmentWithMasks(pixels, [m, h, w, c], masks, k, augOptions, rand));
    if (norm) for (let q = 0; q < pixels.length; q++) pixels[q] = (pixels[q] - norm.mean[q % c]) / norm.std[q % c];
    yield { x: tf.tensor4d(pixels, [m, h, w, c], 'float32'), y: tf.tensor4d(masks, [m, h, w, k], 'float32'), indices };
  }
}
