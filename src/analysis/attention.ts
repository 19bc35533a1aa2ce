/**
 * Where the class token looks: the attention of the class token to every patch, per block and head, as small
 * grids the size of the patch grid (a 28x28 image with 7x7 patches gives 4x4 grids).
 */
import * as tf from '@tensorflow/tfjs';
import type { ClassifierOutput, ForwardOptions } from '../model/vit';
import type { ViTConfig } from '../model/config';

/** Anything that forwards like a ViT with attention maps (a `ViT` or a `PeftModel`). */
export interface AttentionModel {
  forwardDetailed(images: tf.Tensor4D, options?: ForwardOptions): ClassifierOutput;
}

/**
 * Class-token attention of one normalised image `x` `[1, H, W, C]`: `maps[block][head][row][col]`, each head's
 * grid summing to at most 1 (the rest is attention to the class token itself). Needs a model with `pool: 'cls'`.
 */
export async function classTokenAttention(model: AttentionModel, x: tf.Tensor4D, config: ViTConfig): Promise<number[][][][]> {
  if (x.shape[0] !== 1) throw new Error(`classTokenAttention: pass one image [1, H, W, C], got ${x.shape[0]}.`);
  const grid = config.imageSize / config.patchSize;
  const maps = tf.tidy(() => model.forwardDetailed(x, { attention: true }).attention!.map((a) => tf.keep(a)));
  try {
    const out: number[][][][] = [];
    for (const a of maps) {
      const [, heads, tokens] = a.shape;
      if (tokens !== grid * grid + 1) throw new Error(`classTokenAttention: expected ${grid * grid + 1} tokens (class token + ${grid}x${grid} patches), got ${tokens}; prompt tokens are not supported here.`);
      const v = await a.data();
      out.push(Array.from({ length: heads }, (_, h) =>
        Array.from({ length: grid }, (_, r) => Array.from({ length: grid }, (_, c) => v[h * tokens * tokens + 1 + r * grid + c]))));
    }
    return out;
  } finally {
    tf.dispose(maps);
  }
}
