/**
 * Multi-head self-attention core with a hand-written gradient: fused qkv `[N*T, 3D]` → heads' outputs
 * `[N*T, D]` (before the output projection). Same maths as the plain formulation below
 * (softmax(q k^T / sqrt(dh)) v per head); test/perf-ops.test.ts checks all three agree within 1e-5, values and
 * gradients.
 *
 * Two implementations of the op, chosen per call:
 * - On backends that keep tensors in host memory (wasm, cpu), one WebAssembly SIMD kernel per direction
 *   (src/kernels/attention.ts): the forward and the whole backward each in one pass, no batched matmuls, splits
 *   or concats. Tutorial shape (qkv [1088, 192], 4 heads), forward + backward: 1.64 ms against 6.62 ms for
 *   the tfjs-op version (minimum of 60, quiet 2-core machine, wasm; docs/performance-log.md, section 6).
 * - Elsewhere (GPU backends), or when the head width is not a multiple of 4, tfjs ops: it saves q, k, v and the
 *   probabilities and runs the backward pass as four batched matmuls, the softmax gradient with the scale
 *   folded in, and one concat (tfjs's automatic gradient of the plain formulation records every reshape,
 *   transpose, scale and softmax step and replays each backwards, with casts and identities in between).
 */
import * as tf from '@tensorflow/tfjs';
import { attentionBackwardTensors, attentionForwardTensors, attentionKernelFits } from '../kernels/attention';
import { ownKernelsActive } from '../kernels/wasm';

type GradArg = tf.Tensor | tf.GradSaveFunc;

/** `[N*T, 3D]` → q, k, v as `[N, H, T, dh]` each (one split, one cheap 4-D transpose each). */
function splitHeads(qkv: tf.Tensor, n: number, t: number, heads: number): tf.Tensor4D[] {
  const dh = qkv.shape[1]! / 3 / heads;
  return tf.split(qkv, 3, 1).map((p) => p.reshape([n, t, heads, dh]).transpose([0, 2, 1, 3]) as tf.Tensor4D);
}

/** `[N, H, T, dh]` → `[N*T, H*dh]`. */
function mergeHeads(x: tf.Tensor, n: number, t: number, d: number): tf.Tensor2D {
  return x.transpose([0, 2, 1, 3]).reshape([n * t, d]) as tf.Tensor2D;
}

const cache = new Map<string, (qkv: tf.Tensor2D) => tf.Tensor2D>();

/** Whether `multiHeadAttention` runs the WebAssembly kernel (src/kernels/attention.ts) for this shape now. */
export function usesAttentionKernel(d: number, heads: number): boolean {
  return ownKernelsActive() && attentionKernelFits(d, heads);
}

const kernelCache = new Map<string, (qkv: tf.Tensor2D) => tf.Tensor2D>();

/** The same op on the WebAssembly kernel: one call forward (keeping the probabilities), one backward. */
function attentionKernelOp(n: number, t: number, heads: number): (qkv: tf.Tensor2D) => tf.Tensor2D {
  const key = `${n},${t},${heads}`;
  let op = kernelCache.get(key);
  if (op) return op;
  op = tf.customGrad((...args: GradArg[]) => {
    const qkv = args[0] as tf.Tensor2D;
    const { out, probs } = attentionForwardTensors(qkv, n, t, heads);
    (args[1] as tf.GradSaveFunc)([qkv, probs]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [attentionBackwardTensors(saved[0] as tf.Tensor2D, saved[1], dy, n, t, heads)],
    };
  }) as (qkv: tf.Tensor2D) => tf.Tensor2D;
  kernelCache.set(key, op);
  return op;
}

/** The custom-gradient op for one (N, T, heads) shape. */
function attentionOp(n: number, t: number, heads: number): (qkv: tf.Tensor2D) => tf.Tensor2D {
  const key = `${n},${t},${heads}`;
  let op = cache.get(key);
  if (op) return op;
  op = tf.customGrad((...args: GradArg[]) => {
    const qkv = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const d = qkv.shape[1] / 3;
    const scale = 1 / Math.sqrt(d / heads);
    const [q, k, v] = splitHeads(qkv, n, t, heads);
    const probs = tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale)) as tf.Tensor4D; // [N, H, T, T]
    save([q, k, v, probs]);
    return {
      value: mergeHeads(tf.matMul(probs, v), n, t, d),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, sp] = saved as tf.Tensor4D[];
        const dO = dy.reshape([n, t, heads, d / heads]).transpose([0, 2, 1, 3]) as tf.Tensor4D; // [N, H, T, dh]
        const dP = tf.matMul(dO, sv, false, true); // dO @ v^T: [N, H, T, T]
        const dV = tf.matMul(sp, dO, true, false); // p^T @ dO: [N, H, T, dh]
        // Softmax gradient, with the 1/sqrt(dh) of the scores folded in.
        const dS = tf.mul(tf.mul(sp, tf.sub(dP, tf.sum(tf.mul(dP, sp), -1, true))), scale);
        const dQ = tf.matMul(dS, sk); // dS @ k
        const dK = tf.matMul(dS, sq, true, false); // dS^T @ q
        return [tf.concat([dQ, dK, dV].map((g) => mergeHeads(g, n, t, d)), 1)];
      },
    };
  }) as (qkv: tf.Tensor2D) => tf.Tensor2D;
  cache.set(key, op);
  return op;
}

/**
 * Attention of `n` sequences of `t` tokens: qkv `[N*T, 3D]` (q, k, v side by side, heads contiguous inside
 * each, timm's layout) → `[N*T, D]`, heads concatenated.
 */
export function multiHeadAttention(qkv: tf.Tensor2D, n: number, t: number, heads: number): tf.Tensor2D {
  if (qkv.rank !== 2 || qkv.shape[0] !== n * t || qkv.shape[1] % (3 * heads) !== 0) {
    throw new Error(`multiHeadAttention expects qkv [N*T, 3D] with N*T = ${n * t} and 3D a multiple of ${3 * heads}, got [${qkv.shape}].`);
  }
  if (qkv.dtype === 'float32' && usesAttentionKernel(qkv.shape[1] / 3, heads)) return attentionKernelOp(n, t, heads)(qkv);
  return attentionOp(n, t, heads)(qkv);
}

/**
 * The same op on tfjs kernels only (what `multiHeadAttention` runs on GPU backends, or when the head width is
 * not a multiple of 4); exported so tests and benchmarks can hold it against the WebAssembly kernel.
 */
export function multiHeadAttentionOps(qkv: tf.Tensor2D, n: number, t: number, heads: number): tf.Tensor2D {
  return attentionOp(n, t, heads)(qkv);
}

/**
 * The plain formulation (split, per-head transposes, batched matmuls, tfjs's automatic gradient). Also returns
 * the attention probabilities `[N, H, T, T]`, which the fast op does not expose; used when they are asked for
 * and as the reference in tests.
 */
export function multiHeadAttentionPlain(qkv: tf.Tensor2D, n: number, t: number, heads: number): { out: tf.Tensor2D; probs: tf.Tensor4D } {
  const d = qkv.shape[1] / 3;
  const dh = d / heads;
  const [q, k, v] = tf.split(qkv, 3, 1);
  const q4 = tf.mul(q.reshape([n, t, heads, dh]).transpose([0, 2, 1, 3]), 1 / Math.sqrt(dh));
  const kT = k.reshape([n, t, heads, dh]).transpose([0, 2, 3, 1]);
  const v4 = v.reshape([n, t, heads, dh]).transpose([0, 2, 1, 3]);
  const probs = tf.softmax(tf.matMul(q4 as tf.Tensor4D, kT as tf.Tensor4D)) as tf.Tensor4D;
  const out = tf.matMul(probs, v4 as tf.Tensor4D).transpose([0, 2, 1, 3]).reshape([n * t, d]) as tf.Tensor2D;
  return { out, probs };
}
