/**
 * Small pieces the stages share: image batches for a stage (ordered by `epochSeed`, src/step/seed.ts), `fit` with
 * what every stage passes the same way, prediction over a dataset, and the pixel normalisation that travels with
 * a backbone.
 */
import { tf } from '../backend';
import { Batch, batches, computeNormalization, Normalization, numBatches, type SegBatch } from '../data/sets/batches';
import type { Dataset } from '../data/sets/dataset';
import type { SegDataset } from '../data/sets/segmentation';
import type { AugmentOptions } from '../data/sets/augment';
import type { StageFiles } from '../io/stage-files';
import { fit, type FitResult, type FitSpec, type TrainProgress } from './loop';
import { epochSeed } from '../step/seed';

/** The run settings every stage (pretrain, tpp, finetune) takes; each stage's options extend these. */
export interface StageRunOptions {
  /** Epochs, batch size and learning rate default to the stage's `STAGE_DEFAULTS` (./defaults). */
  epochs?: number;
  batchSize?: number;
  /** Peak learning rate (AdamW, warm-up then cosine decay). */
  lr?: number;
  seed?: number;
  /** Output folder: the checkpoint after each epoch and the stage's files. */
  outDir?: string;
  /** Continue from the checkpoint in `outDir`. */
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
}

/**
 * Batches of `ds` for one epoch: shuffled by (seed, epoch), normalised, optionally augmented. The last short
 * batch is dropped when the dataset holds at least one full batch (steady batch statistics for training).
 */
export function epochBatches(ds: SegDataset, batchSize: number, seed: number, epoch: number, normalization: Normalization, augment?: boolean | AugmentOptions): Iterable<SegBatch>;
export function epochBatches(ds: Dataset, batchSize: number, seed: number, epoch: number, normalization: Normalization, augment?: boolean | AugmentOptions): Iterable<Batch>;
export function epochBatches(ds: Dataset | SegDataset, batchSize: number, seed: number, epoch: number, normalization: Normalization, augment: boolean | AugmentOptions = false): Iterable<Batch> {
  const dropLast = ds.images.shape[0] >= batchSize;
  return batches(ds as Dataset, batchSize, { shuffle: true, seed: epochSeed(seed, epoch), normalization, augment, dropLast, labelEncoding: 'index' });
}

/** How many batches `epochBatches` yields. */
export function stepsPerEpoch(ds: Pick<Dataset, 'images'>, batchSize: number): number {
  return numBatches(ds, batchSize, ds.images.shape[0] >= batchSize);
}

/** What `fitStage` fills in itself. */
type StageFilled = 'batchSize' | 'dispose' | 'checkpointPath' | 'resume' | 'signal' | 'onProgress';

/**
 * `fit` as every stage calls it: image batches (their size, their disposal), the checkpoint in the stage's
 * output folder, and `resume`, `signal`, `onProgress` from the run options.
 */
export function fitStage<B extends Batch>(run: StageRunOptions, files: StageFiles | undefined, spec: Omit<FitSpec<B>, StageFilled>): Promise<FitResult> {
  return fit<B>({
    ...spec, batchSize: (b) => b.x.shape[0], dispose: (b) => tf.dispose([b.x, b.y]),
    checkpointPath: files?.checkpoint, resume: run.resume, signal: run.signal, onProgress: run.onProgress,
  });
}

/** Normalisation stored with a backbone (from its pre-training pool), or computed from `ds` when absent. */
export function normalizationFrom(metadata: Record<string, unknown> | null | undefined, ds: Dataset): Normalization {
  const n = metadata?.normalization as Normalization | undefined;
  if (n && Array.isArray(n.mean) && Array.isArray(n.std)) {
    const c = ds.images.shape[3];
    if (n.mean.length === c) return n;
    // A grey backbone's statistics for RGB data (or the reverse): use their average per channel.
    const mean = n.mean.reduce((a, b) => a + b, 0) / n.mean.length;
    const std = n.std.reduce((a, b) => a + b, 0) / n.std.length;
    return { mean: new Array(c).fill(mean), std: new Array(c).fill(std) };
  }
  return computeNormalization(ds);
}

/**
 * Run `predict` over `ds` in batches (no augmentation, dataset order) and gather its outputs `[N, K]` row-major.
 * Reads are asynchronous so this works on every backend.
 */
export async function predictAll(ds: Dataset, batchSize: number, normalization: Normalization, predict: (x: tf.Tensor4D) => tf.Tensor2D): Promise<{ scores: Float32Array; width: number }> {
  const parts: Float32Array[] = [];
  let width = 0;
  for (const b of batches(ds, batchSize, { normalization, labelEncoding: 'index' })) {
    const out = tf.tidy(() => predict(b.x));
    width = out.shape[1];
    parts.push((await out.data()) as Float32Array);
    tf.dispose([out, b.x, b.y]);
  }
  const scores = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    scores.set(p, at);
    at += p.length;
  }
  return { scores, width };
}
