/**
 * Light, seeded data augmentation on a batch of images `[B, H, W, C]` held in a Float32Array:
 * random flips, small shifts (a random crop of an edge-padded image), brightness and contrast jitter.
 *
 * It runs on the CPU before the batch becomes a tensor, so it creates no tensors and cannot leak them.
 * Caution: horizontal flips swap left and right; turn them off for labels that depend on laterality
 * (OrganAMNIST/C/S have "kidney-left"/"kidney-right" classes) and for views where side matters.
 */
import { Random, mulberry32, randomInt } from './random';

/** Which augmentations to apply. A missing field or 0 turns that part off. */
export interface AugmentOptions {
  /** Mirror left-right with probability 0.5. */
  flipHorizontal?: boolean;
  /** Mirror top-bottom with probability 0.5. */
  flipVertical?: boolean;
  /** Largest shift as a fraction of the side (0.1 on 28 px → up to ±3 px); borders repeat the edge pixel. */
  maxShift?: number;
  /** Add a uniform offset in [-b, b] to every pixel of an image (pixel scale 0..1). */
  brightness?: number;
  /** Scale each image's deviation from its mean by a factor in [1 - c, 1 + c]. */
  contrast?: number;
  /** Clip results to this range (e.g. `[0, 1]` before normalisation); null = no clipping. Default null. */
  clip?: [number, number] | null;
}

/** The "light" default used when augmentation is simply turned on. */
export const DEFAULT_AUGMENT: Readonly<AugmentOptions> = { flipHorizontal: true, flipVertical: false, maxShift: 0.1, brightness: 0.1, contrast: 0.1 };

/** Whether `options` changes anything. */
export function augmentIsActive(options: AugmentOptions | false | null | undefined): options is AugmentOptions {
  if (!options) return false;
  return Boolean(options.flipHorizontal || options.flipVertical || options.maxShift || options.brightness || options.contrast);
}

/**
 * Augment a batch `[B, H, W, C]` (pixel values in `images`). Returns a new array, or `images` itself
 * unchanged when `options` is false or turns nothing on (augmentation off is the identity).
 * `rand` is a seeded generator (`mulberry32(seed)`) or a seed.
 */
export function augment(images: Float32Array, shape: readonly [number, number, number, number], options: AugmentOptions | false | null | undefined, rand: Random | number): Float32Array {
  return augmentCore(images, shape, options, rand).images;
}

/**
 * Augment a batch of images `[B, H, W, C]` and their masks `[B, H, W, K]` together: each mask gets exactly its
 * image's flips and shift (edge pixels repeat, as for the image), never the intensity changes, so it stays
 * aligned. The images come out as `augment` would make them with the same generator.
 */
export function augmentWithMasks(
  images: Float32Array, shape: readonly [number, number, number, number], masks: Float32Array, maskChannels: number,
  options: AugmentOptions | false | null | undefined, rand: Random | number,
): { images: Float32Array; masks: Float32Array } {
  const [b, h, w] = shape;
  if (masks.length !== b * h * w * maskChannels) throw new Error(`augmentWithMasks: ${masks.length} mask values do not match [${b}, ${h}, ${w}, ${maskChannels}].`);
  const r = augmentCore(images, shape, options, rand, { data: masks, channels: maskChannels });
  return { images: r.images, masks: r.masks ?? masks };
}

/** Copy image `n` of `src` (`[B, H, W, C]`) into `dst` flipped and shifted (borders repeat the edge pixel). */
function warp(src: Float32Array, dst: Float32Array, n: number, h: number, w: number, c: number, flipX: boolean, flipY: boolean, dy: number, dx: number): void {
  const base = n * h * w * c;
  for (let y = 0; y < h; y++) {
    let yy = Math.min(h - 1, Math.max(0, y - dy));
    if (flipY) yy = h - 1 - yy;
    for (let x = 0; x < w; x++) {
      let xx = Math.min(w - 1, Math.max(0, x - dx));
      if (flipX) xx = w - 1 - xx;
      const from = base + (yy * w + xx) * c;
      const to = base + (y * w + x) * c;
      for (let k = 0; k < c; k++) dst[to + k] = src[from + k];
    }
  }
}

function augmentCore(
  images: Float32Array, shape: readonly [number, number, number, number], options: AugmentOptions | false | null | undefined, rand: Random | number,
  masks?: { data: Float32Array; channels: number },
): { images: Float32Array; masks?: Float32Array } {
  if (!augmentIsActive(options)) return { images, masks: masks?.data };
  const random = typeof rand === 'number' ? mulberry32(rand) : rand;
  const [b, h, w, c] = shape;
  if (images.length !== b * h * w * c) throw new Error(`augment: ${images.length} values do not match shape [${shape.join(', ')}].`);
  const out = new Float32Array(images.length);
  const maskOut = masks ? new Float32Array(masks.data.length) : undefined;
  const per = h * w * c;
  const sy = Math.round((options.maxShift ?? 0) * h);
  const sx = Math.round((options.maxShift ?? 0) * w);
  for (let n = 0; n < b; n++) {
    // Draw every random number for this image in a fixed order, so results depend only on the seed.
    const flipX = options.flipHorizontal ? random() < 0.5 : false;
    const flipY = options.flipVertical ? random() < 0.5 : false;
    const dy = sy ? randomInt(random, 2 * sy + 1) - sy : 0;
    const dx = sx ? randomInt(random, 2 * sx + 1) - sx : 0;
    const offset = options.brightness ? (random() * 2 - 1) * options.brightness : 0;
    const factor = options.contrast ? 1 + (random() * 2 - 1) * options.contrast : 1;
    const base = n * per;
    warp(images, out, n, h, w, c, flipX, flipY, dy, dx);
    if (masks && maskOut) warp(masks.data, maskOut, n, h, w, masks.channels, flipX, flipY, dy, dx);
    if (offset !== 0 || factor !== 1) {
      let mean = 0;
      for (let i = base; i < base + per; i++) mean += out[i];
      mean /= per;
      for (let i = base; i < base + per; i++) out[i] = (out[i] - mean) * factor + mean + offset;
    }
    if (options.clip) {
      const [lo, hi] = options.clip;
      for (let i = base; i < base + per; i++) out[i] = Math.min(hi, Math.max(lo, out[i]));
    }
  }
  return { images: out, masks: maskOut };
}
