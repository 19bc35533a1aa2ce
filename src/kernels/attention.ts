/**
 * The attention core as one WebAssembly SIMD kernel per direction (source: kernels/attention.ts).
 *
 * Why: on tfjs's wasm backend the ViT's attention ran as batched matmuls in their slow loop plus split,
 * transpose, softmax and concat kernels, about a third of a training step (docs/performance-log.md). Here one
 * call does the whole forward (scores, softmax, weighted sum) or the whole backward (dq, dk, dv straight into
 * the `[N*T, 3D]` gradient) for all sequences and heads, in one pass over the data.
 *
 * Layout: qkv `[N*T, 3D]` (q, k, v side by side, heads contiguous inside each: timm's layout), out and dout
 * `[N*T, D]`, probs `[N, H, T, T]`. The head width D/H must be a multiple of 4 (`attentionKernelFits`).
 * The tensor functions run in tfjs's memory on the wasm backend and copy through the Float32Array ones elsewhere.
 */
import * as tf from '@tensorflow/tfjs';
import { addressOf, asTensor, type KernelExports, output, place, privateKernels, readOut, sharedKernels, wasmBackend } from './wasm';

interface Attention extends KernelExports {
  attentionForward(qkv: number, out: number, probs: number, n: number, t: number, heads: number, d: number, scale: number): void;
  attentionBackward(qkv: number, probs: number, dout: number, dqkv: number, tmp: number, n: number, t: number, heads: number, d: number, scale: number): void;
}

/** Whether the kernel can take this shape (head width a multiple of 4). */
export function attentionKernelFits(d: number, heads: number): boolean {
  return d > 0 && heads > 0 && d % heads === 0 && (d / heads) % 4 === 0;
}

function check(n: number, t: number, heads: number, d: number, qkvLength: number): void {
  if (!(n > 0 && t > 0) || !attentionKernelFits(d, heads)) {
    throw new Error(`attention kernel: needs positive sizes and a head width D/H that is a multiple of 4, got N=${n} T=${t} H=${heads} D=${d}.`);
  }
  if (qkvLength !== n * t * 3 * d) throw new Error(`attention kernel: qkv has ${qkvLength} values, expected N*T*3D = ${n * t * 3 * d}.`);
}

function checkBackward(n: number, t: number, heads: number, d: number, probsLength: number, doutLength: number): void {
  if (probsLength !== n * heads * t * t || doutLength !== n * t * d) {
    throw new Error(`attention kernel: probs/dout have ${probsLength}/${doutLength} values, expected ${n * heads * t * t}/${n * t * d}.`);
  }
}

const scaleOf = (d: number, heads: number) => 1 / Math.sqrt(d / heads);

/** Forward: qkv `[N*T, 3D]` → out `[N*T, D]` and the softmax probabilities `[N, H, T, T]`. */
export function attentionForward(qkv: Float32Array, n: number, t: number, heads: number, d: number): { out: Float32Array; probs: Float32Array } {
  check(n, t, heads, d, qkv.length);
  const p = privateKernels<Attention>('attention');
  const { at: [pq, po, pp], heap } = place(p, [qkv.length, n * t * d, n * heads * t * t]);
  heap().set(qkv, pq / 4);
  p.k.attentionForward(pq, po, pp, n, t, heads, d, scaleOf(d, heads));
  const h = heap();
  return { out: readOut(h, po, n * t * d), probs: readOut(h, pp, n * heads * t * t) };
}

/** Backward: the gradient `[N*T, 3D]` with respect to qkv, from qkv, the forward's probs and dout `[N*T, D]`. */
export function attentionBackward(qkv: Float32Array, probs: Float32Array, dout: Float32Array, n: number, t: number, heads: number, d: number): Float32Array {
  check(n, t, heads, d, qkv.length);
  checkBackward(n, t, heads, d, probs.length, dout.length);
  const p = privateKernels<Attention>('attention');
  const { at: [pq, pp, pd, pg, pt], heap } = place(p, [qkv.length, probs.length, dout.length, qkv.length, t]);
  const h = heap();
  h.set(qkv, pq / 4);
  h.set(probs, pp / 4);
  h.set(dout, pd / 4);
  p.k.attentionBackward(pq, pp, pd, pg, pt, n, t, heads, d, scaleOf(d, heads));
  return readOut(heap(), pg, qkv.length);
}

/** `attentionForward` on tensors: out `[N*T, D]` and probs `[N, H, T, T]`. */
export function attentionForwardTensors(qkv: tf.Tensor2D, n: number, t: number, heads: number): { out: tf.Tensor2D; probs: tf.Tensor4D } {
  const d = qkv.shape[1] / 3;
  const b = wasmBackend();
  if (!b) {
    const r = attentionForward(qkv.dataSync() as Float32Array, n, t, heads, d);
    return { out: tf.tensor2d(r.out, [n * t, d]), probs: tf.tensor4d(r.probs, [n, heads, t, t]) };
  }
  check(n, t, heads, d, qkv.size);
  const k = sharedKernels<Attention>(b, 'attention');
  const q = addressOf(b, qkv);
  const out = output(b, [n * t, d]);
  const probs = output(b, [n, heads, t, t]);
  k.attentionForward(q, out.at, probs.at, n, t, heads, d, scaleOf(d, heads));
  return { out: asTensor<tf.Rank.R2>(out.info) as tf.Tensor2D, probs: asTensor<tf.Rank.R4>(probs.info) as tf.Tensor4D };
}

/** `attentionBackward` on tensors: the gradient `[N*T, 3D]` with respect to qkv. */
export function attentionBackwardTensors(qkv: tf.Tensor2D, probs: tf.Tensor, dout: tf.Tensor, n: number, t: number, heads: number): tf.Tensor2D {
  const d = qkv.shape[1] / 3;
  const b = wasmBackend();
  if (!b) {
    const g = attentionBackward(qkv.dataSync() as Float32Array, probs.dataSync() as Float32Array, dout.dataSync() as Float32Array, n, t, heads, d);
    return tf.tensor2d(g, [n * t, 3 * d]);
  }
  check(n, t, heads, d, qkv.size);
  checkBackward(n, t, heads, d, probs.size, dout.size);
  const k = sharedKernels<Attention>(b, 'attention');
  const [pq, pp, pd] = [addressOf(b, qkv), addressOf(b, probs), addressOf(b, dout)];
  const grad = output(b, [n * t, 3 * d]);
  const tmp = output(b, [t]);
  k.attentionBackward(pq, pp, pd, grad.at, tmp.at, n, t, heads, d, scaleOf(d, heads));
  asTensor(tmp.info).dispose();
  return asTensor<tf.Rank.R2>(grad.info) as tf.Tensor2D;
}
