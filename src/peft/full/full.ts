/**
 * Full fine-tuning baseline: every trainable backbone parameter is a target (fixed sin-cos position embeddings
 * excepted), plus the head.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ParamLayout } from '../../model/layout';
import { HEAD_PARAMS, type ViT } from '../../model/vit';
import type { PeftMethod, PeftModule } from '../method';
import { checkOptions } from '../options';

/** Full fine-tuning has no settings. */
export interface FullConfig {
  readonly method: 'full';
}

/** The only full fine-tuning config. */
export const FULL_DEFAULTS: FullConfig = Object.freeze({ method: 'full' });

function applyFull(model: ViT): PeftModule {
  const params = new Map<string, tf.Variable>();
  const layouts = new Map<string, ParamLayout>();
  for (const [name, v] of model.trainableParameters()) {
    if ((HEAD_PARAMS as readonly string[]).includes(name)) continue;
    params.set(name, v);
    layouts.set(name, model.layouts.get(name)!);
  }
  return { hooks: {}, params, layouts, ownsParams: false, insertionPoints: [`all ${params.size} trainable backbone tensors trained in place`] };
}

/** The full fine-tuning baseline for the registry. */
export const FULL: PeftMethod<FullConfig> = {
  name: 'full',
  description: 'Full fine-tuning: every backbone weight and the head are trained',
  options: [],
  defaults: FULL_DEFAULTS,
  validate: (c) => checkOptions('full', c, []),
  apply: (model) => applyFull(model),
};
