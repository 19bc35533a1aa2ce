/**
 * Fine-tuning as a `GradTask` (src/parallel/task.ts), so `finetune({ workers: N })` can split each batch over
 * worker threads: the main thread wraps its own model (`finetuneGradTask`), and each worker rebuilds the same
 * architecture from `createFinetuneTask` and then receives every weight from the main thread.
 */
import { tf } from '../backend';
import type { Batch } from '../data/sets/batches';
import type { ViTConfig } from '../model/config';
import { createViT, type ViT } from '../model/vit';
import { applyPeft, type PeftConfig, type PeftModel } from '../peft/index';
import type { GradTask, HostBatch } from '../parallel/task';
import { taskLoss } from './objective';
import type { TaskKind } from './metrics';

/** What a worker needs to rebuild the fine-tuning model (JSON-safe). */
export interface FinetuneTaskOptions {
  /** The fine-tuned model's config (new head size included). */
  config: ViTConfig;
  method: PeftConfig;
  seed: number;
  kind: TaskKind;
  classes: number;
}

/** The fine-tuning loss of `peft` as a task over host batches (`images` `[n, H, W, C]`, `labels` rows). */
export function finetuneGradTask(model: ViT, peft: PeftModel, options: FinetuneTaskOptions, owned = false): GradTask {
  const { imageSize: s, channels: c } = model.config;
  const images = (b: HostBatch) => tf.tensor4d(b.arrays.images as Float32Array, [b.n, s, s, c]);
  const labels = (b: HostBatch) => {
    const y = b.arrays.labels;
    const shape = y.length === b.n ? [b.n] : [b.n, y.length / b.n];
    return tf.tensor(y, shape, y instanceof Int32Array ? 'int32' : 'float32');
  };
  return {
    ref: { module: __filename, factory: 'createFinetuneTask', options },
    params: new Map([...model.params, ...peft.targetParameters()]),
    trainable: [...peft.trainableParameters().keys()],
    loss: (b) => taskLoss(options.kind, peft.forward(images(b), { training: true }), labels(b), options.classes),
    forward: (b) => peft.forward(images(b)),
    dispose() {
      if (!owned) return;
      peft.dispose();
      model.dispose();
    },
  };
}

/** Build the fine-tuning model of `options` (weights are placeholders until the main thread sends its own). */
export function createFinetuneTask(options: FinetuneTaskOptions): GradTask {
  const model = createViT(options.config, { seed: options.seed });
  const peft = applyPeft(model, options.method, { seed: options.seed });
  return finetuneGradTask(model, peft, options, true);
}

/** A training batch as host arrays for the workers. */
export async function hostBatchOf(b: Batch): Promise<HostBatch> {
  const images = (await b.x.data()) as Float32Array;
  const labels = (await b.y.data()) as Float32Array | Int32Array;
  return { n: b.x.shape[0], arrays: { images, labels } };
}
