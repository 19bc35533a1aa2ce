/**
 * ViT configuration: one small readonly object, named presets, and `validateViTConfig()`.
 *
 * The presets match the PyTorch twin's (`PRESETS` in scripts/torch_vit.py, timed by scripts/torch_bench.py), so a
 * step time measured here can be compared with the same model in PyTorch.
 */

/** How position embeddings are made. */
export type PosEmbedKind = 'learned' | 'sincos';
/** What the head reads: the class token, or the mean of the patch tokens. */
export type PoolKind = 'cls' | 'mean';

/** Shape of a Vision Transformer (pre-norm, fused qkv, exact GELU, LayerNorm eps 1e-6). */
export interface ViTConfig {
  /** Square image side in pixels (H = W). */
  readonly imageSize: number;
  /** Image channels C (1 for grey-scale medical images). */
  readonly channels: number;
  /** Square patch side P; `imageSize` must be a multiple of it. */
  readonly patchSize: number;
  /** Token width D. */
  readonly dim: number;
  /** Number of transformer blocks. */
  readonly depth: number;
  /** Attention heads; `dim` must be a multiple of it. */
  readonly heads: number;
  /** Hidden width of each block's MLP (PyTorch: `mlp_ratio * dim`). */
  readonly mlpDim: number;
  /** Classes of the task head. */
  readonly numClasses: number;
  /** `learned` (trained, timm's default) or fixed 2-D `sincos` (MAE). */
  readonly posEmbed: PosEmbedKind;
  /** Head input: `cls` token or `mean` of the patch tokens. */
  readonly pool: PoolKind;
}

/** Names of the built-in presets. */
export type PresetName = 'tiny' | 'tutorial' | 'p4' | 'small' | 'small7' | 'tutorial64' | 'g64' | 'large';

const BASE = { numClasses: 10, posEmbed: 'learned', pool: 'cls' } as const;

/**
 * Named presets; `tiny`, `tutorial`, `p4` and `large` equal the PyTorch twin's (`PRESETS` in scripts/torch_vit.py):
 * `tiny` 28x28x1 patch 7 dim 32 depth 2 heads 2 mlp 64 (tests); `tutorial` 28x28x1 patch 7 dim 64 depth 4 heads 4
 * mlp 128; `p4` like tutorial with patch 4 (49 tokens); `large` 64x64x3 patch 8 dim 192 depth 6 heads 3 mlp 768.
 * Two more for the TPP study's Tiny-ImageNet backbones (not in scripts/torch_vit.py): `small` 28x28x1 patch 4 dim 128
 * depth 6 heads 4 mlp 256, and `g64` 64x64x1 patch 8 (64 tokens) with the same width and depth. One for the regime
 * map's capacity axis (also in the twin): `small7`, `small`'s width and depth at `tutorial`'s patch 7 (16 tokens), so
 * it differs from `tutorial` in capacity only (about 0.8 M parameters against 139 k). One for segmentation
 * at 64 px on a laptop CPU: `tutorial64`, the `tutorial` widths (dim 64, depth 4, heads 4, mlp 128) on 64x64x1 images,
 * patch 8 (an 8x8 grid of 64 tokens).
 * All default to 10 classes (scripts/torch_vit.py's `DEFAULTS`), learned position embeddings and cls pooling.
 */
export const VIT_PRESETS: Readonly<Record<PresetName, ViTConfig>> = Object.freeze({
  tiny: Object.freeze({ ...BASE, imageSize: 28, channels: 1, patchSize: 7, dim: 32, depth: 2, heads: 2, mlpDim: 64 }),
  tutorial: Object.freeze({ ...BASE, imageSize: 28, channels: 1, patchSize: 7, dim: 64, depth: 4, heads: 4, mlpDim: 128 }),
  p4: Object.freeze({ ...BASE, imageSize: 28, channels: 1, patchSize: 4, dim: 64, depth: 4, heads: 4, mlpDim: 128 }),
  small: Object.freeze({ ...BASE, imageSize: 28, channels: 1, patchSize: 4, dim: 128, depth: 6, heads: 4, mlpDim: 256 }),
  small7: Object.freeze({ ...BASE, imageSize: 28, channels: 1, patchSize: 7, dim: 128, depth: 6, heads: 4, mlpDim: 256 }),
  tutorial64: Object.freeze({ ...BASE, imageSize: 64, channels: 1, patchSize: 8, dim: 64, depth: 4, heads: 4, mlpDim: 128 }),
  g64: Object.freeze({ ...BASE, imageSize: 64, channels: 1, patchSize: 8, dim: 128, depth: 6, heads: 4, mlpDim: 256 }),
  large: Object.freeze({ ...BASE, imageSize: 64, channels: 3, patchSize: 8, dim: 192, depth: 6, heads: 3, mlpDim: 768 }),
});

/**
 * A validated, frozen config: a preset (by name) or a full config, with fields overridden.
 * Example: `vitConfig('tutorial', { numClasses: 2 })`.
 */
export function vitConfig(base: PresetName | ViTConfig, overrides: Partial<ViTConfig> = {}): ViTConfig {
  let start: ViTConfig;
  if (typeof base === 'string') {
    if (!(base in VIT_PRESETS)) {
      throw new Error(`Unknown ViT preset "${base}". Use one of: ${Object.keys(VIT_PRESETS).join(', ')}.`);
    }
    start = VIT_PRESETS[base];
  } else {
    start = base;
  }
  const config = Object.freeze({ ...start, ...overrides });
  validateViTConfig(config);
  return config;
}

function positiveInt(config: ViTConfig, field: keyof ViTConfig): void {
  const v = config[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new Error(`ViTConfig.${field} must be a positive integer, got ${JSON.stringify(v)}.`);
  }
}

/** Throw an Error naming the bad field (and what would fix it) if `config` is not a usable ViT shape. */
export function validateViTConfig(config: ViTConfig): void {
  if (config === null || typeof config !== 'object') throw new Error('ViTConfig must be an object.');
  for (const f of ['imageSize', 'channels', 'patchSize', 'dim', 'depth', 'heads', 'mlpDim', 'numClasses'] as const) {
    positiveInt(config, f);
  }
  if (config.imageSize % config.patchSize !== 0) {
    throw new Error(
      `ViTConfig.imageSize (${config.imageSize}) must be a multiple of patchSize (${config.patchSize}); pick a patch size that divides it.`,
    );
  }
  if (config.dim % config.heads !== 0) {
    throw new Error(`ViTConfig.dim (${config.dim}) must be a multiple of heads (${config.heads}).`);
  }
  if (config.posEmbed !== 'learned' && config.posEmbed !== 'sincos') {
    throw new Error(`ViTConfig.posEmbed must be "learned" or "sincos", got ${JSON.stringify(config.posEmbed)}.`);
  }
  if (config.posEmbed === 'sincos' && config.dim % 4 !== 0) {
    throw new Error(`ViTConfig.dim (${config.dim}) must be a multiple of 4 for 2-D sin-cos position embeddings.`);
  }
  if (config.pool !== 'cls' && config.pool !== 'mean') {
    throw new Error(`ViTConfig.pool must be "cls" or "mean", got ${JSON.stringify(config.pool)}.`);
  }
  const known = new Set(['imageSize', 'channels', 'patchSize', 'dim', 'depth', 'heads', 'mlpDim', 'numClasses', 'posEmbed', 'pool']);
  for (const k of Object.keys(config)) {
    if (!known.has(k)) throw new Error(`ViTConfig has an unknown field "${k}"; known fields: ${[...known].join(', ')}.`);
  }
}

/** Patches per image side (`imageSize / patchSize`). */
export function gridSize(config: ViTConfig): number {
  return config.imageSize / config.patchSize;
}

/** Number of patch tokens L = (H / P)^2 (the class token not counted). */
export function numPatches(config: ViTConfig): number {
  return gridSize(config) ** 2;
}

/** Values per flattened patch P*P*C. */
export function patchValues(config: ViTConfig): number {
  return config.patchSize * config.patchSize * config.channels;
}
