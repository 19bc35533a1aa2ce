/**
 * Gradient sources: where a training step gets the loss and the gradients of the trainable parameters of a
 * batch. `localGradients` differentiates on this thread; `WorkerGradients` (workers.ts) splits the batch over
 * `worker_threads` workers. A step then clips and applies AdamW on this thread either way (`trainStep`), so
 * both sources train the same way and give the same weights up to float rounding.
 */
import { tf } from '../backend';
import type { GradTask, HostBatch } from './task';
import { withTrainable } from '../model/dense';
import { AdamW, clipByGlobalNorm } from '../train/optimizer';

/** Loss and gradients of one batch. Gradients are keyed by parameter name and belong to the caller. */
export interface LossAndGrads {
  loss: number;
  grads: Map<string, tf.Tensor>;
}

/** Something that computes the mean loss of a batch and its gradients w.r.t. the task's trainable parameters. */
export interface GradientSource {
  /** How many threads compute (1 for the local source). */
  readonly workers: number;
  compute(batch: HostBatch): Promise<LossAndGrads>;
  dispose(): Promise<void>;
}

/** Gradients computed on this thread with `tf.variableGrads` (what `fit()` does). */
export function localGradients(task: GradTask): GradientSource {
  const vars = task.trainable.map((n) => task.params.get(n)!);
  const byVarName = new Map(task.trainable.map((n) => [task.params.get(n)!.name, n]));
  return {
    workers: 1,
    async compute(batch) {
      const { value, grads } = withTrainable(vars, () => tf.variableGrads(() => task.loss(batch), vars));
      const loss = (await value.data())[0];
      value.dispose();
      const named = new Map<string, tf.Tensor>();
      for (const [varName, g] of Object.entries(grads)) named.set(byVarName.get(varName)!, g);
      return { loss, grads: named };
    },
    async dispose() {},
  };
}

/** Optimiser settings of `trainStep` (fit()'s defaults). */
export interface StepSettings {
  lr: number;
  /** Clip to this global norm; 0 disables (fit()'s default is 1). */
  clipNorm: number;
}

/**
 * One training step as `fit()` runs it: loss and gradients from `source`, a non-finite check, clipping,
 * the AdamW update of `opt`'s parameters. Returns the loss.
 */
export async function trainStep(source: GradientSource, opt: AdamW, batch: HostBatch, settings: StepSettings): Promise<number> {
  const { loss, grads } = await source.compute(batch);
  let named = grads;
  try {
    if (!Number.isFinite(loss)) throw new Error(`The loss became ${loss}; lower the learning rate or check the data.`);
    if (settings.clipNorm !== 0) {
      const clipped = clipByGlobalNorm(named, settings.clipNorm);
      tf.dispose([...named.values(), clipped.norm]);
      named = clipped.grads;
    }
    opt.apply(named, settings.lr);
    return loss;
  } finally {
    tf.dispose([...named.values()]);
  }
}
