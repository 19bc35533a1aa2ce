/**
 * `runBench`: time steps of a bench task (task.ts) on random data after warm-up, on this thread or split over
 * `worker_threads` workers. A timed step is the training step `fit()` runs (src/step/step.ts: gradients, the
 * non-finite check, clipping at norm 1, AdamW with fit()'s weight decay), at a constant learning rate.
 */
import { initBackend, tf } from '../backend';
import { explainWasmError, ownKernelsActive } from '../kernels/wasm';
import type { PresetName } from '../model/config';
import { localGradients, trainableOf, type GradientSource } from '../parallel/gradients';
import type { GradTask, HostBatch } from '../parallel/task';
import { WorkerGradients } from '../parallel/workers';
import { AdamW } from '../step/optimizer';
import { trainStep } from '../step/step';
import { BENCH_BATCH, createBenchTask, type BenchShape, type BenchVariant } from './task';

/** Settings of a bench training step: fit()'s defaults (weight decay 0.05, clipping at norm 1), lr constant. */
export const BENCH_STEP = Object.freeze({ lr: 1e-3, clipNorm: 1, weightDecay: 0.05 });

/** The AdamW optimiser of a bench run over the task's trainable parameters (caller disposes it). */
export function benchOptimizer(task: GradTask): AdamW {
  return new AdamW(trainableOf(task), { weightDecay: BENCH_STEP.weightDecay });
}

/** One timed training step of the bench: gradients of `batch` from `source`, then `trainStep` with `BENCH_STEP`. */
export function benchStep(source: GradientSource, opt: AdamW, batch: HostBatch, step: number): Promise<number> {
  return trainStep(() => source.compute(batch), opt, { lr: BENCH_STEP.lr, clipNorm: BENCH_STEP.clipNorm, stage: 'bench', step });
}

/** Options of `runBench`. */
export interface BenchOptions {
  preset: PresetName;
  variant: BenchVariant;
  /** Timed steps (default 20). */
  steps?: number;
  /** Untimed steps first (default 3). */
  warmup?: number;
  /** Images per step (default: the preset's, 64 for `tutorial`). */
  batch?: number;
  /** Threads that compute: 1 = this thread; N > 1 = N worker threads, each on a slice of the batch. */
  workers?: number;
  /** Overrides of the preset's image size, patch size or depth (default: the preset's). */
  shape?: BenchShape;
  /** Backend to force (default: the usual selection, TPP_BACKEND included). */
  backend?: string;
  seed?: number;
  /** Called after each step with its time (warm-up steps included, `warmup: true`). */
  onStep?: (info: { step: number; ms: number; warmup: boolean; numTensors: number }) => void;
}

/** What `tpp-lab bench --json` prints (keys fixed by issue 7). */
export interface BenchResult {
  backend: string;
  /** Whether the model ran on tpp-lab's own WebAssembly kernels (src/kernels; off with TPP_LAB_KERNELS=off). */
  own_kernels: boolean;
  workers: number;
  preset: string;
  variant: BenchVariant;
  batch: number;
  /** The model's shape (the preset's unless `shape` changed it). */
  image_size: number;
  patch_size: number;
  depth: number;
  steps: number;
  ms_median: number;
  ms_min: number;
  images_per_s: number;
  /** Peak resident memory of the process (workers included) in MiB. */
  rss_mb: number;
  /** Resident memory (MiB) at the start of the timed steps (after warm-up) and at the end: growth shows a leak. */
  rss_mb_start: number;
  rss_mb_end: number;
  /** Live tensors on this thread at the start of the timed steps (after warm-up) and at the end; equal unless a
   * step leaks. */
  num_tensors_start: number;
  num_tensors_end: number;
}

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`bench: ${name} must be a whole number >= ${min}, got ${v}.`);
}

/** Time `steps` steps of `variant` on `preset` and return the statistics. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const steps = options.steps ?? 20;
  const warmup = options.warmup ?? 3;
  const batch = options.batch ?? BENCH_BATCH[options.preset];
  const workers = options.workers ?? 1;
  checkCount('steps', steps, 1);
  checkCount('warmup', warmup, 0);
  checkCount('batch', batch, 1);
  checkCount('workers', workers, 1);
  if (workers > batch) throw new Error(`bench: ${workers} workers need a batch of at least ${workers} images (got ${batch}).`);
  const report = await initBackend({ backend: options.backend, warn: () => {} });
  const seed = options.seed ?? 0;
  const task = createBenchTask({ preset: options.preset, variant: options.variant, seed, ...(options.shape ? { shape: options.shape } : {}) });
  let source: GradientSource | null = null;
  let opt: AdamW | null = null;
  let failure: unknown;
  try {
    const training = options.variant !== 'fwd';
    if (training) {
      opt = benchOptimizer(task);
      source = workers > 1 ? await WorkerGradients.start(task, workers, { backend: report.name }) : localGradients(task);
    } else if (workers > 1) {
      source = await WorkerGradients.start(task, workers, { backend: report.name });
    }
    const times: number[] = [];
    let afterWarmup = 0;
    let rssStart = 0;
    for (let i = 0; i < warmup + steps; i++) {
      if (i === warmup) rssStart = process.memoryUsage.rss();
      const b = task.makeBatch(batch, i);
      const t0 = performance.now();
      if (training) await benchStep(source!, opt!, b, i);
      else if (source) (await (source as WorkerGradients).forward(b)).dispose();
      else {
        const y = tf.tidy(() => task.forward(b));
        await y.data();
        y.dispose();
      }
      const ms = performance.now() - t0;
      if (i >= warmup) times.push(ms);
      if (i === warmup - 1 || (warmup === 0 && i === 0)) afterWarmup = tf.memory().numTensors;
      options.onStep?.({ step: i, ms, warmup: i < warmup, numTensors: tf.memory().numTensors });
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
    const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
    const { imageSize, patchSize, depth } = task.config;
    // The end sample first, then the peak: the kernel's high-water mark and /proc's RSS are counted apart and can
    // disagree by a few pages, so the peak reported is never below a sample this run took.
    const rssEnd = process.memoryUsage.rss();
    const peak = Math.max(process.resourceUsage().maxRSS * 1024, rssStart, rssEnd);
    return {
      backend: report.name,
      own_kernels: ownKernelsActive(),
      workers,
      preset: options.preset,
      variant: options.variant,
      batch,
      image_size: imageSize,
      patch_size: patchSize,
      depth,
      steps,
      ms_median: round(median),
      ms_min: round(times[0]),
      images_per_s: round((batch * 1000) / median, 1),
      rss_mb: mib(peak),
      rss_mb_start: mib(rssStart),
      rss_mb_end: mib(rssEnd),
      num_tensors_start: afterWarmup,
      num_tensors_end: tf.memory().numTensors,
    };
  } catch (e) {
    failure = e;
    throw explainWasmError(e);
  } finally {
    // After a failed step (e.g. the wasm heap ran out), cleaning up may fail too: keep the first error.
    try {
      if (source) await source.dispose();
      opt?.dispose();
      task.dispose();
    } catch (e) {
      if (failure === undefined) throw e;
    }
  }
}
