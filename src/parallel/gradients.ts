/**
 * Gradient sources: where a training step gets the loss and the gradients of the trainable parameters of a
 * batch. `localGradients` differentiates on this thread; `WorkerGradients` (workers.ts) splits the batch over
 * `worker_threads` workers, each of which runs the same `computeGradients` (src/step/step.ts) on its slice.
 * Either way the main thread then runs `trainStep` (src/step/step.ts: non-finite check, clipping, AdamW), so
 * both sources train the same way and give the same weights up to float rounding.
 */
import type { tf } from '../backend';
import { computeGradients, type LossAndGrads } from '../step/step';
import type { GradTask, HostBatch } from './task';

/** Something that computes the mean loss of a batch and its gradients w.r.t. the task's trainable parameters. */
export interface GradientSource {
  /** How many threads compute (1 for the local source). */
  readonly workers: number;
  compute(batch: HostBatch): Promise<LossAndGrads>;
  dispose(): Promise<void>;
}

/**
 * Starts a pool of `workers` threads computing `task`'s gradients on `backend` (under Node `startWorkerGradients`,
 * workers.ts). The training stages take one as an option, so the library core imports no thread API.
 */
export type StartWorkers = (task: GradTask, workers: number, options: { backend: string }) => Promise<GradientSource>;

/** The task's trainable parameters by name (the variables `computeGradients` differentiates). */
export function trainableOf(task: GradTask): Map<string, tf.Variable> {
  return new Map(task.trainable.map((n) => [n, task.params.get(n)!]));
}

/** Gradients computed on this thread (what `fit()` does by default). */
export function localGradients(task: GradTask): GradientSource {
  const trainable = trainableOf(task);
  return {
    workers: 1,
    compute: (batch) => computeGradients(trainable, () => task.loss(batch)),
    async dispose() {},
  };
}
