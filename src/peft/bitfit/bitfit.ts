/**
 * BitFit (Ben Zaken et al. 2022): train only the backbone's bias terms (every linear's bias and every
 * LayerNorm's beta, as in the paper), plus the head. No new modules: the target parameters are the backbone's
 * own bias variables, so a training step changes them in place.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ParamLayout } from '../../model/layout';
import { HEAD_PARAMS, type ViT } from '../../model/vit';
import type { PeftMethod, PeftModule } from '../method';
import { checkOptions } from '../options';

/** BitFit has no settings. */
export interface BitFitConfig {
  readonly method: 'bitfit';
}

/** The only BitFit config. */
export const BITFIT_DEFAULTS: BitFitConfig = Object.freeze({ method: 'bitfit' });

/** Throw on unknown fields. */
export function validateBitFitConfig(c: BitFitConfig): void {
  checkOptions('bitfit', c, []);
}

function applyBitFit(model: ViT): PeftModule {
  const params = new Map<string, tf.Variable>();
  const layouts = new Map<string, ParamLayout>();
  for (const [name, v] of model.params) {
    if (name.endsWith('.bias') && !(HEAD_PARAMS as readonly string[]).includes(name)) {
      params.set(name, v);
      layouts.set(name, 'plain');
    }
  }
  const points = [`${params.size} backbone bias vectors trained in place (linear biases and LayerNorm betas): ${[...params.keys()].join(', ')}`];
  return { hooks: {}, params, layouts, ownsParams: false, insertionPoints: points };
}

/** The BitFit method for the registry. */
export const BITFIT: PeftMethod<BitFitConfig> = {
  name: 'bitfit',
  description: 'BitFit: only the backbone biases (and the head) are trained',
  options: [],
  defaults: BITFIT_DEFAULTS,
  validate: validateBitFitConfig,
  apply: (model) => applyBitFit(model),
};
