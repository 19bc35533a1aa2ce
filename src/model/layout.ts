/**
 * Internal vs PyTorch weight layouts.
 *
 * Inside tpp-lab a dense weight is `[in, out]` (fast on wasm, `x @ W`). PyTorch's `nn.Linear.weight` is
 * `[out, in]`, and timm's patch embedding is a convolution `[D, C, P, P]`. Checkpoints always hold PyTorch's
 * layout; these functions convert one tensor each way.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * How a named parameter is laid out:
 * - `plain`: the same in both (biases, norms, tokens, position embeddings, LoRA-free vectors);
 * - `linear`: internal `[in, out]` ↔ PyTorch `[out, in]`;
 * - `patch`: internal `[P*P*C, D]` (value order `(py, px, c)`, see patches.ts) ↔ conv `[D, C, P, P]`.
 */
export type ParamLayout = 'plain' | 'linear' | 'patch';

/** Convert one internal tensor to PyTorch layout (a new tensor; the input is not disposed). */
export function toTorchLayout(t: tf.Tensor, layout: ParamLayout, patchSize = 0, channels = 0): tf.Tensor {
  return tf.tidy(() => {
    if (layout === 'plain') return t.clone();
    if (layout === 'linear') return tf.transpose(t);
    const [ppc, d] = t.shape;
    if (patchSize * patchSize * channels !== ppc) {
      throw new Error(`patch weight has ${ppc} inputs, expected ${patchSize}*${patchSize}*${channels}.`);
    }
    return tf.transpose(t).reshape([d, patchSize, patchSize, channels]).transpose([0, 3, 1, 2]);
  });
}

/** Convert one PyTorch-layout tensor to the internal layout (a new tensor). */
export function fromTorchLayout(t: tf.Tensor, layout: ParamLayout): tf.Tensor {
  return tf.tidy(() => {
    if (layout === 'plain') return t.clone();
    if (layout === 'linear') return tf.transpose(t);
    const [d, c, p, p2] = t.shape;
    return t.transpose([0, 2, 3, 1]).reshape([d, p * p2 * c]).transpose();
  });
}

/** The PyTorch shape of an internal shape under a layout. */
export function torchShape(shape: readonly number[], layout: ParamLayout, patchSize = 0, channels = 0): number[] {
  if (layout === 'plain') return [...shape];
  if (layout === 'linear') return [shape[1], shape[0]];
  return [shape[1], channels, patchSize, patchSize];
}
