/**
 * LoRA modules: for each matched module a pair A `[in, r]` (random) and B `[r, out]` (zero), adding
 * `(alpha / r) * dropout(x) A B` to the module's output. So the model is unchanged at initialisation.
 * q, k and v are virtual modules: thirds of the fused qkv output, so `blocks.i.attn.q` adds into columns
 * `[0, D)` of qkv, k into `[D, 2D)`, v into `[2D, 3D)`.
 *
 * Checkpoint names follow the module: `blocks.3.attn.qkv.lora_A` `[r, in]` and `.lora_B` `[out, r]` in PyTorch's
 * layout (peft's `lora_A.weight` / `lora_B.weight` shapes).
 */
import * as tf from '@tensorflow/tfjs';
import { linear } from '../../model/dense';
import type { ForwardContext } from '../../model/hooks';
import { ParamStore, ZEROS } from '../../model/params';
import { vitOpSites } from '../../model/sites';
import type { ViT } from '../../model/vit';
import { selectTargets } from '../match';
import type { ApplyOptions, PeftMethod, PeftModule } from '../method';
import { LORA_DEFAULTS, LORA_OPTIONS, validateLoraConfig, type LoraConfig } from './config';

/** One LoRA pair attached to an op site. */
interface LoraPair {
  name: string;
  a: tf.Variable;
  b: tf.Variable;
  /** Column range of the site's output it adds into (qkv thirds), or null for the whole output. */
  offset: number | null;
  width: number;
}

/** A module LoRA can target: a linear op site, or one of the equal parts of a fused one (q, k, v of qkv). */
export interface LoraCandidate {
  /** Module name: the site's (`blocks.3.attn.qkv`) or its part's (`blocks.3.attn.q`). */
  readonly name: string;
  /** The op site whose output it adds into. */
  readonly site: string;
  readonly fanIn: number;
  readonly fanOut: number;
  /** First column of the site's output it adds into (a part), or null for the whole output. */
  readonly offset: number | null;
}

/**
 * The modules LoRA can target in `model`, derived from the ViT's op sites (model/sites.ts): each block's linear
 * layers, each fused one followed by its parts. Per block: attn.qkv, attn.q, attn.k, attn.v, attn.proj,
 * mlp.fc1, mlp.fc2.
 */
export function loraTargets(model: ViT): LoraCandidate[] {
  const out: LoraCandidate[] = [];
  for (const s of vitOpSites(model.config)) {
    if (s.kind !== 'linear' || s.block === undefined) continue;
    out.push({ name: s.name, site: s.name, fanIn: s.fanIn, fanOut: s.fanOut, offset: null });
    const parts = s.parts ?? [];
    const width = s.fanOut / (parts.length || 1);
    const stem = s.name.slice(0, s.name.lastIndexOf('.') + 1);
    parts.forEach((part, k) => out.push({ name: `${stem}${part}`, site: s.name, fanIn: s.fanIn, fanOut: width, offset: k * width }));
  }
  return out;
}

/** Pad a column block `[R, w]` placed at `offset` into `[R, total]` with zeros (pad's gradient is a slice). */
function placeColumns(x: tf.Tensor2D, offset: number | null, total: number): tf.Tensor2D {
  if (offset === null) return x;
  return tf.pad(x, [[0, 0], [offset, total - offset - x.shape[1]]]);
}

function applyLora(model: ViT, config: LoraConfig, options: ApplyOptions): PeftModule {
  validateLoraConfig(config);
  const candidates = new Map(loraTargets(model).map((c) => [c.name, c] as [string, LoraCandidate]));
  const names = selectTargets('lora', [...candidates.keys()], config.targets, config.targetRegex);
  const scale = config.alpha / config.rank;
  const r = config.rank;
  const bySite = new Map<string, LoraPair[]>();
  const store = new ParamStore('lora', options.seed);
  const points: string[] = [];
  for (const name of names) {
    const { fanIn, fanOut } = candidates.get(name)!;
    // A rank above min(in, out) adds parameters but no expressiveness: the update x A B has rank <= min(in, out).
    if (r > Math.min(fanIn, fanOut)) throw new Error(`lora config: rank ${r} is above the width of ${name} (${fanIn} in, ${fanOut} out); use a rank ≤ ${Math.min(fanIn, fanOut)}.`);
  }
  for (const name of names) {
    const { site, fanIn, fanOut, offset } = candidates.get(name)!;
    // A: Kaiming-uniform bound 1/sqrt(in) like peft's default; B: zeros, so the update starts at 0.
    const a = store.add(`${name}.lora_A`, [fanIn, r], { kind: 'uniform', limit: 1 / Math.sqrt(fanIn) }, { layout: 'linear' });
    const b = store.add(`${name}.lora_B`, [r, fanOut], ZEROS, { layout: 'linear' });
    const pairs = bySite.get(site) ?? [];
    pairs.push({ name, a, b, offset, width: fanOut });
    bySite.set(site, pairs);
    const where = offset === null ? `output of ${site}` : `columns ${offset}..${offset + fanOut - 1} of ${site}`;
    points.push(`${name}: LoRA r=${r} (A [${fanIn}, ${r}], B [${r}, ${fanOut}], scale ${scale}) added to the ${where}`);
  }
  let merged = false;
  const originals = new Map<string, tf.Tensor>();
  const masksDrawn = new Map<string, number>();

  /**
   * Dropout on the input of `site`'s LoRA pairs while training. Seeded, so a run reproduces: the mask is drawn from
   * (apply seed, site, the forward pass's seed), or when the pass has no seed, the number of masks this site has
   * drawn so far. No dropout (the default) draws nothing.
   */
  const dropout = (site: string, x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D => {
    if (!ctx.training || config.dropout === 0) return x;
    const drawn = masksDrawn.get(site) ?? 0;
    masksDrawn.set(site, drawn + 1);
    return tf.dropout(x, config.dropout, undefined, `${options.seed}/${site}/${ctx.seed ?? `draw ${drawn}`}`) as tf.Tensor2D;
  };

  const afterOp = (site: string, x: tf.Tensor2D, y: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D => {
    const pairs = bySite.get(site);
    if (!pairs || merged) return y;
    const input = dropout(site, x, ctx);
    // One low-rank product per site: the pairs' A side by side `[in, r*k]` and their B, scaled and placed at their
    // columns, stacked `[r*k, out]`. Only these small tensors are concatenated, padded and scaled; the work the
    // size of the output is two thin matmuls and one add (per pair it was a scale, a pad and an add of `[M, out]`,
    // and a slice of it in the backward pass).
    const a = pairs.length === 1 ? pairs[0].a : tf.concat(pairs.map((p) => p.a), 1);
    const placed = pairs.map((p) => placeColumns(tf.mul(p.b, scale) as tf.Tensor2D, p.offset, y.shape[1]));
    const b = placed.length === 1 ? placed[0] : tf.concat(placed, 0);
    return tf.add(y, linear(linear(input, a as tf.Tensor2D, null), b as tf.Tensor2D, null)) as tf.Tensor2D;
  };

  return {
    hooks: { afterOp },
    params: store.params,
    layouts: store.layouts,
    ownsParams: true,
    insertionPoints: points,
    get merged() {
      return merged;
    },
    merge() {
      if (merged) throw new Error('LoRA is already merged; call unmerge() first.');
      for (const [site, pairs] of bySite) {
        const w = model.param(`${site}.weight`);
        originals.set(site, w.clone());
        tf.tidy(() => {
          let next: tf.Tensor = w;
          for (const p of pairs) {
            const delta = tf.mul(tf.matMul(p.a, p.b), scale) as tf.Tensor2D;
            next = tf.add(next, placeColumns(delta, p.offset, w.shape[1] as number));
          }
          w.assign(next);
        });
      }
      merged = true;
    },
    unmerge() {
      if (!merged) throw new Error('LoRA is not merged; nothing to unmerge.');
      for (const [site, orig] of originals) {
        model.param(`${site}.weight`).assign(orig);
        orig.dispose();
      }
      originals.clear();
      merged = false;
    },
  };
}

/** The LoRA method for the registry. */
export const LORA: PeftMethod<LoraConfig> = {
  name: 'lora',
  description: 'LoRA: low-rank updates x A B (B = 0 at init) on chosen linear layers',
  options: LORA_OPTIONS,
  defaults: LORA_DEFAULTS,
  validate: validateLoraConfig,
  apply: applyLora,
};
