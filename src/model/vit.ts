/**
 * Vision Transformer backbone (Dosovitskiy et al. 2021, timm's pre-norm `VisionTransformer`) in TensorFlow.js.
 *
 * Images `[N, H, W, C]` → patchify `[N, L, P*P*C]` → patch embedding (a dense layer: conv backprop is missing on
 * wasm, and a conv with stride = kernel = P is the same map) → prepend the class token, add position
 * embeddings → `depth` pre-norm blocks (LayerNorm → multi-head self-attention with fused qkv → residual;
 * LayerNorm → MLP with exact GELU → residual) → final LayerNorm → head on the class token or the mean of the
 * patch tokens.
 *
 * Parameters are explicit `tf.Variable`s in `model.params` (a `ParamStore`'s, params.ts), named like timm's state
 * dict; the op sites hooks see are listed in sites.ts. Inside the blocks
 * tokens stay a 2-D matrix `[N*T, D]` so every dense layer is one rank-2 matmul (the fast path on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { gridSize, numPatches, patchValues, validateViTConfig, type ViTConfig } from './config';
import { addBlockParams, transformerBlock } from './block';
import { layerNorm, linear } from './dense';
import type { ForwardContext, VitHooks } from './hooks';
import { sincosPosEmbed } from './init';
import { fromTorchLayout, toTorchLayout, type ParamLayout } from './layout';
import { ParamStore, TRUNC_NORMAL_02 } from './params';
import { patchify } from './patches';
import { FINAL_NORM_SITE, PATCH_EMBED_SITE } from './sites';

/** Options of `createViT`. */
export interface CreateViTOptions {
  /** Seed of the initialisation; the same seed gives bitwise the same weights. Default 0. */
  seed?: number;
}

/** Options of a forward pass. */
export interface ForwardOptions {
  /** Training mode: enables dropout inside PEFT modules (LoRA dropout). Default false. */
  training?: boolean;
  /** Seed of this pass's dropout masks (a training loop passes a per-step seed); without it LoRA counts its draws. */
  seed?: number;
  /** Return each block's output tokens `[N, T, D]` (prompt tokens removed). Default false: no cost. */
  features?: boolean;
  /** Return each block's attention probabilities `[N, heads, T', T']` (T' includes prompt tokens). Default false. */
  attention?: boolean;
  /** PEFT hooks (see hooks.ts); a `PeftModel` passes its own. */
  hooks?: VitHooks;
}

/** What `encode` and `forwardDetailed` return. */
export interface EncoderOutput {
  /** Tokens after the final LayerNorm `[N, T, D]` (class token first, prompt tokens removed). */
  tokens: tf.Tensor3D;
  /** Per-block outputs `[N, T, D]`, only when `features` was asked. */
  features?: tf.Tensor3D[];
  /** Per-block attention probabilities `[N, heads, T', T']`, only when `attention` was asked. */
  attention?: tf.Tensor4D[];
}

/** `EncoderOutput` plus the head's logits `[N, classes]`. */
export interface ClassifierOutput extends EncoderOutput {
  logits: tf.Tensor2D;
}

/** Internal-layout weights by name (what `getWeights` returns and `setWeights` takes). */
export type NamedTensors = Map<string, tf.Tensor>;

/** Layout in which weights are exchanged: `internal` (dense `[in, out]`) or `torch` (checkpoint layout). */
export type WeightLayout = 'internal' | 'torch';

/** Head parameter names (excluded from the backbone fingerprint and counted apart by PEFT). */
export const HEAD_PARAMS = ['head.weight', 'head.bias'] as const;

/** Build a ViT with seeded, deterministic initialisation. */
export function createViT(config: ViTConfig, options: CreateViTOptions = {}): ViT {
  return new ViT(config, options.seed ?? 0);
}

/** A ViT backbone with its head. Create with `createViT`; call `dispose()` when done. */
export class ViT {
  /** The (validated, frozen) shape of this model. */
  readonly config: ViTConfig;
  /** All parameters by timm name, in timm's state-dict order. Internal layout (dense weights `[in, out]`). */
  readonly params: Map<string, tf.Variable>;
  /** Layout of each parameter (for conversion to PyTorch's). */
  readonly layouts: Map<string, ParamLayout>;
  /** Seed the model was initialised with. */
  readonly seed: number;
  /** Where the parameters live (`params` and `layouts` are its maps). */
  private readonly store: ParamStore;

  constructor(config: ViTConfig, seed: number) {
    validateViTConfig(config);
    this.config = Object.freeze({ ...config });
    this.seed = seed;
    this.store = new ParamStore('ViT', seed);
    this.params = this.store.params;
    this.layouts = this.store.layouts;
    this.build();
  }

  private build(): void {
    const c = this.config;
    const d = c.dim;
    const tokens = numPatches(c) + 1;
    const ppc = patchValues(c);
    const p = this.store;
    p.add('cls_token', [1, 1, d], { kind: 'normal', std: 0.02 });
    if (c.posEmbed === 'learned') p.add('pos_embed', [1, tokens, d], TRUNC_NORMAL_02);
    else p.add('pos_embed', [1, tokens, d], { kind: 'values', values: sincosPosEmbed(gridSize(c), d) }, { trainable: false });
    // Xavier-uniform on the flattened patch map, as MAE initialises its conv patch embedding.
    p.addLinear(PATCH_EMBED_SITE, ppc, d, { kind: 'uniform', limit: Math.sqrt(6 / (ppc + d)) }, { layout: 'patch' });
    for (let i = 0; i < c.depth; i++) addBlockParams(p, `blocks.${i}`, i, d, c.mlpDim);
    p.addNorm(FINAL_NORM_SITE, d);
    p.addLinear('head', d, c.numClasses);
  }

  /** The parameter `name` (throws, listing a few names, if there is none). */
  param(name: string): tf.Variable {
    return this.store.get(name);
  }

  /** Parameters a full fine-tuning trains: every trainable variable (fixed sin-cos position embeddings excluded). */
  trainableParameters(): Map<string, tf.Variable> {
    return this.store.trainable();
  }

  /** Number of scalar parameters (all of them, head included). */
  numParameters(): number {
    return this.store.numParameters();
  }

  /** Names of the backbone parameters: everything but the head. */
  backboneNames(): string[] {
    return [...this.params.keys()].filter((n) => !(HEAD_PARAMS as readonly string[]).includes(n));
  }

  /**
   * Copies of all weights by name (caller disposes). `internal` layout by default (what `setWeights` and
   * workers exchange); `torch` gives PyTorch's layout (what checkpoints hold).
   */
  getWeights(layout: WeightLayout = 'internal'): NamedTensors {
    const out: NamedTensors = new Map();
    for (const [name, v] of this.params) {
      out.set(name, layout === 'internal' ? v.clone() : toTorchLayout(v, this.layouts.get(name)!, this.config.patchSize, this.config.channels));
    }
    return out;
  }

  /**
   * Assign weights by name (values are copied; the caller keeps ownership of `weights`). Every name must be a
   * parameter of this model with the same shape; `partial` allows a subset (default: all names required).
   */
  setWeights(weights: NamedTensors, layout: WeightLayout = 'internal', partial = false): void {
    for (const name of weights.keys()) this.param(name);
    if (!partial) {
      const missing = [...this.params.keys()].filter((n) => !weights.has(n));
      if (missing.length) throw new Error(`setWeights: missing ${missing.length} weights (${missing.slice(0, 5).join(', ')}); pass partial=true to set a subset.`);
    }
    for (const [name, t] of weights) {
      const v = this.params.get(name)!;
      tf.tidy(() => {
        const value = layout === 'internal' ? t : fromTorchLayout(t, this.layouts.get(name)!);
        if (value.dtype !== 'float32') throw new Error(`setWeights: "${name}" has dtype ${value.dtype}; expected float32.`);
        if (!tf.util.arraysEqual(value.shape, v.shape)) {
          throw new Error(`setWeights: "${name}" has shape [${value.shape}] (${layout} layout); the model expects [${v.shape}] internally.`);
        }
        v.assign(value);
      });
    }
  }

  /** Patchify images `[N, H, W, C]` → `[N, L, P*P*C]` (order documented in patches.ts). */
  patchify(images: tf.Tensor4D): tf.Tensor3D {
    const c = this.config;
    const [, h, w, ch] = images.shape;
    if (h !== c.imageSize || w !== c.imageSize || ch !== c.channels) {
      throw new Error(`ViT expects images [N, ${c.imageSize}, ${c.imageSize}, ${c.channels}] (channels last), got [${images.shape}].`);
    }
    return patchify(images, c.patchSize);
  }

  /** Patch embedding only (no position embedding): `[N, L', P*P*C]` → `[N, L', D]` for any number of patches L'. */
  embedPatches(patches: tf.Tensor3D, options: ForwardOptions = {}): tf.Tensor3D {
    const [n, l, ppc] = patches.shape;
    const x = patches.reshape([n * l, ppc]) as tf.Tensor2D;
    let y = linear(x, this.param(`${PATCH_EMBED_SITE}.weight`) as tf.Tensor2D, this.param(`${PATCH_EMBED_SITE}.bias`) as tf.Tensor1D);
    if (options.hooks?.afterOp) y = options.hooks.afterOp(PATCH_EMBED_SITE, x, y, forwardContext(options));
    return y.reshape([n, l, this.config.dim]);
  }

  /**
   * Prepend the class token (plus its position embedding, `pos_embed[0]`) to tokens that already carry theirs:
   * `[N, L', D]` → `[N, 1 + L', D]`. MAE uses this after adding the kept patches' position embeddings.
   */
  prependClsToken(tokens: tf.Tensor3D): tf.Tensor3D {
    const [n, , d] = tokens.shape;
    const pos0 = tf.slice(this.param('pos_embed'), [0, 0, 0], [1, 1, d]);
    // Broadcast by adding zeros (tile's gradient is slow on wasm).
    const cls = tf.add(tf.add(this.param('cls_token'), pos0), tf.zeros([n, 1, d]));
    return tf.concat([cls, tokens], 1) as tf.Tensor3D;
  }

  /** Patches `[N, L, P*P*C]` → embedded tokens with class token and position embeddings `[N, 1 + L, D]`. */
  embed(patches: tf.Tensor3D, options: ForwardOptions = {}): tf.Tensor3D {
    const x = this.embedPatches(patches, options);
    const [n, l, d] = x.shape;
    const cls = tf.add(this.param('cls_token'), tf.zeros([n, 1, d]));
    return tf.add(tf.concat([cls, x], 1), this.param('pos_embed')) as tf.Tensor3D;
  }

  /**
   * The encoder on already-embedded tokens `[N, T, D]` (class token first, position embeddings added): the
   * blocks, then the final LayerNorm. Returns the normed tokens `[N, T, D]` and, when asked, per-block features
   * and attention maps. T is free, so MAE can run it on the visible tokens only.
   */
  encode(tokens: tf.Tensor3D, options: ForwardOptions = {}): EncoderOutput {
    const c = this.config;
    const hooks = options.hooks;
    const ctx = forwardContext(options);
    const prompts = hooks?.promptTokens ?? 0;
    const features: tf.Tensor3D[] | undefined = options.features ? [] : undefined;
    const attention: tf.Tensor4D[] | undefined = options.attention ? [] : undefined;
    let x3 = tokens;
    for (let i = 0; i < c.depth; i++) {
      if (hooks?.beforeBlock) x3 = hooks.beforeBlock(i, x3, ctx);
      const [n, t, d] = x3.shape;
      const x2 = transformerBlock(x3.reshape([n * t, d]) as tf.Tensor2D, {
        params: this.store, prefix: `blocks.${i}`, index: i, sequences: n, tokens: t, heads: c.heads, ctx, hooks, attention,
      });
      x3 = x2.reshape([n, t, d]);
      if (features) features.push(stripPrompts(x3, prompts));
    }
    const [n, t, d] = x3.shape;
    const x2 = x3.reshape([n * t, d]) as tf.Tensor2D;
    let y = layerNorm(x2, this.param(`${FINAL_NORM_SITE}.weight`) as tf.Tensor1D, this.param(`${FINAL_NORM_SITE}.bias`) as tf.Tensor1D);
    if (hooks?.afterOp) y = hooks.afterOp(FINAL_NORM_SITE, x2, y, ctx);
    const out: EncoderOutput = { tokens: stripPrompts(y.reshape([n, t, d]), prompts) };
    if (features) out.features = features;
    if (attention) out.attention = attention;
    return out;
  }

  /** The head on normed tokens `[N, T, D]` → logits `[N, classes]` (class token, or mean of tokens 1..T-1). */
  classify(tokens: tf.Tensor3D): tf.Tensor2D {
    const [n, t, d] = tokens.shape;
    const pooled = this.config.pool === 'cls'
      ? tf.slice(tokens, [0, 0, 0], [n, 1, d]).reshape([n, d])
      : tf.mean(tf.slice(tokens, [0, 1, 0], [n, t - 1, d]), 1);
    return linear(pooled as tf.Tensor2D, this.param('head.weight') as tf.Tensor2D, this.param('head.bias') as tf.Tensor1D);
  }

  /** Images `[N, H, W, C]` → logits `[N, classes]`, plus features / attention maps when asked. */
  forwardDetailed(images: tf.Tensor4D, options: ForwardOptions = {}): ClassifierOutput {
    const enc = this.encode(this.embed(this.patchify(images), options), options);
    return { ...enc, logits: this.classify(enc.tokens) };
  }

  /** Images `[N, H, W, C]` → logits `[N, classes]`. Call inside `tf.tidy` (intermediates are not disposed). */
  forward(images: tf.Tensor4D, options: ForwardOptions = {}): tf.Tensor2D {
    return this.forwardDetailed(images, { ...options, features: false, attention: false }).logits;
  }

  /** Already-patchified input `[N, L, P*P*C]` → logits `[N, classes]`. */
  forwardPatches(patches: tf.Tensor3D, options: ForwardOptions = {}): tf.Tensor2D {
    const enc = this.encode(this.embed(patches, options), { ...options, features: false, attention: false });
    return this.classify(enc.tokens);
  }

  /** Dispose every variable of the model. */
  dispose(): void {
    this.store.dispose();
  }
}

/** The state hooks see during a forward call with `options`. */
function forwardContext(options: ForwardOptions): ForwardContext {
  return options.seed === undefined ? { training: !!options.training } : { training: !!options.training, seed: options.seed };
}

/** Remove `prompts` tokens that follow the class token: `[N, 1 + P + L, D]` → `[N, 1 + L, D]`. */
function stripPrompts(x: tf.Tensor3D, prompts: number): tf.Tensor3D {
  if (prompts === 0) return x;
  const [n, t, d] = x.shape;
  return tf.concat([tf.slice(x, [0, 0, 0], [n, 1, d]), tf.slice(x, [0, 1 + prompts, 0], [n, t - 1 - prompts, d])], 1) as tf.Tensor3D;
}
