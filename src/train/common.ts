/**
 * Small pieces the stages share: image batches for a stage (ordered by `epochSeed`, src/step/seed.ts), `fit` with
 * what every stage passes the same way, prediction over a dataset, and the pixel normalisation that travels with
 * a backbone.
 */
import { initBackend, tf } from '../backend';
import { Batch, batches, computeNormalization, Normalization, numBatches, type SegBatch } from '../data/sets/batches';
import type { Dataset } from '../data/sets/dataset';
import type { SegDataset } from '../data/sets/segmentation';
import type { AugmentOptions } from '../data/sets/augment';
import type { FileStore } from '../io/store';
import { fit, type FitResult, type FitSpec, type TrainProgress } from './loop';
import { epochSeed } from '../step/seed';
import type { GradientSource, StartWorkers } from '../parallel/gradients';
import type { GradTask } from '../parallel/task';

/** The run settings every stage (pretrain, tpp, finetune) takes; each stage's options extend these. */
export interface StageRunOptions {
  /** Epochs, batch size and learning rate default to the stage's `STAGE_DEFAULTS` (./defaults). */
  epochs?: number;
  batchSize?: number;
  /** Peak learning rate (AdamW, warm-up then cosine decay). */
  lr?: number;
  seed?: number;
  /**
   * Where the stage keeps the checkpoint after each epoch and saves its files (an adapter, a backbone): under Node
   * `stageFiles(outDir)` (src/io/stage-files.ts), in a web page `memoryStore()` (src/io/store.ts). Left out, the stage
   * saves nothing and returns what it trained.
   */
  files?: FileStore;
  /** Continue from the checkpoint in `files` when there is one. */
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
type StageFilled = 'batchSize' | 'dispose' | 'files' | 'resume' | 'signal' | 'onProgress';

/**
 * `fit` as every stage calls it: image batches (their size, their disposal), the checkpoint in the stage's
 * file store, and `resume`, `signal`, `onProgress` from the run options.
 */
export function fitStage<B extends Batch>(run: StageRunOptions, spec: Omit<FitSpec<B>, StageFilled>): Promise<FitResult> {
  return fit<B>({
    ...spec, batchSize: (b) => b.x.shape[0], dispose: (b) => tf.dispose([b.x, b.y]),
    files: run.files, resume: run.resume, signal: run.signal, onProgress: run.onProgress,
  });
}

/** How a stage that can split each batch over threads is told to (pretraining, classification fine-tuning). */
export interface WorkerOptions {
  /**
   * Threads that compute gradients (default 1: this thread). N > 1 splits each batch over N worker threads
   * started by `startWorkers`, each with its own backend; the weights trained are the same up to float rounding.
   * Worth it on wasm with idle cores; on a GPU backend keep 1.
   */
  workers?: number;
  /** Starts the threads for `workers` > 1: under Node `startWorkerGradients` (src/parallel/workers.ts). */
  startWorkers?: StartWorkers;
}

/**
 * The worker pool of `o` for the stage's gradient task (built by `task` only when needed), or null for one thread;
 * the caller disposes it. A bad `workers`, or `workers` > 1 without `startWorkers`, is an error naming the fix.
 */
export async function stageWorkers(stage: string, o: WorkerOptions, task: () => GradTask): Promise<GradientSource | null> {
  const workers = o.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`${stage}: workers must be a whole number >= 1, got ${workers}.`);
  if (workers === 1) return null;
  if (!o.startWorkers) throw new Error(`${stage}: workers = ${workers} needs startWorkers, which starts the threads (under Node startWorkerGradients, exported by src/index); or leave workers at 1.`);
  return o.startWorkers(task(), workers, { backend: (await initBackend({ warn: () => {} })).name });
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
