/**
 * MAE pre-training as a `GradTask` (src/parallel/task.ts), so `pretrainMAE({ workers: N })` can split each batch
 * over worker threads. The masks of a step are drawn for the whole batch on the main thread (from the same
 * per-step seed the single-thread loop uses) and travel with their rows, so every image is masked the same way
 * whichever thread computes it.
 */
import { tf } from '../backend';
import type { Batch } from '../data/sets/batches';
import { numPatches, type ViTConfig } from '../model/config';
import { createMAE, randomMasking, type DecoderConfig, type MAE, type Masking } from '../model/mae';
import { createViT } from '../model/vit';
import type { GradTask, HostBatch } from '../parallel/task';

/** What a worker needs to rebuild the MAE (JSON-safe). */
export interface PretrainTaskOptions {
  config: ViTConfig;
  decoder: DecoderConfig;
  seed: number;
  maskRatio: number;
  normPixLoss: boolean;
}

/** The MAE loss of `mae` over host batches (`images` `[n, H, W, C]`, `keep` `[n, K]`, `mask` `[n, L]`). */
export function pretrainGradTask(mae: MAE, options: PretrainTaskOptions, owned = false): GradTask {
  const { imageSize: s, channels: c } = options.config;
  const l = numPatches(options.config);
  const images = (b: HostBatch) => tf.tensor4d(b.arrays.images as Float32Array, [b.n, s, s, c]);
  const masking = (b: HostBatch): Masking => {
    const keep = b.arrays.keep as Int32Array;
    return { keep, mask: b.arrays.mask as Float32Array, n: b.n, numPatches: l, numKept: keep.length / b.n };
  };
  return {
    ref: { module: __filename, factory: 'createPretrainTask', options },
    params: new Map([...mae.encoder.params, ...mae.decoderParams]),
    trainable: [...mae.trainableParameters().keys()],
    loss: (b) => mae.forward(images(b), { masking: masking(b), normPixLoss: options.normPixLoss, training: true }).loss,
    forward: (b) => mae.forward(images(b), { masking: masking(b), normPixLoss: options.normPixLoss }).pred,
    dispose() {
      if (!owned) return;
      mae.dispose();
      mae.encoder.dispose();
    },
  };
}

/** Build the MAE of `options` (weights are placeholders until the main thread sends its own). */
export function createPretrainTask(options: PretrainTaskOptions): GradTask {
  const encoder = createViT(options.config, { seed: options.seed });
  return pretrainGradTask(createMAE(encoder, options.decoder, { seed: options.seed }), options, true);
}

/** A training batch as host arrays plus its masks, drawn with `maskSeed` exactly as `MAE.forward` would. */
export async function maskedHostBatch(b: Batch, config: ViTConfig, maskRatio: number, maskSeed: number): Promise<HostBatch> {
  const n = b.x.shape[0];
  const m = randomMasking(n, numPatches(config), maskRatio, maskSeed);
  return { n, arrays: { images: (await b.x.data()) as Float32Array, keep: m.keep, mask: m.mask } };
}
