/**
 * Segmentation heads on a ViT's patch tokens: the encoder's normed tokens `[N, 1 + L, D]` (class token first)
 * become per-pixel logits `[N, H, W, K']` (K' = 1 for a binary mask, classes + 1 with background otherwise).
 *
 * - `linear` (SETR-naive, Zheng et al. 2021; Segmenter's linear decoder, Strudel et al. 2021): one linear map
 *   per patch token to K' logits on the `g x g` patch grid, then bilinear upsampling to the image size.
 * - `progressive` (a light SETR-PUP): a linear map of each token to `width` channels, then stages of 2x bilinear
 *   upsampling + 3x3 convolution + ReLU (channels halving, at least 16) until the image size, then a 1x1 linear
 *   map to K' logits.
 *
 * Everything is rank-2 matmuls, reshapes, pads, slices and bilinear resizes: all have gradients on wasm (its
 * Conv2DBackpropFilter is missing, so a 3x3 convolution is written as 9 shifted slices concatenated on the
 * channel axis, `(ky, kx, c)` order, times a `[9*C, C']` weight). Parameters are named `seg_head.*`; checkpoints
 * hold PyTorch layouts (Linear `[out, in]`, Conv2d `[out, in, 3, 3]`), so the head opens in PyTorch as it is.
 */
import * as tf from '@tensorflow/tfjs';
import { linear } from './dense';
import { toTorchLayout, fromTorchLayout, torchShape, type ParamLayout } from './layout';
import { ParamStore } from './params';

/** Head architectures. */
export const SEG_HEAD_KINDS = ['linear', 'progressive'] as const;
export type SegHeadKind = (typeof SEG_HEAD_KINDS)[number];
/** The head used when none is named (chosen on validation Dice: docs/segmentation.md). */
export const DEFAULT_SEG_HEAD: SegHeadKind = 'progressive';

/** Shape of a segmentation head (JSON-safe; stored in adapter metadata). */
export interface SegHeadConfig {
  kind: SegHeadKind;
  /** Logit channels K': 1 for a binary mask, classes + 1 (background first) otherwise. */
  outputs: number;
  /** Token dimension D of the backbone. */
  dim: number;
  /** Patch grid side g = imageSize / patchSize. */
  grid: number;
  /** Output side (the image size). */
  imageSize: number;
  /** Progressive head: channels after the token projection (default 64). */
  width?: number;
}

/** Throw an Error naming the bad field. */
export function validateSegHeadConfig(c: SegHeadConfig): void {
  if (!SEG_HEAD_KINDS.includes(c.kind)) throw new Error(`Segmentation head kind "${c.kind}" is not one of ${SEG_HEAD_KINDS.join(', ')}.`);
  for (const f of ['outputs', 'dim', 'grid', 'imageSize'] as const) {
    if (!Number.isInteger(c[f]) || c[f] < 1) throw new Error(`SegHeadConfig.${f} must be a whole number ≥ 1, got ${c[f]}.`);
  }
  if (c.width !== undefined && (!Number.isInteger(c.width) || c.width < 1)) throw new Error(`SegHeadConfig.width must be a whole number ≥ 1, got ${c.width}.`);
  if (c.imageSize < c.grid) throw new Error(`SegHeadConfig.imageSize (${c.imageSize}) is below the patch grid (${c.grid}).`);
}

/** Sides of the progressive head's stages: doubling from the grid, the last one exactly the image size. */
function stageSizes(grid: number, imageSize: number): number[] {
  const sizes: number[] = [];
  for (let s = grid; s < imageSize;) {
    s = Math.min(imageSize, 2 * s);
    sizes.push(s);
  }
  return sizes;
}

/** A 3x3 convolution (stride 1, zero padding 1) as shifted slices and one rank-2 matmul: `[N, h, w, C]` → `[N, h, w, C']`. */
export function conv3x3(x: tf.Tensor4D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const taps: tf.Tensor4D[] = [];
  for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) taps.push(tf.slice(padded, [0, ky, kx, 0], [n, h, w, c]));
  const cols = tf.concat(taps, 3).reshape([n * h * w, 9 * c]) as tf.Tensor2D;
  return linear(cols, weight, bias).reshape([n, h, w, weight.shape[1]]);
}

/** A segmentation head. Create with `createSegHead`; dispose when done. */
export class SegHead {
  readonly config: Readonly<SegHeadConfig>;
  /** Parameters by name (internal layout: dense `[in, out]`, 3x3 convs `[9*C, C']`). */
  readonly params: Map<string, tf.Variable>;
  /** PyTorch layout of each parameter (conv weights: `patch` with patch size 3 and their input channels). */
  readonly layouts: Map<string, ParamLayout>;
  private readonly store: ParamStore;
  /** Input channels of each 3x3 conv weight (what its `patch` layout converts with). */
  private readonly convChannels = new Map<string, number>();

  constructor(config: SegHeadConfig, seed: number) {
    validateSegHeadConfig(config);
    this.config = Object.freeze({ ...config });
    const p = new ParamStore('SegHead', seed);
    this.store = p;
    this.params = p.params;
    this.layouts = p.layouts;
    const { kind, dim, outputs } = config;
    if (kind === 'linear') {
      p.addLinear('seg_head.proj', dim, outputs);
      return;
    }
    let width = config.width ?? 64;
    p.addLinear('seg_head.proj', dim, width);
    stageSizes(config.grid, config.imageSize).forEach((_, i) => {
      const next = Math.max(16, width >> 1);
      // He-uniform for a ReLU layer (fan-in 9*C).
      const conv = `seg_head.up.${i}.conv`;
      p.addLinear(conv, 9 * width, next, { kind: 'uniform', limit: Math.sqrt(6 / (9 * width)) }, { layout: 'patch' });
      this.convChannels.set(`${conv}.weight`, width);
      width = next;
    });
    p.addLinear('seg_head.cls', width, outputs);
  }

  private p(name: string): tf.Variable {
    return this.store.get(name);
  }

  /** Number of scalar parameters. */
  numParameters(): number {
    return this.store.numParameters();
  }

  /** Normed tokens `[N, 1 + L, D]` (class token first) → logits `[N, H, W, K']`. Call inside `tf.tidy`. */
  forward(tokens: tf.Tensor3D): tf.Tensor4D {
    const { grid: g, dim: d, imageSize: s } = this.config;
    const [n, t] = tokens.shape;
    if (t !== g * g + 1 || tokens.shape[2] !== d) {
      throw new Error(`SegHead expects tokens [N, ${g * g + 1}, ${d}] (class token + ${g}x${g} patches), got [${tokens.shape}].`);
    }
    const patches = tf.slice(tokens, [0, 1, 0], [n, g * g, d]).reshape([n * g * g, d]) as tf.Tensor2D;
    let x = linear(patches, this.p('seg_head.proj.weight') as tf.Tensor2D, this.p('seg_head.proj.bias') as tf.Tensor1D);
    let map = x.reshape([n, g, g, x.shape[1]]) as tf.Tensor4D;
    if (this.config.kind === 'linear') return g === s ? map : tf.image.resizeBilinear(map, [s, s], false, true);
    stageSizes(g, s).forEach((size, i) => {
      const up = tf.image.resizeBilinear(map, [size, size], false, true);
      map = tf.relu(conv3x3(up, this.p(`seg_head.up.${i}.conv.weight`) as tf.Tensor2D, this.p(`seg_head.up.${i}.conv.bias`) as tf.Tensor1D));
    });
    const c = map.shape[3];
    x = linear(map.reshape([n * s * s, c]) as tf.Tensor2D, this.p('seg_head.cls.weight') as tf.Tensor2D, this.p('seg_head.cls.bias') as tf.Tensor1D);
    return x.reshape([n, s, s, this.config.outputs]);
  }

  /** Copies of the weights in PyTorch layout (caller disposes). */
  torchWeights(): Map<string, tf.Tensor> {
    return new Map([...this.params].map(([name, v]) => [name, toTorchLayout(v, this.layouts.get(name)!, 3, this.convChannels.get(name) ?? 0)] as [string, tf.Tensor]));
  }

  /** PyTorch-layout shape of each parameter (what a checkpoint must hold). */
  torchShapes(): Map<string, number[]> {
    return new Map([...this.params].map(([name, v]) => [name, torchShape(v.shape, this.layouts.get(name)!, 3, this.convChannels.get(name) ?? 0)] as [string, number[]]));
  }

  /** Assign PyTorch-layout values (every name, checked shapes: see `torchShapes`). */
  setTorchWeights(values: Map<string, { data: Float32Array; shape: number[] }>): void {
    for (const [name, v] of this.params) {
      const e = values.get(name);
      if (!e) throw new Error(`SegHead: no value for "${name}".`);
      tf.tidy(() => v.assign(fromTorchLayout(tf.tensor(e.data, e.shape, 'float32'), this.layouts.get(name)!)));
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** A seeded head (the same seed gives the same weights). */
export function createSegHead(config: SegHeadConfig, seed = 0): SegHead {
  return new SegHead(config, seed);
}
