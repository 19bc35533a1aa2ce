/**
 * Masked autoencoder (He et al., "Masked Autoencoders Are Scalable Vision Learners", 2022) around our ViT.
 * The functions follow the paper's steps:
 *   patchify → randomMasking (keep a random 25 % of patches) → forwardEncoder (the ViT on the visible patches
 *   only, class token included) → forwardDecoder (a light transformer that sees encoded visible tokens plus a
 *   shared mask token at every masked position) → forwardLoss (mean squared error on the masked patches,
 *   optionally against per-patch normalised pixels).
 *
 * The encoder is a plain `ViT` (its head is unused here), so the same backbone is later fine-tuned, and PEFT
 * hooks can be passed to the encoder: that is Target Parameter Pre-training with the MAE pretext.
 *
 * wasm-friendly choices: selections that need a gradient (position embeddings of the kept patches, putting the
 * encoded tokens back in place) are one-hot matrix products, never `gather`; masks are built on the CPU from a
 * seeded generator, so a step's mask depends only on its seed.
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../data/sets/random';
import { addBlockParams, transformerBlock } from './block';
import { numPatches, patchValues, type PresetName, type ViTConfig } from './config';
import { layerNorm, linear, matMul2d } from './dense';
import type { VitHooks } from './hooks';
import { sincosPosEmbed } from './init';
import { fromTorchLayout, toTorchLayout, type ParamLayout } from './layout';
import { ParamStore, TRUNC_NORMAL_02 } from './params';
import { unpatchify } from './patches';
import { ViT, type NamedTensors, type WeightLayout } from './vit';

/** Shape of the MAE decoder. */
export interface DecoderConfig {
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpDim: number;
}

/**
 * Decoder sizes per ViT preset, as in scripts/torch_bench.py's `DECODERS` (a light decoder: 1 block at the encoder's width); the
 * study presets `small`, `small7` and `g64` get 2 blocks at half the encoder's width (MAE's decoder is also narrower).
 */
export const DECODER_PRESETS: Readonly<Record<PresetName, DecoderConfig>> = Object.freeze({
  tiny: Object.freeze({ dim: 32, depth: 1, heads: 2, mlpDim: 64 }),
  tutorial: Object.freeze({ dim: 64, depth: 1, heads: 4, mlpDim: 128 }),
  p4: Object.freeze({ dim: 64, depth: 1, heads: 4, mlpDim: 128 }),
  tutorial64: Object.freeze({ dim: 64, depth: 1, heads: 4, mlpDim: 128 }),
  large: Object.freeze({ dim: 128, depth: 2, heads: 4, mlpDim: 512 }),
  small: Object.freeze({ dim: 64, depth: 2, heads: 4, mlpDim: 128 }),
  small7: Object.freeze({ dim: 64, depth: 2, heads: 4, mlpDim: 128 }),
  g64: Object.freeze({ dim: 64, depth: 2, heads: 4, mlpDim: 128 }),
});

/** Check a decoder config; throws naming the bad field. */
export function validateDecoderConfig(c: DecoderConfig): void {
  for (const key of ['dim', 'depth', 'heads', 'mlpDim'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new Error(`DecoderConfig.${key} must be a whole number >= 1, got ${c[key]}.`);
  }
  if (c.dim % c.heads !== 0) throw new Error(`DecoderConfig.dim (${c.dim}) must be a multiple of heads (${c.heads}).`);
}

/** A random masking of a batch: which patches each image keeps. */
export interface Masking {
  /** Kept patch indices per image, `[N, K]` row-major, in random order (the order the encoder sees). */
  keep: Int32Array;
  /** 1 where a patch is masked (hidden from the encoder), 0 where kept: `[N, L]` row-major. */
  mask: Float32Array;
  n: number;
  numPatches: number;
  numKept: number;
}

/**
 * Choose `round(L * (1 - ratio))` patches to keep per image, uniformly at random from a seeded generator
 * (the same seed gives the same masks). `ratio` is the masked fraction, 0 <= ratio < 1.
 */
export function randomMasking(n: number, numPatchesL: number, ratio: number, seed: number): Masking {
  if (!(ratio >= 0 && ratio < 1)) throw new Error(`mask ratio must be in [0, 1), got ${ratio}.`);
  const k = Math.max(1, Math.round(numPatchesL * (1 - ratio)));
  const rand = mulberry32(seed);
  const keep = new Int32Array(n * k);
  const mask = new Float32Array(n * numPatchesL).fill(1);
  const perm = new Int32Array(numPatchesL);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < numPatchesL; j++) perm[j] = j;
    for (let j = numPatchesL - 1; j > 0; j--) {
      const r = Math.floor(rand() * (j + 1));
      const tmp = perm[j];
      perm[j] = perm[r];
      perm[r] = tmp;
    }
    for (let j = 0; j < k; j++) {
      keep[i * k + j] = perm[j];
      mask[i * numPatchesL + perm[j]] = 0;
    }
  }
  return { keep, mask, n, numPatches: numPatchesL, numKept: k };
}

/** Options of one MAE forward pass. */
export interface MaeForwardOptions {
  /** Masked fraction of patches (default 0.75, the paper's). */
  maskRatio?: number;
  /** Seed of this pass's masks, and of the encoder's dropout (LoRA's); a training loop passes a per-step seed. */
  seed?: number;
  /** Use this masking instead of drawing one. */
  masking?: Masking;
  /** Reconstruct per-patch normalised pixels (the paper's `norm_pix_loss`; default false). */
  normPixLoss?: boolean;
  /** PEFT hooks for the encoder (TPP); the decoder never gets hooks. */
  hooks?: VitHooks;
  training?: boolean;
}

/** What a forward pass returns; all tensors belong to the caller (or to the enclosing `tf.tidy`). */
export interface MaeOutput {
  /** Mean squared error on masked patches, a scalar. */
  loss: tf.Scalar;
  /** Predicted pixels of every patch `[N, L, P*P*C]` (in the normalised space when `normPixLoss`). */
  pred: tf.Tensor3D;
  masking: Masking;
}

/** MAE = our ViT as the encoder + a light decoder with its own parameters. */
export class MAE {
  readonly encoder: ViT;
  readonly decoderConfig: DecoderConfig;
  /** Decoder parameters by name (`decoder_embed.weight`, `mask_token`, `decoder_blocks.0.attn.qkv.weight`, ...). */
  readonly decoderParams: Map<string, tf.Variable>;
  readonly layouts: Map<string, ParamLayout>;
  /** Where the decoder's parameters live (`decoderParams` and `layouts` are its maps). */
  private readonly store: ParamStore;

  constructor(encoder: ViT, decoderConfig: DecoderConfig, seed = 0) {
    validateDecoderConfig(decoderConfig);
    this.encoder = encoder;
    this.decoderConfig = Object.freeze({ ...decoderConfig });
    const c = encoder.config;
    const dd = decoderConfig.dim;
    const l = numPatches(c);
    const p = new ParamStore('MAE decoder', seed);
    this.store = p;
    this.decoderParams = p.params;
    this.layouts = p.layouts;
    p.addLinear('decoder_embed', c.dim, dd);
    p.add('mask_token', [1, 1, dd], { kind: 'normal', std: 0.02 });
    if (c.posEmbed === 'sincos') p.add('decoder_pos_embed', [1, l + 1, dd], { kind: 'values', values: sincosPosEmbed(Math.sqrt(l), dd) }, { trainable: false });
    else p.add('decoder_pos_embed', [1, l + 1, dd], TRUNC_NORMAL_02);
    for (let i = 0; i < decoderConfig.depth; i++) addBlockParams(p, `decoder_blocks.${i}`, i, dd, decoderConfig.mlpDim);
    p.addNorm('decoder_norm', dd);
    p.addLinear('decoder_pred', dd, patchValues(c));
  }

  private dparam(name: string): tf.Variable {
    return this.store.get(name);
  }

  /** Trainable parameters of MAE pre-training: the encoder's (head excluded: unused) and the decoder's. */
  trainableParameters(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [n, v] of this.encoder.trainableParameters()) if (!n.startsWith('head.')) out.set(n, v);
    for (const [n, v] of this.store.trainable()) out.set(n, v);
    return out;
  }

  /** Trainable decoder parameters only (TPP can train them beside the target parameters). */
  decoderTrainableParameters(): Map<string, tf.Variable> {
    return this.store.trainable();
  }

  /**
   * Step 2: the encoder on the visible patches. `patches` `[N, L, P*P*C]` → encoded tokens `[N, 1 + K, D]`
   * (class token first, after the encoder's final norm).
   */
  forwardEncoder(patches: tf.Tensor3D, m: Masking, options: MaeForwardOptions = {}): tf.Tensor3D {
    const [n, l, ppc] = patches.shape;
    const d = this.encoder.config.dim;
    const k = m.numKept;
    // Visible patches are data (no gradient needed), so a flat gather is fine here.
    const flatIdx = new Int32Array(n * k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) flatIdx[i * k + j] = i * l + m.keep[i * k + j];
    const visible = tf.gather(patches.reshape([n * l, ppc]), tf.tensor1d(flatIdx, 'int32')).reshape([n, k, ppc]) as tf.Tensor3D;
    const embedded = this.encoder.embedPatches(visible, { hooks: options.hooks, training: options.training, seed: options.seed });
    // Position embeddings of the kept patches: one-hot [N*K, L] @ pos[1:] [L, D] (a gradient-friendly select).
    const posPatches = tf.slice(this.encoder.param('pos_embed'), [0, 1, 0], [1, l, d]).reshape([l, d]) as tf.Tensor2D;
    const select = oneHotRows(m.keep, l);
    const pos = matMul2d(select, posPatches).reshape([n, k, d]);
    const tokens = this.encoder.prependClsToken(tf.add(embedded, pos) as tf.Tensor3D);
    return this.encoder.encode(tokens, { hooks: options.hooks, training: options.training, seed: options.seed }).tokens;
  }

  /**
   * Step 3: the decoder. Encoded tokens `[N, 1 + K, D]` → predicted pixels of every patch `[N, L, P*P*C]`.
   * Kept tokens go back to their positions and every masked position gets the shared mask token.
   */
  forwardDecoder(latent: tf.Tensor3D, m: Masking): tf.Tensor3D {
    const [n, t, d] = latent.shape;
    const { dim: dd, heads } = this.decoderConfig;
    const l = m.numPatches;
    const k = t - 1;
    const y = linear(latent.reshape([n * t, d]) as tf.Tensor2D, this.dparam('decoder_embed.weight') as tf.Tensor2D, this.dparam('decoder_embed.bias') as tf.Tensor1D)
      .reshape([n, t, dd]) as tf.Tensor3D;
    const cls = tf.slice(y, [0, 0, 0], [n, 1, dd]);
    const vis = tf.slice(y, [0, 1, 0], [n, k, dd]);
    // Scatter: [N, L, K] one-hot (row p has a 1 at the kept slot holding patch p) @ [N, K, Dd] → [N, L, Dd].
    const scatter = tf.tensor3d(scatterMatrix(m), [n, l, k]);
    const placed = tf.matMul(scatter, vis);
    const maskCol = tf.tensor3d(m.mask, [n, l, 1]);
    const full = tf.add(placed, tf.mul(maskCol, this.dparam('mask_token')));
    let x = tf.add(tf.concat([cls, full], 1), this.dparam('decoder_pos_embed')) as tf.Tensor3D;
    let x2 = x.reshape([n * (l + 1), dd]) as tf.Tensor2D;
    const ctx = { training: false };
    for (let i = 0; i < this.decoderConfig.depth; i++) {
      x2 = transformerBlock(x2, { params: this.store, prefix: `decoder_blocks.${i}`, index: i, sequences: n, tokens: l + 1, heads, ctx });
    }
    x2 = layerNorm(x2, this.dparam('decoder_norm.weight') as tf.Tensor1D, this.dparam('decoder_norm.bias') as tf.Tensor1D);
    const pred = linear(x2, this.dparam('decoder_pred.weight') as tf.Tensor2D, this.dparam('decoder_pred.bias') as tf.Tensor1D);
    x = pred.reshape([n, l + 1, -1]) as tf.Tensor3D;
    return tf.slice(x, [0, 1, 0], [n, l, x.shape[2]]) as tf.Tensor3D;
  }

  /**
   * Step 4: mean squared error per patch, averaged over the masked patches only. With `normPixLoss` the target
   * is each patch normalised by its own mean and variance.
   */
  forwardLoss(patches: tf.Tensor3D, pred: tf.Tensor3D, m: Masking, normPixLoss = false): tf.Scalar {
    const target = normPixLoss ? normalizePatches(patches) : patches;
    const perPatch = tf.mean(tf.square(tf.sub(pred, target)), -1); // [N, L]
    const mask = tf.tensor2d(m.mask, [m.n, m.numPatches]);
    return tf.div(tf.sum(tf.mul(perPatch, mask)), tf.sum(mask)) as tf.Scalar;
  }

  /** The whole pass on images `[N, H, W, C]`. Call inside `tf.tidy` or dispose the outputs. */
  forward(images: tf.Tensor4D, options: MaeForwardOptions = {}): MaeOutput {
    const patches = this.encoder.patchify(images);
    const [n, l] = patches.shape;
    const masking = options.masking ?? randomMasking(n, l, options.maskRatio ?? 0.75, options.seed ?? 0);
    const latent = this.forwardEncoder(patches, masking, options);
    const pred = this.forwardDecoder(latent, masking);
    return { loss: this.forwardLoss(patches, pred, masking, options.normPixLoss), pred, masking };
  }

  /**
   * For plots: images `[N, H, W, C]` → `{ masked, reconstruction, pasted }` images in pixel space: the input with
   * masked patches blanked, the decoder's output for every patch, and the input with only the masked patches
   * replaced by predictions (how MAE figures are drawn). With `normPixLoss` models, each predicted patch is
   * mapped back with the input patch's own mean and variance.
   */
  reconstruct(images: tf.Tensor4D, options: MaeForwardOptions = {}): { masked: tf.Tensor4D; reconstruction: tf.Tensor4D; pasted: tf.Tensor4D; masking: Masking } {
    const c = this.encoder.config;
    const l = numPatches(c);
    const masking = options.masking ?? randomMasking(images.shape[0], l, options.maskRatio ?? 0.75, options.seed ?? 0);
    const toImages = (p: tf.Tensor) => unpatchify(p as tf.Tensor3D, c.patchSize, c.channels);
    const images3 = tf.tidy(() => {
      const patches = this.encoder.patchify(images);
      let pred = this.forward(images, { ...options, masking, training: false }).pred;
      if (options.normPixLoss) {
        const { mean, variance } = tf.moments(patches, -1, true);
        pred = tf.add(tf.mul(pred, tf.sqrt(tf.add(variance, 1e-6))), mean) as tf.Tensor3D;
      }
      const mask = tf.tensor3d(masking.mask, [masking.n, masking.numPatches, 1]);
      const keep = tf.sub(1, mask);
      return [toImages(tf.mul(patches, keep)), toImages(pred), toImages(tf.add(tf.mul(patches, keep), tf.mul(pred, mask)))];
    });
    return { masked: images3[0], reconstruction: images3[1], pasted: images3[2], masking };
  }

  /** Decoder weights by name (copies; caller disposes), internal or PyTorch layout. */
  getDecoderWeights(layout: WeightLayout = 'internal'): NamedTensors {
    const out: NamedTensors = new Map();
    for (const [name, v] of this.decoderParams) {
      out.set(name, layout === 'internal' ? v.clone() : toTorchLayout(v, this.layouts.get(name)!));
    }
    return out;
  }

  /** Assign decoder weights by name (all required; shapes must match). */
  setDecoderWeights(weights: NamedTensors, layout: WeightLayout = 'internal'): void {
    for (const [name, v] of this.decoderParams) {
      const t = weights.get(name);
      if (!t) throw new Error(`Decoder weights lack "${name}": the file was written for another decoder.`);
      tf.tidy(() => {
        const value = layout === 'internal' ? t : fromTorchLayout(t, this.layouts.get(name)!);
        if (!tf.util.arraysEqual(value.shape, v.shape)) {
          throw new Error(`Decoder weight "${name}" has shape [${value.shape}]; this decoder expects [${v.shape}].`);
        }
        v.assign(value);
      });
    }
  }

  /** Dispose the decoder's variables (the encoder is the caller's). */
  dispose(): void {
    this.store.dispose();
  }
}

/** Build an MAE around `encoder` with a seeded decoder. */
export function createMAE(encoder: ViT, decoder: DecoderConfig, options: { seed?: number } = {}): MAE {
  return new MAE(encoder, decoder, options.seed ?? 0);
}

/** Patches normalised by their own mean and variance (MAE's `norm_pix_loss` target). */
export function normalizePatches(patches: tf.Tensor3D): tf.Tensor3D {
  const { mean, variance } = tf.moments(patches, -1, true);
  return tf.div(tf.sub(patches, mean), tf.sqrt(tf.add(variance, 1e-6))) as tf.Tensor3D;
}

/** One-hot rows `[R, L]` for indices `[R]`, built on the CPU (tf.oneHot float output is broken on wasm). */
function oneHotRows(indices: Int32Array, l: number): tf.Tensor2D {
  const data = new Float32Array(indices.length * l);
  for (let r = 0; r < indices.length; r++) data[r * l + indices[r]] = 1;
  return tf.tensor2d(data, [indices.length, l]);
}

/** `[N, L, K]` with a 1 at (i, keep[i, j], j): moves kept slot j of image i to patch position keep[i, j]. */
function scatterMatrix(m: Masking): Float32Array {
  const { n, numPatches: l, numKept: k } = m;
  const data = new Float32Array(n * l * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) data[i * l * k + m.keep[i * k + j] * k + j] = 1;
  return data;
}
