/** Segmentation data fitted to a backbone's input size (loading and splitting: src/data/sources/seg-source.ts). */
import type { ViTConfig } from '../model/config';
import { resizeMasksNearest, segImages, type SegDataset } from '../data/sets/segmentation';
import { fitToBackbone } from '../data/sets/fit';

/**
 * Make `ds` match the backbone's input: matching data pass through; otherwise an error naming both shapes,
 * unless `convert` (images as `fitToBackbone` converts them: bilinear, channels replicated or averaged; masks
 * nearest-neighbour; pixel sizes rescaled so that distances in mm stay right).
 */
export function fitSegToBackbone(ds: SegDataset, config: ViTConfig, convert = false): SegDataset {
  const [, h, w] = ds.images.shape;
  const images = fitToBackbone(segImages(ds), config, convert).images;
  if (images === ds.images) return ds;
  const s = config.imageSize;
  const out: SegDataset = { ...ds, images, masks: resizeMasksNearest(ds.masks, s), source: `${ds.source} (converted)` };
  if (ds.pixelSize) out.pixelSize = ds.pixelSize.map((v, i) => (i % 2 === 0 ? (v * w) / s : (v * h) / s));
  return out;
}
