/** Linear probe baseline: the backbone is frozen and only the head is trained (no target parameters). */
import type * as tf from '@tensorflow/tfjs';
import type { ParamLayout } from '../../model/layout';
import type { PeftMethod } from '../method';
import { checkOptions } from '../options';

/** Linear probing has no settings. */
export interface LinearProbeConfig {
  readonly method: 'linear-probe';
}

/** The only linear-probe config. */
export const LINEAR_PROBE_DEFAULTS: LinearProbeConfig = Object.freeze({ method: 'linear-probe' });

/** The linear-probe baseline for the registry. */
export const LINEAR_PROBE: PeftMethod<LinearProbeConfig> = {
  name: 'linear-probe',
  description: 'Linear probe: frozen backbone, only the head is trained',
  options: [],
  defaults: LINEAR_PROBE_DEFAULTS,
  validate: (c) => checkOptions('linear-probe', c, []),
  apply: () => ({
    hooks: {},
    params: new Map<string, tf.Variable>(),
    layouts: new Map<string, ParamLayout>(),
    ownsParams: false,
    insertionPoints: ['none: only head.weight and head.bias are trained'],
  }),
};
