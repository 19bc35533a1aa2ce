/**
 * Attention maps for pictures: how much the class token attends to each image patch, per block and head,
 * laid out on the patch grid.
 */
import * as tf from '@tensorflow/tfjs';
import type { ClassifierOutput, ForwardOptions } from '../model/vit';
import type { ViTConfig } from '../model/config';

/** Anything that forwards like a ViT with attention maps: a `ViT` or a `PeftModel`. */
export interface AttentionSource {
  /** A `ViT`'s config (a `PeftModel`'s `config` is its method's: `vitConfig` is read first). */
  readonly config?: ViTConfig | object;
  readonly vitConfig?: ViTConfig;
  forwardDetailed(images: tf.Tensor4D, options?: ForwardOptions): ClassifierOutput;
}

/**
 * Class-token attention of one image `[1, H, W, C]` (or `[H, W, C]`): `maps[block][head]` is a `[g][g]` grid
 * (g = image size / patch size) of the softmax weights from the class token to each patch; the weights to the
 * class token itself (and to prompt tokens, if any) are left out, so a map sums to at most 1.
 */
export async function clsAttentionMaps(model: AttentionSource, image: tf.Tensor): Promise<number[][][][]> {
  const config = (model.vitConfig ?? model.config) as ViTConfig | undefined;
  if (!config || typeof config.imageSize !== 'number') throw new Error('clsAttentionMaps: the model has no ViT config (pass a ViT or a PeftModel).');
  const g = config.imageSize / config.patchSize;
  const l = g * g;
  const x = (image.rank === 3 ? image.expandDims(0) : image) as tf.Tensor4D;
  if (x.rank !== 4 || x.shape[0] !== 1) throw new Error(`clsAttentionMaps: expected one image [1, H, W, C], got [${x.shape.join(', ')}].`);
  const rows = tf.tidy(() => {
    const out = model.forwardDetailed(x, { attention: true });
    // attention[b]: [N, heads, T, T]; row 0 is the class token; the patches are the last L columns
    return (out.attention ?? []).map((a) => {
      const [, heads, t] = a.shape;
      return tf.slice(a, [0, 0, 0, t - l], [1, heads, 1, l]).reshape([heads, l]);
    });
  });
  if (x !== image) x.dispose();
  const maps: number[][][][] = [];
  for (const r of rows) {
    const v = (await r.array()) as number[][];
    maps.push(v.map((head) => Array.from({ length: g }, (_, i) => head.slice(i * g, (i + 1) * g))));
  }
  tf.dispose(rows);
  return maps;
}
