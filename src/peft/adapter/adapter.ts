/**
 * Bottleneck adapters: `up(act(down(h)))` with the up-projection (weight and bias) initialised to zero, so the
 * model is unchanged at init.
 * - parallel (AdaptFormer): MLP branch output `m` becomes `m + scale * adapter(x)`, where x is the block's stream
 *   entering the MLP branch (before norm2); ReLU inside, as in AdaptFormer. Names `blocks.i.adaptmlp.down_proj.*`,
 *   `blocks.i.adaptmlp.up_proj.*`.
 * - sequential (Houlsby): each branch output `h` (after attn.proj, after mlp.fc2) becomes `h + adapter(h)` before
 *   the residual add; GELU inside. Names `blocks.i.adapter_attn.*` and `blocks.i.adapter_mlp.*`.
 */
import * as tf from '@tensorflow/tfjs';
import { gelu, linear } from '../../model/dense';
import type { BranchName } from '../../model/hooks';
import { uniform } from '../../model/init';
import type { ParamLayout } from '../../model/layout';
import type { ViT } from '../../model/vit';
import { newVariable, type ApplyOptions, type PeftMethod, type PeftModule } from '../method';
import { ADAPTER_DEFAULTS, ADAPTER_OPTIONS, validateAdapterConfig, type AdapterConfig } from './config';

interface Bottleneck {
  down: tf.Variable;
  downBias: tf.Variable;
  up: tf.Variable;
  upBias: tf.Variable;
}

function applyAdapter(model: ViT, config: AdapterConfig, options: ApplyOptions): PeftModule {
  validateAdapterConfig(config);
  const d = model.config.dim;
  const bn = config.bottleneck;
  if (bn > d) throw new Error(`adapter config: bottleneck ${bn} is wider than the model width ${d}; use a bottleneck ≤ ${d}.`);
  const params = new Map<string, tf.Variable>();
  const layouts = new Map<string, ParamLayout>();
  const points: string[] = [];
  const modules = new Map<string, Bottleneck>(); // key `${block}.${branch}`

  const make = (prefix: string): Bottleneck => {
    const m: Bottleneck = {
      down: newVariable(uniform(d * bn, 1 / Math.sqrt(d), options.seed, `${prefix}.down_proj.weight`), [d, bn]),
      downBias: newVariable(new Float32Array(bn), [bn]),
      up: newVariable(new Float32Array(bn * d), [bn, d]),
      upBias: newVariable(new Float32Array(d), [d]),
    };
    const entries: Array<[string, tf.Variable, ParamLayout]> = [
      [`${prefix}.down_proj.weight`, m.down, 'linear'],
      [`${prefix}.down_proj.bias`, m.downBias, 'plain'],
      [`${prefix}.up_proj.weight`, m.up, 'linear'],
      [`${prefix}.up_proj.bias`, m.upBias, 'plain'],
    ];
    for (const [name, v, layout] of entries) {
      params.set(name, v);
      layouts.set(name, layout);
    }
    return m;
  };

  for (let i = 0; i < model.config.depth; i++) {
    if (config.style === 'parallel') {
      modules.set(`${i}.mlp`, make(`blocks.${i}.adaptmlp`));
      points.push(`blocks.${i}.adaptmlp: bottleneck ${d}→${bn}→${d} (ReLU) beside blocks.${i}.mlp, scale ${config.scale}`);
    } else {
      modules.set(`${i}.attn`, make(`blocks.${i}.adapter_attn`));
      modules.set(`${i}.mlp`, make(`blocks.${i}.adapter_mlp`));
      points.push(`blocks.${i}.adapter_attn: bottleneck ${d}→${bn}→${d} (GELU, skip) after blocks.${i}.attn.proj`);
      points.push(`blocks.${i}.adapter_mlp: bottleneck ${d}→${bn}→${d} (GELU, skip) after blocks.${i}.mlp.fc2`);
    }
  }

  const run = (m: Bottleneck, x: tf.Tensor2D, act: (t: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D =>
    linear(act(linear(x, m.down as tf.Tensor2D, m.downBias as tf.Tensor1D)), m.up as tf.Tensor2D, m.upBias as tf.Tensor1D);

  const afterBranch = (block: number, branch: BranchName, residual: tf.Tensor2D, output: tf.Tensor2D): tf.Tensor2D => {
    const m = modules.get(`${block}.${branch}`);
    if (!m) return output;
    if (config.style === 'parallel') {
      return tf.add(output, tf.mul(run(m, residual, (t) => tf.relu(t)), config.scale)) as tf.Tensor2D;
    }
    return tf.add(output, run(m, output, (t) => gelu(t))) as tf.Tensor2D;
  };

  return { hooks: { afterBranch }, params, layouts, ownsParams: true, insertionPoints: points };
}

/** The adapter method for the registry. */
export const ADAPTER: PeftMethod<AdapterConfig> = {
  name: 'adapter',
  description: 'Bottleneck adapters: parallel (AdaptFormer) or sequential (Houlsby), zero-initialised up-projection',
  options: ADAPTER_OPTIONS,
  defaults: ADAPTER_DEFAULTS,
  validate: validateAdapterConfig,
  apply: applyAdapter,
};
