/**
 * One training step, the only copy: the loss and gradients of a batch (`computeGradients`, on this thread; a
 * worker thread calls the same function on its slice), then `trainStep`: a non-finite check that stops before
 * any update (`NonFiniteLossError`), clipping to a global norm, and the AdamW update. `fit()` (src/train/loop.ts),
 * the worker gradient source (src/parallel) and `tpp-lab bench` (src/bench) all step through here, so they train
 * the same way and a faster bench step means a faster training step.
 *
 * This module imports nothing from src/train or src/parallel (both import it).
 */
import { tf } from '../backend';
import { withTrainable } from '../model/dense';
import type { AdamW } from './optimizer';

/** Loss and gradients of one batch. Gradients are keyed by parameter name and belong to the caller. */
export interface LossAndGrads {
  /** Mean loss of the batch. */
  loss: number;
  /** Gradient of that loss w.r.t. each trainable parameter, same shape as the parameter. */
  grads: Map<string, tf.Tensor>;
}

/**
 * The mean loss `loss()` returns and its gradients w.r.t. `params` (by name), computed on this thread with
 * `tf.variableGrads`. Inside, `withTrainable` tells the dense layers which weights train, so frozen weights get
 * no weight-gradient matmul (the gradients of `params` are unchanged).
 */
export async function computeGradients(params: Map<string, tf.Variable>, loss: () => tf.Scalar): Promise<LossAndGrads> {
  const vars = [...params.values()];
  const byVarName = new Map([...params].map(([n, v]) => [v.name, n]));
  const { value, grads } = withTrainable(vars, () => tf.variableGrads(loss, vars));
  const lossValue = (await value.data())[0];
  value.dispose();
  const named = new Map<string, tf.Tensor>();
  for (const [varName, g] of Object.entries(grads)) named.set(byVarName.get(varName)!, g);
  return { loss: lossValue, grads: named };
}

/** Thrown when the loss is NaN or infinite; names the stage, the step, the epoch (when known) and the learning rate. */
export class NonFiniteLossError extends Error {
  constructor(readonly stage: string, readonly step: number, readonly epoch: number | undefined, readonly lr: number, readonly value: number) {
    super(
      `${stage}: the loss became ${value} at step ${step} (${epoch === undefined ? '' : `epoch ${epoch + 1}, `}learning rate ${lr.toExponential(2)}). ` +
        'The run stopped before applying that update, so the last checkpoint is intact. Try a lower --lr, a longer warm-up, ' +
        'or check the input data for NaN values.',
    );
    this.name = 'NonFiniteLossError';
  }
}

/** What one step needs besides the gradients: its learning rate and clipping, and where it is (for the error). */
export interface StepSettings {
  lr: number;
  /** Clip gradients to this global L2 norm (default 1; 0 disables). */
  clipNorm?: number;
  /** Stage name for `NonFiniteLossError` (`pretrain`, `tpp`, `finetune`, `bench`). */
  stage: string;
  /** Global step, 0-based (the error reports it 1-based). */
  step: number;
  /** Epoch, 0-based, when the caller has epochs. */
  epoch?: number;
}

/**
 * One training step: the loss and gradients from `gradients()` (e.g. `computeGradients`, or a worker pool's),
 * a non-finite check (throws `NonFiniteLossError` before any update), clipping to `clipNorm`, and the AdamW
 * update of `opt`'s parameters at `lr`. Disposes the gradients whatever happens; returns the loss.
 */
export async function trainStep(gradients: () => Promise<LossAndGrads>, opt: AdamW, settings: StepSettings): Promise<number> {
  const { loss, grads } = await gradients();
  try {
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(settings.stage, settings.step + 1, settings.epoch, settings.lr, loss);
    opt.apply(grads, settings.lr, settings.clipNorm ?? 1);
    return loss;
  } finally {
    tf.dispose([...grads.values()]);
  }
}
