/**
 * What TPP changes, as pictures: the same target images, with the same hidden patches, reconstructed by the
 * frozen backbone + MAE decoder without the adapter and with the TPP adapter, side by side, with each one's
 * masked-patch loss. The decoder and the masks are shared, so the only difference is the adapter's hooks.
 */
import * as tf from '@tensorflow/tfjs';
import type { MAE } from '../model/mae';
import { randomMasking } from '../model/mae';
import type { PeftModel } from '../peft/model';
import { gallery, imageGrid, tensorImages, type GalleryItem } from './images';

/** Options of `reconstructionComparison`. */
export interface ReconstructionOptions {
  /** Fraction of patches hidden (default 0.75, MAE's). */
  maskRatio?: number;
  /** Seed of the masks (default 0); both reconstructions use the same masks. */
  seed?: number;
  /** The decoder predicts per-patch normalised pixels (`norm_pix_loss`); default false, as `pretrainMAE` trains. */
  normPixLoss?: boolean;
  /**
   * `pasted` (default): the input with only the hidden patches replaced by predictions (how the MAE paper draws
   * it); `full`: the decoder's prediction for every patch.
   */
  view?: 'pasted' | 'full';
  /** Pixel upscaling of the grids (default 3). */
  scale?: number;
  /** Display width of each row's picture in CSS pixels (default: the PNG's own width). */
  width?: number;
  /** Heading above the pictures. */
  title?: string;
}

/** The pictures and the two losses. */
export interface ReconstructionComparison {
  /** An HTML gallery (four rows: images, masked input, without adapter, with adapter); show it with `showHtml`. */
  html: string;
  /** The four pictures (PNG) with their captions, for other layouts. */
  items: GalleryItem[];
  /** Mean squared error on the hidden patches (normalised pixels) without the adapter: the backbone alone. */
  lossWithout: number;
  /** The same with the adapter's hooks. */
  lossWith: number;
}

/**
 * Reconstruct `images` `[N, H, W, C]` (normalised as the backbone expects, e.g. from `batches(..., { normalization })`)
 * with `mae` (whose encoder must be `adapter.base`) twice on the same masks: without and with `adapter`'s hooks.
 * Every picture uses the original images' grey range. Throws for methods that train backbone tensors in place
 * (BitFit, full fine-tuning): after training there is no "without" left to show.
 */
export async function reconstructionComparison(mae: MAE, adapter: PeftModel, images: tf.Tensor4D, options: ReconstructionOptions = {}): Promise<ReconstructionComparison> {
  if (adapter.base !== mae.encoder) {
    throw new Error('reconstructionComparison: the adapter is applied to another backbone than the MAE\'s encoder; load the decoder for the adapter\'s backbone (loadDecoder(path, peft.base)).');
  }
  if (!adapter.module.ownsParams) {
    throw new Error(`reconstructionComparison: ${adapter.config.method} trains the backbone's own tensors in place, so there is no backbone "without" it to compare; use a method with its own parameters (lora, adapter, prompt, ssf).`);
  }
  if (images.rank !== 4 || images.shape[0] < 1) throw new Error(`reconstructionComparison: expected images [N, H, W, C] with N ≥ 1, got [${images.shape.join(', ')}].`);
  const n = images.shape[0];
  const l = (images.shape[1] / mae.encoder.config.patchSize) * (images.shape[2] / mae.encoder.config.patchSize);
  const masking = randomMasking(n, l, options.maskRatio ?? 0.75, options.seed ?? 0);
  const common = { masking, normPixLoss: options.normPixLoss };
  const without = mae.reconstruct(images, common);
  const withAdapter = mae.reconstruct(images, { ...common, hooks: adapter.module.hooks });
  const losses = tf.tidy(() => [mae.forward(images, common).loss, mae.forward(images, { ...common, hooks: adapter.module.hooks }).loss]);
  const [lossWithout, lossWith] = await Promise.all(losses.map(async (t) => (await t.data())[0]));
  const original = await tensorImages(images);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of original.data as Float32Array) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const grid = { cols: n, scale: options.scale ?? 3, range: [lo, hi] as [number, number] };
  const view = (r: typeof without) => (options.view === 'full' ? r.reconstruction : r.pasted);
  const rows: [string, tf.Tensor][] = [
    ['masked input (what the encoder sees)', without.masked],
    [`without the adapter: loss ${lossWithout.toFixed(3)}`, view(without)],
    [`with the TPP adapter: loss ${lossWith.toFixed(3)}`, view(withAdapter)],
  ];
  const items: GalleryItem[] = [{ png: imageGrid(original, grid), caption: 'target images', width: options.width }];
  for (const [caption, t] of rows) items.push({ png: imageGrid(await tensorImages(t), grid), caption, width: options.width });
  tf.dispose([...losses, without.masked, without.reconstruction, without.pasted, withAdapter.masked, withAdapter.reconstruction, withAdapter.pasted]);
  const title = options.title ?? `Reconstructions of ${n} target image(s), ${Math.round(100 * (options.maskRatio ?? 0.75))} % of patches hidden (loss: MSE on hidden patches)`;
  return { html: gallery(items, { title }), items, lossWithout, lossWith };
}
