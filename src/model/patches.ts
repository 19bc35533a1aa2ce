/**
 * Patchify / unpatchify. Images are channels-last `[N, H, W, C]` like the data pipeline's.
 *
 * Patch order is row-major over the grid (patch (row, col) is token `row * (H/P) + col`); inside a patch the
 * values run row, column, then channel: value `(py * P + px) * C + c`. This is exactly scripts/torch_vit.py's
 * `patchify` (which permutes NCHW to `(grid_y, grid_x, py, px, c)`), and it is why `patch_embed.proj.weight`,
 * stored `[PPC, D]` here, becomes timm's convolution weight `[D, C, P, P]` by a transpose and a reshape.
 */
import * as tf from '@tensorflow/tfjs';

/** `[N, H, W, C]` → `[N, (H/P)*(W/P), P*P*C]`. */
export function patchify(images: tf.Tensor4D, patchSize: number): tf.Tensor3D {
  const [n, h, w, c] = images.shape;
  const p = patchSize;
  if (h % p !== 0 || w % p !== 0) {
    throw new Error(`patchify: image ${h}x${w} is not a multiple of the patch size ${p}.`);
  }
  return tf.tidy(() =>
    images
      .reshape([n, h / p, p, w / p, p, c])
      .transpose([0, 1, 3, 2, 4, 5])
      .reshape([n, (h / p) * (w / p), p * p * c]),
  );
}

/** Inverse of `patchify`: `[N, L, P*P*C]` → `[N, H, W, C]` for square images of `gridSize * P` pixels. */
export function unpatchify(patches: tf.Tensor3D, patchSize: number, channels: number): tf.Tensor4D {
  const [n, l, ppc] = patches.shape;
  const g = Math.round(Math.sqrt(l));
  const p = patchSize;
  if (g * g !== l || ppc !== p * p * channels) {
    throw new Error(`unpatchify: got ${l} patches of ${ppc} values; expected a square grid of ${p}x${p}x${channels} patches.`);
  }
  return tf.tidy(() =>
    patches
      .reshape([n, g, g, p, p, channels])
      .transpose([0, 1, 3, 2, 4, 5])
      .reshape([n, g * p, g * p, channels]),
  );
}
