/**
 * Vision Transformer backbone (Dosovitskiy et al. 2021, timm's pre-norm `VisionTransformer`) in TensorFlow.js.
 *
 * Images `[N, H, W, C]` → patchify `[N, L, P*P*C]` → patch embedding (a dense layer: conv backprop is missing on
 * wasm, and a conv with stride = kernel = P is the same map) → prepend the class token, add position
 * embeddings → `depth` pre-norm blocks (LayerNorm → multi-head self-attention with fused qkv → residual;
 * LayerNorm → MLP with exact GELU → residual) → final LayerNorm → head on the class token or the mean of the
 * patch tokens.
 *
 * Parameters are explicit `tf.Variable`s in `model.params`, named like timm's state dict. Inside the blocks
 * tokens stay a 2-D matrix `[N*T, D]` so every dense layer is one rank-2 matmul (the fast path on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { gridSize, numPatches, patchValues, validateViTConfig, type ViTConfig } from './config';
import { gelu, layerNorm, linear } from './dense';
import type { ForwardContext, VitHooks } from './hooks';
import { normal, sincosPosEmbed, truncatedNormal, uniform } from './init';
import { fromTorchLayout, toTorchLayout, type ParamLayout } from './layout';
import { patchify } from './patches';

/** Options of `createViT`. */
export interface CreateViTOptions {
  /** Seed of the initialisation; the same seed gives bitwise the same weights. Default 0. */
  seed?: number;
}

/** Options of a forward pass. */
export interface ForwardOptions {
  /** Training mode: enables dropout inside PEFT modules (LoRA dropout). Default false. */
  training?: boolean;
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

  constructor(config: ViTConfig, seed: number) {
    validateViTConfig(config);
    this.config = Object.freeze({ ...config });
    this.seed = seed;
    this.params = new Map();
    this.layouts = new Map();
    this.build();
  }

  private add(name: string, shape: number[], values: Float32Array, layout: ParamLayout, trainable = true): void {
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), trainable));
    this.params.set(name, v);
    this.layouts.set(name, layout);
  }

  private addLinear(name: string, fanIn: number, fanOut: number, weight?: Float32Array): void {
    this.add(`${name}.weight`, [fanIn, fanOut], weight ?? truncatedNormal(fanIn * fanOut, 0.02, this.seed, `${name}.weight`), 'linear');
    this.add(`${name}.bias`, [fanOut], new Float32Array(fanOut), 'plain');
  }

  private addNorm(name: string, d: number): void {
    this.add(`${name}.weight`, [d], new Float32Array(d).fill(1), 'plain');
    this.add(`${name}.bias`, [d], new Float32Array(d), 'plain');
  }

  private build(): void {
    const c = this.config;
    const d = c.dim;
    const tokens = numPatches(c) + 1;
    const ppc = patchValues(c);
    this.add('cls_token', [1, 1, d], normal(d, 0.02, this.seed, 'cls_token'), 'plain');
    if (c.posEmbed === 'learned') {
      this.add('pos_embed', [1, tokens, d], truncatedNormal(tokens * d, 0.02, this.seed, 'pos_embed'), 'plain');
    } else {
      this.add('pos_embed', [1, tokens, d], sincosPosEmbed(gridSize(c), d), 'plain', false);
    }
    // Xavier-uniform on the flattened patch map, as MAE initialises its conv patch embedding.
    const limit = Math.sqrt(6 / (ppc + d));
    this.add('patch_embed.proj.weight', [ppc, d], uniform(ppc * d, limit, this.seed, 'patch_embed.proj.weight'), 'patch');
    this.add('patch_embed.proj.bias', [d], new Float32Array(d), 'plain');
    for (let i = 0; i < c.depth; i++) {
      const b = `blocks.${i}`;
      this.addNorm(`${b}.norm1`, d);
      this.addLinear(`${b}.attn.qkv`, d, 3 * d);
      this.addLinear(`${b}.attn.proj`, d, d);
      this.addNorm(`${b}.norm2`, d);
      this.addLinear(`${b}.mlp.fc1`, d, c.mlpDim);
      this.addLinear(`${b}.mlp.fc2`, c.mlpDim, d);
    }
    this.addNorm('norm', d);
    this.addLinear('head', d, c.numClasses);
  }

  /** The parameter `name` (throws, listing a few names, if there is none). */
  param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`ViT has no parameter "${name}"; it has e.g. ${[...this.params.keys()].slice(0, 6).join(', ')}, ...`);
    return v;
  }

  /** Parameters a full fine-tuning trains: every trainable variable (fixed sin-cos position embeddings excluded). */
  trainableParameters(): Map<string, tf.Variable> {
    return new Map([...this.params].filter(([, v]) => v.trainable));
  }

  /** Number of scalar parameters (all of them, head included). */
  numParameters(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
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
    let y = linear(x, this.param('patch_embed.proj.weight') as tf.Tensor2D, this.param('patch_embed.proj.bias') as tf.Tensor1D);
    if (options.hooks?.afterOp) y = options.hooks.afterOp('patch_embed.proj', x, y, { training: !!options.training });
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
    const ctx: ForwardContext = { training: !!options.training };
    const prompts = hooks?.promptTokens ?? 0;
    const features: tf.Tensor3D[] | undefined = options.features ? [] : undefined;
    const attention: tf.Tensor4D[] | undefined = options.attention ? [] : undefined;
    let x3 = tokens;
    for (let i = 0; i < c.depth; i++) {
      if (hooks?.beforeBlock) x3 = hooks.beforeBlock(i, x3, ctx);
      const [n, t, d] = x3.shape;
      const x2 = this.block(i, x3.reshape([n * t, d]) as tf.Tensor2D, n, t, ctx, hooks, attention);
      x3 = x2.reshape([n, t, d]);
      if (features) features.push(stripPrompts(x3, prompts));
    }
    const [n, t, d] = x3.shape;
    const x2 = x3.reshape([n * t, d]) as tf.Tensor2D;
    let y = layerNorm(x2, this.param('norm.weight') as tf.Tensor1D, this.param('norm.bias') as tf.Tensor1D);
    if (hooks?.afterOp) y = hooks.afterOp('norm', x2, y, ctx);
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

  private op(site: string, x: tf.Tensor2D, y: tf.Tensor2D, ctx: ForwardContext, hooks?: VitHooks): tf.Tensor2D {
    return hooks?.afterOp ? hooks.afterOp(site, x, y, ctx) : y;
  }

  private dense(site: string, x: tf.Tensor2D, ctx: ForwardContext, hooks?: VitHooks): tf.Tensor2D {
    const y = linear(x, this.param(`${site}.weight`) as tf.Tensor2D, this.param(`${site}.bias`) as tf.Tensor1D);
    return this.op(site, x, y, ctx, hooks);
  }

  private norm(site: string, x: tf.Tensor2D, ctx: ForwardContext, hooks?: VitHooks): tf.Tensor2D {
    const y = layerNorm(x, this.param(`${site}.weight`) as tf.Tensor1D, this.param(`${site}.bias`) as tf.Tensor1D);
    return this.op(site, x, y, ctx, hooks);
  }

  /** One pre-norm block on the token matrix `[N*T, D]`. */
  private block(
    i: number, x: tf.Tensor2D, n: number, t: number, ctx: ForwardContext, hooks: VitHooks | undefined, attention?: tf.Tensor4D[],
  ): tf.Tensor2D {
    const b = `blocks.${i}`;
    const { dim: d, heads: h } = this.config;
    const dh = d / h;
    // Attention branch.
    const qkv = this.dense(`${b}.attn.qkv`, this.norm(`${b}.norm1`, x, ctx, hooks), ctx, hooks);
    const [q, k, v] = tf.split(qkv, 3, 1);
    const q4 = tf.mul(q.reshape([n, t, h, dh]).transpose([0, 2, 1, 3]), 1 / Math.sqrt(dh));
    const kT = k.reshape([n, t, h, dh]).transpose([0, 2, 3, 1]);
    const v4 = v.reshape([n, t, h, dh]).transpose([0, 2, 1, 3]);
    const probs = tf.softmax(tf.matMul(q4 as tf.Tensor4D, kT as tf.Tensor4D)) as tf.Tensor4D; // [N, H, T, T]
    if (attention) attention.push(probs);
    const o = tf.matMul(probs, v4 as tf.Tensor4D).transpose([0, 2, 1, 3]).reshape([n * t, d]) as tf.Tensor2D;
    let a = this.dense(`${b}.attn.proj`, o, ctx, hooks);
    if (hooks?.afterBranch) a = hooks.afterBranch(i, 'attn', x, a, ctx);
    const x1 = tf.add(x, a) as tf.Tensor2D;
    // MLP branch.
    const f1 = this.dense(`${b}.mlp.fc1`, this.norm(`${b}.norm2`, x1, ctx, hooks), ctx, hooks);
    let m = this.dense(`${b}.mlp.fc2`, gelu(f1), ctx, hooks);
    if (hooks?.afterBranch) m = hooks.afterBranch(i, 'mlp', x1, m, ctx);
    return tf.add(x1, m) as tf.Tensor2D;
  }

  /** Dispose every variable of the model. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

/** Remove `prompts` tokens that follow the class token: `[N, 1 + P + L, D]` → `[N, 1 + L, D]`. */
function stripPrompts(x: tf.Tensor3D, prompts: number): tf.Tensor3D {
  if (prompts === 0) return x;
  const [n, t, d] = x.shape;
  return tf.concat([tf.slice(x, [0, 0, 0], [n, 1, d]), tf.slice(x, [0, 1 + prompts, 0], [n, t - 1 - prompts, d])], 1) as tf.Tensor3D;
}
