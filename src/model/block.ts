/**
 * One pre-norm transformer block (timm's `Block`): LayerNorm → multi-head self-attention with fused qkv →
 * residual; LayerNorm → MLP with exact GELU → residual. Shared by the ViT encoder (`blocks.i`) and the MAE
 * decoder (`decoder_blocks.i`), which differ only in the parameter prefix and the width.
 *
 * Tokens stay a 2-D matrix `[N*T, D]` so every dense layer is one rank-2 matmul (wasm's fast path).
 */
import * as tf from '@tensorflow/tfjs';
import { multiHeadAttention, multiHeadAttentionPlain } from './attention';
import { gelu, layerNorm, linear } from './dense';
import type { ForwardContext, VitHooks } from './hooks';

/**
 * Run block `prefix` (e.g. `blocks.3`) on `x` `[N*T, D]`; `param(name)` looks parameters up by full name.
 * `index` is the block number handed to `afterBranch` hooks; attention probabilities `[N, H, T, T]` are pushed
 * to `attention` when it is given. Returns `[N*T, D]`.
 */
export function transformerBlock(
  param: (name: string) => tf.Tensor,
  prefix: string,
  index: number,
  x: tf.Tensor2D,
  n: number,
  t: number,
  heads: number,
  ctx: ForwardContext,
  hooks?: VitHooks,
  attention?: tf.Tensor4D[],
): tf.Tensor2D {
  const op = (site: string, input: tf.Tensor2D, y: tf.Tensor2D) => (hooks?.afterOp ? hooks.afterOp(site, input, y, ctx) : y);
  const dense = (site: string, input: tf.Tensor2D) =>
    op(site, input, linear(input, param(`${site}.weight`) as tf.Tensor2D, param(`${site}.bias`) as tf.Tensor1D));
  const norm = (site: string, input: tf.Tensor2D) =>
    op(site, input, layerNorm(input, param(`${site}.weight`) as tf.Tensor1D, param(`${site}.bias`) as tf.Tensor1D));
  // Attention branch.
  const qkv = dense(`${prefix}.attn.qkv`, norm(`${prefix}.norm1`, x));
  // The fast custom-gradient op unless the attention maps are wanted (they need the plain formulation).
  let o: tf.Tensor2D;
  if (attention) {
    const plain = multiHeadAttentionPlain(qkv, n, t, heads);
    attention.push(plain.probs);
    o = plain.out;
  } else {
    o = multiHeadAttention(qkv, n, t, heads);
  }
  let a = dense(`${prefix}.attn.proj`, o);
  if (hooks?.afterBranch) a = hooks.afterBranch(index, 'attn', x, a, ctx);
  const x1 = tf.add(x, a) as tf.Tensor2D;
  // MLP branch.
  const f1 = dense(`${prefix}.mlp.fc1`, norm(`${prefix}.norm2`, x1));
  let m = dense(`${prefix}.mlp.fc2`, gelu(f1));
  if (hooks?.afterBranch) m = hooks.afterBranch(index, 'mlp', x1, m, ctx);
  return tf.add(x1, m) as tf.Tensor2D;
}
