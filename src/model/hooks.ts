/**
 * Named insertion points of the ViT forward pass. PEFT methods are sets of these hooks (see src/peft); the
 * backbone calls them when given and costs nothing when not.
 *
 * Op sites (`afterOp`) are listed, in forward order with their shapes, by `vitOpSites` (sites.ts):
 * `patch_embed.proj`, then per block i `blocks.i.norm1`, `.attn.qkv`, `.attn.proj`, `.norm2`, `.mlp.fc1`,
 * `.mlp.fc2`, then `norm`.
 */
import * as tf from '@tensorflow/tfjs';

/** State of one forward call that hooks may read. */
export interface ForwardContext {
  /** Training mode (enables dropout, e.g. LoRA's). */
  readonly training: boolean;
  /** Seed of this pass's random draws (LoRA dropout), when the caller gives one (e.g. a per-step seed). */
  readonly seed?: number;
}

/** Which residual branch of a block. */
export type BranchName = 'attn' | 'mlp';

/** Hooks a PEFT method plugs into the backbone. All optional; tensors are 2-D token matrices `[M, width]`, M = N*T. */
export interface VitHooks {
  /**
   * After a named linear or LayerNorm op: `input` is what the op read `[M, in]`, `output` what it produced
   * `[M, out]`; return the output to use instead (LoRA adds `x A B`, SSF scales and shifts).
   */
  afterOp?(site: string, input: tf.Tensor2D, output: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D;
  /**
   * On a residual branch of block `block`, before it is added back: `residual` is the block's stream entering
   * the branch (before its LayerNorm) `[M, D]`, `output` the branch's output `[M, D]` (after `attn.proj` or
   * `mlp.fc2`). Return the branch output to add (adapters).
   */
  afterBranch?(block: number, branch: BranchName, residual: tf.Tensor2D, output: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D;
  /** Tokens entering block `block` `[N, T, D]`; may insert or replace prompt tokens right after the class token. */
  beforeBlock?(block: number, tokens: tf.Tensor3D, ctx: ForwardContext): tf.Tensor3D;
  /** How many prompt tokens `beforeBlock` keeps after the class token; they are removed after the final norm. */
  readonly promptTokens?: number;
}
