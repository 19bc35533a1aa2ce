/**
 * Does a dataset fit a backbone? Images `[N, H, W, C]` must be `imageSize` x `imageSize` x `channels`; every stage
 * checks its data with `checkImagesFit`, and `fitToBackbone` (`fitSegToBackbone` for images with masks) converts data
 * that does not fit when asked to.
 */
import type { Dataset } from './dataset';
import { resizeBilinear } from './resize';
import { resizeMasksNearest, segImages, type SegDataset } from './segmentation';

/** What a backbone takes as input (a `ViTConfig` has these fields): square images of `imageSize` px, `channels` deep. */
export interface ImageInput {
  imageSize: number;
  channels: number;
}

/**
 * Throw unless the images of `ds` (`[N, H, W, C]`) are what `config` takes (`imageSize` x `imageSize` x
 * `channels`); `stage` (e.g. `finetune`) starts the message. Every stage checks its data with this before training.
 */
export function checkImagesFit(ds: Dataset, config: ImageInput, stage: string): void {
  const [, h, w, c] = ds.images.shape;
  if (h === config.imageSize && w === config.imageSize && c === config.channels) return;
  throw new Error(
    `${stage}: ${ds.source} has images ${h}x${w}x${c} but the backbone expects ${config.imageSize}x${config.imageSize}x${config.channels}. ` +
      'Use data of that size (e.g. MedMNIST --size 28), a backbone for this size, or pass --convert to resize and convert channels.',
  );
}

/**
 * What `fitToBackbone(ds, config, true)` does to `ds`, in words for a note to the user; null when it fits as it is.
 * RGB data on a grey backbone become the mean of their channels: while the patch embedding stays frozen (LoRA,
 * adapters, prompts, BitFit on biases) that equals inflating the embedding to 3 channels with its weights divided
 * by 3 (timm's rule); grey data on an RGB backbone are repeated to 3 channels.
 */
export function describeFit(ds: Dataset, config: ImageInput): string | null {
  const [, h, w, c] = ds.images.shape;
  const parts: string[] = [];
  if (h !== config.imageSize || w !== config.imageSize) parts.push(`resized ${h}x${w} → ${config.imageSize}x${config.imageSize} (bilinear)`);
  if (c !== config.channels) {
    parts.push(config.channels === 1
      ? `${c} channels → 1 (their mean: the same as a grey patch embedding inflated to ${c} channels with weights / ${c}, as timm does)`
      : c === 1 ? `1 channel repeated to ${config.channels}` : `${c} channels → ${config.channels}`);
  }
  return parts.length ? `${ds.source}: ${parts.join('; ')} to fit the backbone` : null;
}

/**
 * Make `ds` match the backbone's input. Matching data passes through. A mismatch is an error naming both shapes,
 * unless `convert` is true: then channels are replicated (grey → RGB) or averaged (RGB → grey) and images are
 * resized bilinearly.
 */
export function fitToBackbone(ds: Dataset, config: ImageInput, convert = false): Dataset {
  const [n, h, w, c] = ds.images.shape;
  if (h === config.imageSize && w === config.imageSize && c === config.channels) return ds;
  if (!convert) checkImagesFit(ds, config, 'data');
  const src = ds.images.data;
  const scale = src instanceof Uint8Array ? 1 / 255 : 1;
  const out = new Float32Array(n * config.imageSize * config.imageSize * config.channels);
  const plane = new Float32Array(h * w);
  const per = config.imageSize * config.imageSize;
  for (let i = 0; i < n; i++) {
    // Channel conversion to the backbone's count, one output channel at a time.
    for (let oc = 0; oc < config.channels; oc++) {
      for (let p = 0; p < h * w; p++) {
        const base = (i * h * w + p) * c;
        let v = 0;
        if (c === config.channels) v = src[base + oc];
        else if (c === 1) v = src[base];
        else if (config.channels === 1) {
          for (let k = 0; k < c; k++) v += src[base + k];
          v /= c;
        } else v = src[base + Math.min(oc, c - 1)];
        plane[p] = v * scale;
      }
      const resized = resizeBilinear(plane, h, w, 1, config.imageSize, config.imageSize);
      for (let p = 0; p < per; p++) out[(i * per + p) * config.channels + oc] = resized[p];
    }
  }
  return { ...ds, images: { data: out, shape: [n, config.imageSize, config.imageSize, config.channels] }, source: `${ds.source} (converted)` };
}

/**
 * `fitToBackbone` for segmentation data: matching data pass through; otherwise an error naming both shapes, unless
 * `convert` (images as `fitToBackbone` converts them; masks nearest-neighbour; pixel sizes rescaled so that
 * distances in mm stay right).
 */
export function fitSegToBackbone(ds: SegDataset, config: ImageInput, convert = false): SegDataset {
  const [, h, w] = ds.images.shape;
  const images = fitToBackbone(segImages(ds), config, convert).images;
  if (images === ds.images) return ds;
  const s = config.imageSize;
  const out: SegDataset = { ...ds, images, masks: resizeMasksNearest(ds.masks, s), source: `${ds.source} (converted)` };
  if (ds.pixelSize) out.pixelSize = ds.pixelSize.map((v, i) => (i % 2 === 0 ? (v * w) / s : (v * h) / s));
  return out;
}
