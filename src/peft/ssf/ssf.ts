/**
 * SSF: after each chosen op, `y * gamma + beta` per output channel, with gamma = 1 and beta = 0 at init (identity).
 * Names `<op>.ssf_scale` and `<op>.ssf_shift`, e.g. `blocks.0.attn.qkv.ssf_scale` `[3D]`.
 */
import * as tf from '@tensorflow/tfjs';
import { ONES, ParamStore, ZEROS } from '../../model/params';
import { vitOpSites } from '../../model/sites';
import type { ViT } from '../../model/vit';
import { selectTargets } from '../match';
import type { ApplyOptions, PeftMethod, PeftModule } from '../method';
import { SSF_DEFAULTS, SSF_OPTIONS, validateSsfConfig, type SsfConfig } from './config';

/** Op sites SSF can follow in `model` (every op site of the ViT: model/sites.ts), with their output widths. */
export function ssfCandidates(model: ViT): Map<string, number> {
  return new Map(vitOpSites(model.config).map((s) => [s.name, s.fanOut] as [string, number]));
}

function applySsf(model: ViT, config: SsfConfig, options: ApplyOptions): PeftModule {
  validateSsfConfig(config);
  const candidates = ssfCandidates(model);
  const sites = selectTargets('ssf', [...candidates.keys()], config.targets, config.targetRegex);
  const store = new ParamStore('ssf', options.seed);
  const bySite = new Map<string, { scale: tf.Variable; shift: tf.Variable }>();
  for (const site of sites) {
    const w = candidates.get(site)!;
    bySite.set(site, { scale: store.add(`${site}.ssf_scale`, [w], ONES), shift: store.add(`${site}.ssf_shift`, [w], ZEROS) });
  }
  const points = sites.map((s) => `${s}.ssf_scale/.ssf_shift: per-channel scale and shift [${candidates.get(s)}] after ${s}`);
  const afterOp = (site: string, _x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D => {
    const m = bySite.get(site);
    return m ? (tf.add(tf.mul(y, m.scale), m.shift) as tf.Tensor2D) : y;
  };
  return { hooks: { afterOp }, params: store.params, layouts: store.layouts, ownsParams: true, insertionPoints: points };
}

/** The SSF method for the registry. */
export const SSF: PeftMethod<SsfConfig> = {
  name: 'ssf',
  description: 'SSF: identity-initialised per-channel scale and shift after chosen ops',
  options: SSF_OPTIONS,
  defaults: SSF_DEFAULTS,
  validate: validateSsfConfig,
  apply: applySsf,
};
