/**
 * The segmentation objective: the loss of per-pixel logits against masks, predicted masks from logits, and
 * evaluation of a model over a dataset (its predicted masks, then per-image Dice, IoU, HD95 from seg-metrics.ts
 * and, for data with a reference head circumference and pixel size (HC18), the circumference error in mm), plus
 * the scores of the "empty mask" baseline.
 *
 * Binary masks (K = 1): one logit per pixel; loss = binary cross-entropy + soft Dice.
 * K classes (K > 1): K + 1 logits per pixel (background first); loss = cross-entropy + mean soft Dice of the K
 * foreground classes. The soft Dice of an image is `(2 Σ p y + 1) / (Σ p + Σ y + 1)` (smoothing 1, so that an
 * empty mask predicted empty scores 1, as the metric does), averaged over the batch.
 */
import { tf } from '../backend';
import { batches, type Normalization } from '../data/sets/batches';
import { numSegExamples, type Masks, type SegDataset } from '../data/sets/segmentation';
import { headCircumference, segScores } from './seg-metrics';

/** Logit channels for K foreground classes: 1 for a binary mask, K + 1 otherwise. */
export function segOutputs(classes: number): number {
  return classes === 1 ? 1 : classes + 1;
}

/** Soft Dice of probabilities and targets `[B, H, W, K]`, per image and class, averaged: a scalar in [0, 1]. */
function softDice(p: tf.Tensor4D, y: tf.Tensor4D): tf.Scalar {
  const inter = tf.sum(tf.mul(p, y), [1, 2]);
  const total = tf.add(tf.sum(p, [1, 2]), tf.sum(y, [1, 2]));
  return tf.mean(tf.div(tf.add(tf.mul(inter, 2), 1), tf.add(total, 1))) as tf.Scalar;
}

/** Training loss of logits `[B, H, W, K']` against masks `[B, H, W, K]` float 0/1 (see the module comment). */
export function segLoss(logits: tf.Tensor4D, masks: tf.Tensor4D): tf.Scalar {
  const k = masks.shape[3];
  if (logits.shape[3] !== segOutputs(k)) throw new Error(`segLoss: ${logits.shape[3]} logit channels for ${k} mask class(es); expected ${segOutputs(k)}.`);
  if (k === 1) {
    const x = logits;
    // Binary cross-entropy with logits, stable form max(x, 0) - x z + log(1 + exp(-|x|)).
    const bce = tf.mean(tf.add(tf.sub(tf.relu(x), tf.mul(x, masks)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))));
    return tf.add(bce, tf.sub(1, softDice(tf.sigmoid(x), masks))) as tf.Scalar;
  }
  const background = tf.sub(1, tf.sum(masks, 3, true));
  const target = tf.concat([background, masks], 3) as tf.Tensor4D;
  const logp = tf.logSoftmax(logits);
  const ce = tf.neg(tf.mean(tf.sum(tf.mul(target, logp), 3)));
  const fg = tf.slice(tf.exp(logp), [0, 0, 0, 1], [-1, -1, -1, k]) as tf.Tensor4D;
  return tf.add(ce, tf.sub(1, softDice(fg, masks))) as tf.Scalar;
}

/** Predicted masks `[B, H, W, K]` uint8-valued (0/1) from logits: logit > 0 (binary), or the arg-max class. */
export function masksFromLogits(logits: tf.Tensor4D): tf.Tensor4D {
  const k = logits.shape[3];
  if (k === 1) return tf.cast(tf.greater(logits, 0), 'int32') as tf.Tensor4D;
  // One-hot of the arg-max as int32 (tf.oneHot's float output is wrong on wasm), background channel dropped.
  const arg = tf.argMax(logits, 3);
  return tf.slice(tf.oneHot(arg, k), [0, 0, 0, 1], [-1, -1, -1, k - 1]) as tf.Tensor4D;
}

/** Per-image results and their means. Means skip NaN values (HC error of an empty prediction counts as missing). */
export interface SegEvaluation {
  n: number;
  /** Per image, each the mean over foreground classes. */
  perImage: { dice: Float64Array; iou: Float64Array; hd95: Float64Array; hcPredMm?: Float64Array; hcErrorMm?: Float64Array };
  dice: number;
  iou: number;
  hd95: number;
  /** Mean absolute head-circumference error in mm (only when the data have `head_circumference_mm` and pixel sizes). */
  hc_error_mm?: number;
  /** Images whose prediction was empty where the reference is not (their HD95 is the image diagonal). */
  emptyPredictions: number;
}

/** Mean of the finite values (NaN when there are none). */
export function finiteMean(values: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) {
    s += values[i];
    n++;
  }
  return n ? s / n : NaN;
}

/**
 * Predicted masks `[N, H, W, K]` 0/1 of every image of `ds`, in order: `predict` maps normalised images
 * `[B, H, W, C]` to logits `[B, H, W, K']` (`masksFromLogits` turns them into masks). For pictures and for
 * `scoreSegMasks`.
 */
export async function predictSegMasks(ds: SegDataset, normalization: Normalization, predict: (x: tf.Tensor4D) => tf.Tensor4D, batchSize = 32): Promise<Masks> {
  const [n, h, w, k] = ds.masks.shape;
  const per = h * w * k;
  const data = new Uint8Array(n * per);
  for (const b of batches(ds, batchSize, { normalization })) {
    const out = tf.tidy(() => masksFromLogits(predict(b.x)));
    const pred = (await out.data()) as Int32Array;
    tf.dispose([out, b.x, b.y]);
    if (pred.length !== b.indices.length * per) throw new Error(`predictSegMasks: the model gave ${pred.length / b.indices.length} mask values per image; ${ds.source} needs ${per} ([${h}, ${w}, ${k}]).`);
    for (let j = 0; j < b.indices.length; j++) data.set(pred.subarray(j * per, (j + 1) * per), b.indices[j] * per);
  }
  return { data, shape: [n, h, w, k] };
}

/**
 * Score masks `pred` `[N, H, W, K]` 0/1 against `ds`'s masks, image by image (Dice, IoU, HD95, and the head
 * circumference error when `ds` has `head_circumference_mm` and pixel sizes). Pixel sizes (when present) put HD95
 * in mm, otherwise in pixels.
 */
export function scoreSegMasks(ds: SegDataset, pred: Masks): SegEvaluation {
  const n = numSegExamples(ds);
  const [, h, w, k] = ds.masks.shape;
  if (pred.shape.join() !== ds.masks.shape.join() || pred.data.length !== ds.masks.data.length) {
    throw new Error(`scoreSegMasks: predicted masks [${pred.shape.join(', ')}] do not match ${ds.source}'s masks [${ds.masks.shape.join(', ')}].`);
  }
  const dice = new Float64Array(n);
  const iou = new Float64Array(n);
  const hd = new Float64Array(n);
  const ref = ds.measures?.head_circumference_mm;
  const hcOn = k === 1 && ref !== undefined && ds.pixelSize !== undefined;
  const hcPred = hcOn ? new Float64Array(n) : undefined;
  let emptyPredictions = 0;
  const plane = new Uint8Array(h * w);
  const truth = new Uint8Array(h * w);
  for (let i = 0; i < n; i++) {
    const spacing: [number, number] = ds.pixelSize ? [ds.pixelSize[2 * i], ds.pixelSize[2 * i + 1]] : [1, 1];
    let sd = 0;
    let si = 0;
    let sh = 0;
    for (let c = 0; c < k; c++) {
      let anyPred = 0;
      let anyTruth = 0;
      for (let p = 0; p < h * w; p++) {
        plane[p] = pred.data[(i * h * w + p) * k + c];
        truth[p] = ds.masks.data[(i * h * w + p) * k + c];
        anyPred |= plane[p];
        anyTruth |= truth[p];
      }
      if (anyTruth && !anyPred) emptyPredictions++;
      const s = segScores(plane, truth, h, w, spacing);
      sd += s.dice;
      si += s.iou;
      sh += s.hd95;
      if (hcPred) hcPred[i] = headCircumference(plane, h, w, spacing);
    }
    dice[i] = sd / k;
    iou[i] = si / k;
    hd[i] = sh / k;
  }
  const result: SegEvaluation = { n, perImage: { dice, iou, hd95: hd }, dice: finiteMean(dice), iou: finiteMean(iou), hd95: finiteMean(hd), emptyPredictions };
  if (hcPred && ref) {
    const err = Float64Array.from(hcPred, (v, i) => Math.abs(v - ref[i]));
    result.perImage.hcPredMm = hcPred;
    result.perImage.hcErrorMm = err;
    result.hc_error_mm = finiteMean(err);
  }
  return result;
}

/**
 * Score a model over `ds` (`predictSegMasks`, then `scoreSegMasks`): `predict` maps normalised images
 * `[B, H, W, C]` to logits `[B, H, W, K']`.
 */
export async function evaluateSegmentation(ds: SegDataset, normalization: Normalization, predict: (x: tf.Tensor4D) => tf.Tensor4D, batchSize = 32): Promise<SegEvaluation> {
  return scoreSegMasks(ds, await predictSegMasks(ds, normalization, predict, batchSize));
}

/**
 * The "empty mask" baseline: the scores of predicting no foreground at all on every image of `ds`. With the
 * empty-mask convention of seg-metrics.ts it scores Dice 1 on images whose reference is empty (BUSI's normal
 * images) and 0 on the others, so its mean Dice is the share of empty references: a model must beat it.
 */
export function emptyMaskBaseline(ds: SegDataset): SegEvaluation {
  return scoreSegMasks(ds, { data: new Uint8Array(ds.masks.data.length), shape: ds.masks.shape });
}
