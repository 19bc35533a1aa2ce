/**
 * SSF: after each chosen op, `y * gamma + beta` per output channel, with gamma = 1 and beta = 0 at init (identity).
 * Names `<op>.ssf_scale` and `<op>.ssf_shift`, e.g. `blocks.0.attn.qkv.ssf_scale` `[3D]`.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamLayout } from '../../model/layout';
import type { ViT } from '../../model/vit';
import { selectTargets } from '../match';
import { newVariable, type PeftMethod, type PeftModule } from '../method';
import { SSF_DEFAULTS, SSF_OPTIONS, validateSsfConfig, type SsfConfig } from './config';

/** Op sites SSF can follow in `model`, with their output widths. */
export function ssfCandidates(model: ViT): Map<string, number> {
  const { dim: d, mlpDim: f, depth } = model.config;
  const out = new Map<string, number>([['patch_embed.proj', d]]);
  for (let i = 0; i < depth; i++) {
    const b = `blocks.${i}`;
    out.set(`${b}.norm1`, d).set(`${b}.attn.qkv`, 3 * d).set(`${b}.attn.proj`, d).set(`${b}.norm2`, d).set(`${b}.mlp.fc1`, f).set(`${b}.mlp.fc2`, d);
  }
  return out.set('norm', d);
}

function applySsf(model: ViT, config: SsfConfig): PeftModule {
  validateSsfConfig(config);
  const candidates = ssfCandidates(model);
  const sites = selectTargets('ssf', [...candidates.keys()], config.targets, config.targetRegex);
  const params = new Map<string, tf.Variable>();
  const layouts = new Map<string, ParamLayout>();
  const bySite = new Map<string, { scale: tf.Variable; shift: tf.Variable }>();
  for (const site of sites) {
    const w = candidates.get(site)!;
    const scale = newVariable(new Float32Array(w).fill(1), [w]);
    const shift = newVariable(new Float32Array(w), [w]);
    params.set(`${site}.ssf_scale`, scale).set(`${site}.ssf_shift`, shift);
    layouts.set(`${site}.ssf_scale`, 'plain').set(`${site}.ssf_shift`, 'plain');
    bySite.set(site, { scale, shift });
  }
  const points = sites.map((s) => `${s}.ssf_scale/.ssf_shift: per-channel scale and shift [${candidates.get(s)}] after ${s}`);
  const afterOp = (site: string, _x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D => {
    const m = bySite.get(site);
    return m ? (tf.add(tf.mul(y, m.scale), m.shift) as tf.Tensor2D) : y;
  };
  return { hooks: { afterOp }, params, layouts, ownsParams: true, insertionPoints: points };
}

/** The SSF method for the registry. */
export const SSF: PeftMethod<SsfConfig> = {
  name: 'ssf',
  description: 'SSF: identity-initialised per-channel scale and shift after chosen ops',
  options: SSF_OPTIONS,
  defaults: SSF_DEFAULTS,
  validate: validateSsfConfig,
  apply: (model, config) => applySsf(model, config),
};
