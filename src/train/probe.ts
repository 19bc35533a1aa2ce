/**
 * What frozen features are worth: a linear probe and a k-nearest-neighbour classifier on the encoder's pooled
 * tokens, the two standard read-outs of self-supervised backbones (MAE reports linear probing; DINO's weighted
 * kNN with temperature 0.07 and k = 20). Used to pick a backbone (features before any adaptation) and to see
 * what TPP changed (the same read-outs with a TPP adapter's hooks in the forward pass).
 */
import { tf } from '../backend';
import type { Normalization } from '../data/sets/batches';
import { Dataset, numClasses, numExamples } from '../data/sets/dataset';
import { linear, matMul2d } from '../model/dense';
import type { ClassifierOutput, ForwardOptions } from '../model/vit';
import { predictAll } from './common';
import { argmax, binaryAuc, evaluate, type Metrics, type TaskKind } from './metrics';
import { bootstrap, type BootstrapOptions, type Estimate } from '../analysis/bootstrap';

/** Anything with a detailed forward pass: a ViT, or a PEFT model (its hooks included). */
export interface FeatureSource {
  forwardDetailed(images: tf.Tensor4D, options?: ForwardOptions): ClassifierOutput;
}

/** Pooled features `[N, D]` (row-major) with their labels. */
export interface Features {
  x: Float32Array;
  dim: number;
  labels: Int32Array;
  classes: number;
}

/**
 * Mean of the final normed patch tokens (the class token left out: MAE never trains it), `[N, D]`, for every
 * image of `ds` in order.
 */
export async function pooledFeatures(model: FeatureSource, ds: Dataset, normalization: Normalization, batchSize = 256): Promise<Features> {
  if (ds.task === 'multi-label, binary-class') throw new Error(`pooledFeatures: ${ds.source} is multi-label; probes here are for single-label tasks.`);
  const { scores, width } = await predictAll(ds, batchSize, normalization, (x) => {
    const t = model.forwardDetailed(x).tokens;
    const [n, l, d] = t.shape;
    return tf.mean(tf.slice(t, [0, 1, 0], [n, l - 1, d]), 1) as tf.Tensor2D;
  });
  return { x: scores, dim: width, labels: ds.labels.data.slice(0, numExamples(ds)), classes: numClasses(ds) };
}

/** The figure a probe is read by: AUC for two classes, accuracy for more (what `tpp-lab probe` and the diagnostics report). */
export function probeMetric(classes: number): 'auc' | 'accuracy' {
  return classes === 2 ? 'auc' : 'accuracy';
}

function kindOf(classes: number): TaskKind {
  return classes === 2 ? 'binary' : 'multiclass';
}

/** Class scores in `evaluate`'s layout: `[N]` P(class 1) for binary, `[N, K]` otherwise. */
function asScores(probs: Float32Array, n: number, classes: number): Float32Array {
  if (classes !== 2) return probs;
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) s[i] = probs[i * 2 + 1];
  return s;
}

/** Options of `linearProbe`. */
export interface LinearProbeOptions {
  /** Full-batch AdamW steps. Default 300. */
  steps?: number;
  /** Default 0.01. */
  lr?: number;
  /** Decoupled weight decay on the weights. Default 1e-4. */
  weightDecay?: number;
}

/**
 * Softmax regression on standardised features (per-dimension mean and std of `train`, like the parameter-free
 * BatchNorm MAE puts before its probe), trained full-batch from zero weights; metrics on `test`.
 * Deterministic: no random init, no sampling.
 */
export async function linearProbe(train: Features, test: Features, options: LinearProbeOptions = {}): Promise<Metrics> {
  return probeMetrics(test, await linearProbeScores(train, test, options));
}

/** The linear probe's class scores on `test`, in `evaluate`'s layout (see `linearProbe`). */
export async function linearProbeScores(train: Features, test: Features, options: LinearProbeOptions = {}): Promise<Float32Array> {
  const { steps = 300, lr = 0.01, weightDecay = 1e-4 } = options;
  const k = train.classes;
  const d = train.dim;
  const nTrain = train.labels.length;
  const xs = tf.tensor2d(train.x, [nTrain, d]);
  const mean = tf.mean(xs, 0);
  const std = tf.sqrt(tf.add(tf.mean(tf.square(tf.sub(xs, mean)), 0), 1e-6));
  const xTrain = tf.div(tf.sub(xs, mean), std) as tf.Tensor2D;
  const yTrain = tf.cast(tf.oneHot(tf.tensor1d(train.labels, 'int32'), k), 'float32');
  const w = tf.variable(tf.zeros([d, k]));
  const b = tf.variable(tf.zeros([k]));
  const opt = tf.train.adam(lr);
  try {
    for (let s = 0; s < steps; s++) {
      opt.minimize(() => tf.losses.softmaxCrossEntropy(yTrain, linear(xTrain, w as tf.Tensor2D, b as tf.Tensor1D)) as tf.Scalar, false, [w, b]);
      tf.tidy(() => w.assign(tf.mul(w, 1 - lr * weightDecay)));
    }
    const nTest = test.labels.length;
    const probs = tf.tidy(() => {
      const xt = tf.div(tf.sub(tf.tensor2d(test.x, [nTest, d]), mean), std) as tf.Tensor2D;
      return tf.softmax(linear(xt, w as tf.Tensor2D, b as tf.Tensor1D));
    });
    const p = (await probs.data()) as Float32Array;
    probs.dispose();
    return asScores(p, nTest, k);
  } finally {
    tf.dispose([xs, mean, std, xTrain, yTrain, w, b]);
    opt.dispose();
  }
}

/**
 * Weighted k-nearest-neighbour classification on cosine similarity (DINO's protocol): each of the k nearest
 * training examples votes for its class with weight exp(similarity / temperature); the normalised votes are the
 * class scores. Defaults k = 20, temperature 0.07.
 */
export async function knnProbe(train: Features, test: Features, options: KnnOptions = {}): Promise<Metrics> {
  return probeMetrics(test, await knnProbeScores(train, test, options));
}

/** Options of `knnProbe`: neighbours (default 20) and the vote temperature (default 0.07). */
export interface KnnOptions {
  k?: number;
  temperature?: number;
}

/** The kNN probe's class scores on `test`, in `evaluate`'s layout (see `knnProbe`). */
export async function knnProbeScores(train: Features, test: Features, options: KnnOptions = {}): Promise<Float32Array> {
  const { temperature = 0.07 } = options;
  const classes = train.classes;
  const nTrain = train.labels.length;
  const nTest = test.labels.length;
  const k = Math.min(options.k ?? 20, nTrain);
  const unit = (x: Float32Array, n: number) => tf.tidy(() => {
    const t = tf.tensor2d(x, [n, train.dim]);
    return tf.div(t, tf.add(tf.norm(t, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
  });
  // [D, N_train], transposed once: wasm's fast matmul takes no transpose flags (see platform notes).
  const a = tf.tidy(() => tf.transpose(unit(train.x, nTrain)) as tf.Tensor2D);
  const probs = new Float32Array(nTest * classes);
  try {
    const chunk = 512;
    for (let start = 0; start < nTest; start += chunk) {
      const m = Math.min(chunk, nTest - start);
      const q = unit(test.x.subarray(start * train.dim, (start + m) * train.dim), m);
      const top = tf.tidy(() => tf.topk(matMul2d(q, a), k));
      const [vals, idx] = [(await top.values.data()) as Float32Array, (await top.indices.data()) as Int32Array];
      tf.dispose([q, top.values, top.indices]);
      for (let i = 0; i < m; i++) {
        let total = 0;
        const row = (start + i) * classes;
        for (let j = 0; j < k; j++) {
          const wgt = Math.exp(vals[i * k + j] / temperature);
          probs[row + train.labels[idx[i * k + j]]] += wgt;
          total += wgt;
        }
        for (let c = 0; c < classes; c++) probs[row + c] /= total;
      }
    }
  } finally {
    a.dispose();
  }
  return asScores(probs, nTest, classes);
}

/** Every metric of probe scores on `test` (scores in `evaluate`'s layout). */
export function probeMetrics(test: Pick<Features, 'labels' | 'classes'>, scores: Float32Array): Metrics {
  return evaluate(kindOf(test.classes), test.labels, scores, test.classes);
}

/** Per test image: 1 where the probe's top class is the label, else 0. */
function hits(test: Pick<Features, 'labels' | 'classes'>, scores: Float32Array): Uint8Array {
  const k = test.classes;
  return Uint8Array.from(test.labels, (y, i) => {
    if (k === 2) return Number((scores[i] >= 0.5 ? 1 : 0) === y);
    return Number(argmax(scores, i * k, k) === y);
  });
}

/** The figure a probe is read by (`probeMetric`) on a subset of test images, given by index (repeats allowed). */
function probeFigure(test: Pick<Features, 'labels' | 'classes'>, scores: Float32Array): (indices: readonly number[]) => number {
  if (probeMetric(test.classes) === 'auc') return (idx) => binaryAuc(idx.map((i) => test.labels[i]), idx.map((i) => scores[i]));
  const h = hits(test, scores);
  return (idx) => idx.reduce((a, i) => a + h[i], 0) / idx.length;
}

/**
 * The probe's figure (AUC for two classes, accuracy for more) with a bootstrap 95% interval over the test images;
 * with `baseline` (another probe's scores on the same test images, e.g. another backbone's), the paired
 * difference `scores − baseline` with its interval, from the same resamples.
 */
export function probeEstimate(test: Pick<Features, 'labels' | 'classes'>, scores: Float32Array, options: BootstrapOptions & { baseline?: Float32Array } = {}): Estimate {
  const figure = probeFigure(test, scores);
  if (!options.baseline) return bootstrap(test.labels.length, figure, options);
  if (options.baseline.length !== scores.length) throw new Error(`probeEstimate: ${options.baseline.length} baseline scores for ${scores.length} scores; both probes must score the same test images.`);
  const base = probeFigure(test, options.baseline);
  return bootstrap(test.labels.length, (idx) => figure(idx) - base(idx), options);
}
