/**
 * One pre-norm transformer block (timm's `Block`): LayerNorm → multi-head self-attention with fused qkv →
 * residual; LayerNorm → MLP with exact GELU → residual. Shared by the ViT encoder (`blocks.i`) and the MAE
 * decoder (`decoder_blocks.i`), which differ only in the parameter prefix and the width. Its ops and their
 * parameters are the sites of sites.ts.
 *
 * Tokens stay a 2-D matrix `[N*T, D]` so every dense layer is one rank-2 matmul (wasm's fast path).
 */
import * as tf from '@tensorflow/tfjs';
import { multiHeadAttention, multiHeadAttentionPlain } from './attention';
import { gelu, layerNorm, linear } from './dense';
import type { ForwardContext, VitHooks } from './hooks';
import type { ParamStore } from './params';
import { blockSiteNames, blockSites } from './sites';

/** Create the parameters of block `prefix` (number `index`) in `store`, site by site in forward order. */
export function addBlockParams(store: ParamStore, prefix: string, index: number, dim: number, mlpDim: number): void {
  for (const s of blockSites(prefix, index, dim, mlpDim)) {
    if (s.kind === 'linear') store.addLinear(s.name, s.fanIn, s.fanOut);
    else store.addNorm(s.name, s.fanOut);
  }
}

/** What `transformerBlock` runs on besides the tokens. */
export interface BlockOptions {
  /** Where the block's parameters are (looked up by full name). */
  params: ParamStore;
  /** Parameter prefix, e.g. `blocks.3`. */
  prefix: string;
  /** Block number, handed to `afterBranch` hooks. */
  index: number;
  /** Sequences N and tokens per sequence T of the token matrix `[N*T, D]`. */
  sequences: number;
  tokens: number;
  /** Attention heads. */
  heads: number;
  /** State of this forward call, handed to hooks. */
  ctx: ForwardContext;
  /** PEFT hooks (the MAE decoder has none). */
  hooks?: VitHooks;
  /** When given, the attention probabilities `[N, H, T, T]` are pushed to it (slower: the plain formulation). */
  attention?: tf.Tensor4D[];
}

/** Run one block on `x` `[N*T, D]`; returns `[N*T, D]`. */
export function transformerBlock(x: tf.Tensor2D, options: BlockOptions): tf.Tensor2D {
  const { params, index, sequences: n, tokens: t, heads, ctx, hooks, attention } = options;
  const s = blockSiteNames(options.prefix);
  const op = (site: string, input: tf.Tensor2D, y: tf.Tensor2D) => (hooks?.afterOp ? hooks.afterOp(site, input, y, ctx) : y);
  const dense = (site: string, input: tf.Tensor2D) =>
    op(site, input, linear(input, params.get(`${site}.weight`) as tf.Tensor2D, params.get(`${site}.bias`) as tf.Tensor1D));
  const norm = (site: string, input: tf.Tensor2D) =>
    op(site, input, layerNorm(input, params.get(`${site}.weight`) as tf.Tensor1D, params.get(`${site}.bias`) as tf.Tensor1D));
  // Attention branch.
  const qkv = dense(s.qkv, norm(s.norm1, x));
  // The fast custom-gradient op unless the attention maps are wanted (they need the plain formulation).
  let o: tf.Tensor2D;
  if (attention) {
    const plain = multiHeadAttentionPlain(qkv, n, t, heads);
    attention.push(plain.probs);
    o = plain.out;
  } else {
    o = multiHeadAttention(qkv, n, t, heads);
  }
  let a = dense(s.proj, o);
  if (hooks?.afterBranch) a = hooks.afterBranch(index, 'attn', x, a, ctx);
  const x1 = tf.add(x, a) as tf.Tensor2D;
  // MLP branch.
  const f1 = dense(s.fc1, norm(s.norm2, x1));
  let m = dense(s.fc2, gelu(f1));
  if (hooks?.afterBranch) m = hooks.afterBranch(index, 'mlp', x1, m, ctx);
  return tf.add(x1, m) as tf.Tensor2D;
}
