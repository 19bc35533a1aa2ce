/**
 * What a gradient worker computes: a `GradTask` (parameters by name, the trainable names, a loss of a host
 * batch) and a `TaskRef` that rebuilds the same task inside a worker thread (module path, factory name,
 * JSON options). Batches travel as `HostBatch`: plain typed arrays, rows first, sliceable without copies.
 */
import type { tf } from '../backend';

/**
 * A batch as host arrays, rows first: `n` examples; every array holds `n` equal rows. Names used in this
 * project: `images` `[n, H, W, C]`, `labels` `[n]` or `[n, K]`, `keep` `[n, K]` and `mask` `[n, L]` (MAE masks).
 */
export interface HostBatch {
  n: number;
  arrays: Record<string, Float32Array | Int32Array>;
}

/** Rows `[start, end)` of a batch (views, no copy). */
export function sliceBatch(b: HostBatch, start: number, end: number): HostBatch {
  const arrays: Record<string, Float32Array | Int32Array> = {};
  for (const [k, a] of Object.entries(b.arrays)) {
    const row = a.length / b.n;
    arrays[k] = a.subarray(start * row, end * row);
  }
  return { n: end - start, arrays };
}

/** How a worker thread rebuilds a task: `require(module)[factory](options)`; options must be JSON-safe. */
export interface TaskRef {
  /** Absolute path of the module (TypeScript is fine: workers register tsx). */
  module: string;
  factory: string;
  options: unknown;
}

/** A model's work for one training set-up: its parameters and the mean loss of a host batch. */
export interface GradTask {
  /** How to rebuild this task in a worker (its weights are then sent over). */
  readonly ref: TaskRef;
  /** Every variable the model reads (frozen ones included), by name. */
  readonly params: Map<string, tf.Variable>;
  /** Names of the variables training updates (a subset of `params`' keys; empty for inference). */
  readonly trainable: string[];
  /** Mean loss of the batch, a scalar; call inside `tf.tidy` or a gradient function. */
  loss(batch: HostBatch): tf.Scalar;
  /** Inference output `[n, ...]`; call inside `tf.tidy`. */
  forward(batch: HostBatch): tf.Tensor;
  dispose(): void;
}
