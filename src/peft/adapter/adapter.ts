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
import { ParamStore, ZEROS } from '../../model/params';
import type { ViT } from '../../model/vit';
import type { ApplyOptions, PeftMethod, PeftModule } from '../method';
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
  const store = new ParamStore('adapter', options.seed);
  const points: string[] = [];
  const modules = new Map<string, Bottleneck>(); // key `${block}.${branch}`

  // Down-projection Kaiming-uniform (bound 1/sqrt(D)); up-projection zeros, so the adapter starts as a no-op.
  const make = (prefix: string): Bottleneck => {
    store.addLinear(`${prefix}.down_proj`, d, bn, { kind: 'uniform', limit: 1 / Math.sqrt(d) });
    store.addLinear(`${prefix}.up_proj`, bn, d, ZEROS);
    const p = (name: string) => store.get(`${prefix}.${name}`);
    return { down: p('down_proj.weight'), downBias: p('down_proj.bias'), up: p('up_proj.weight'), upBias: p('up_proj.bias') };
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

  return { hooks: { afterBranch }, params: store.params, layouts: store.layouts, ownsParams: true, insertionPoints: points };
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
