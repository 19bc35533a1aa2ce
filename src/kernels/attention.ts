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
 */
import { type KernelExports, loadKernels, place, readOut } from './wasm';

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

/** Forward: qkv `[N*T, 3D]` → out `[N*T, D]` and the softmax probabilities `[N, H, T, T]`. */
export function attentionForward(qkv: Float32Array, n: number, t: number, heads: number, d: number): { out: Float32Array; probs: Float32Array } {
  check(n, t, heads, d, qkv.length);
  const k = loadKernels<Attention>('attention');
  const { at: [pq, po, pp], heap } = place(k, [qkv.length, n * t * d, n * heads * t * t]);
  heap().set(qkv, pq / 4);
  k.attentionForward(pq, po, pp, n, t, heads, d, 1 / Math.sqrt(d / heads));
  const h = heap();
  return { out: readOut(h, po, n * t * d), probs: readOut(h, pp, n * heads * t * t) };
}

/** Backward: the gradient `[N*T, 3D]` with respect to qkv, from qkv, the forward's probs and dout `[N*T, D]`. */
export function attentionBackward(qkv: Float32Array, probs: Float32Array, dout: Float32Array, n: number, t: number, heads: number, d: number): Float32Array {
  check(n, t, heads, d, qkv.length);
  if (probs.length !== n * heads * t * t || dout.length !== n * t * d) {
    throw new Error(`attention kernel: probs/dout have ${probs.length}/${dout.length} values, expected ${n * heads * t * t}/${n * t * d}.`);
  }
  const k = loadKernels<Attention>('attention');
  const { at: [pq, pp, pd, pg, pt], heap } = place(k, [qkv.length, probs.length, dout.length, qkv.length, t]);
  const h = heap();
  h.set(qkv, pq / 4);
  h.set(probs, pp / 4);
  h.set(dout, pd / 4);
  k.attentionBackward(pq, pp, pd, pg, pt, n, t, heads, d, 1 / Math.sqrt(d / heads));
  return readOut(heap(), pg, qkv.length);
}
