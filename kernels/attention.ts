// Multi-head self-attention core, forward and backward, as one WebAssembly (SIMD) kernel each.
// AssemblyScript source: built by `npm run build:kernels` into src/kernels/attention.wasm; loaded by
// src/kernels/attention.ts, which documents the memory layout and checks the arguments.
//
// Layout (all f32, row-major): qkv [N*T, 3D] with q, k, v side by side and heads contiguous inside each
// (timm's layout); out / dout [N*T, D] with heads concatenated; probs [N, H, T, T]; dqkv like qkv.
// Pointers are byte offsets into this module's memory; the caller places the buffers.
// Requires dh = D / H to be a multiple of 4 (one f32x4 lane group at a time); the loader checks it.

import { expv, hsum } from './simd-math';

/** Where the caller may start placing buffers (after this module's static data). */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

// dot product of two rows of dh floats (dh a multiple of 4)
@inline function dot(a: usize, b: usize, dh: i32): f32 {
  let acc = f32x4.splat(0);
  for (let c = 0; c < dh; c += 4) {
    const o = <usize>c << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  return hsum(acc);
}

// y += s * x over dh floats
@inline function axpy(y: usize, s: f32, x: usize, dh: i32): void {
  const sv = f32x4.splat(s);
  for (let c = 0; c < dh; c += 4) {
    const o = <usize>c << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(sv, v128.load(x + o))));
  }
}

@inline function zero(y: usize, dh: i32): void {
  const z = f32x4.splat(0);
  for (let c = 0; c < dh; c += 4) v128.store(y + (<usize>c << 2), z);
}

/** out = softmax(q k^T * scale) v per (sequence, head); probs keeps the softmax for the backward pass. */
export function attentionForward(qkv: usize, out: usize, probs: usize, n: i32, t: i32, heads: i32, d: i32, scale: f32): void {
  const dh = d / heads;
  const row = <usize>(3 * d) << 2; // bytes per qkv row
  const orow = <usize>d << 2; // bytes per out row
  for (let b = 0; b < n; b++) {
    const base = qkv + <usize>(b * t) * row;
    const obase = out + <usize>(b * t) * orow;
    for (let h = 0; h < heads; h++) {
      const qo = <usize>(h * dh) << 2;
      const ko = <usize>(d + h * dh) << 2;
      const vo = <usize>(2 * d + h * dh) << 2;
      const p = probs + (<usize>((b * heads + h) * t * t) << 2);
      for (let i = 0; i < t; i++) {
        const qi = base + <usize>i * row + qo;
        const pi = p + (<usize>(i * t) << 2);
        let mx: f32 = -Infinity;
        for (let j = 0; j < t; j++) {
          const s = dot(qi, base + <usize>j * row + ko, dh) * scale;
          store<f32>(pi + (<usize>j << 2), s);
          if (s > mx) mx = s;
        }
        // exp(s - max) four scores at a time, the last t % 4 one by one (no Mathf.exp: its tables would be a data
        // segment, and this module may share tfjs's memory)
        const mv = f32x4.splat(mx);
        let sv = f32x4.splat(0);
        let j = 0;
        for (; j + 4 <= t; j += 4) {
          const o = pi + (<usize>j << 2);
          const e = expv(f32x4.sub(v128.load(o), mv));
          v128.store(o, e);
          sv = f32x4.add(sv, e);
        }
        let sum: f32 = hsum(sv);
        for (; j < t; j++) {
          const e = f32x4.extract_lane(expv(f32x4.splat(load<f32>(pi + (<usize>j << 2)) - mx)), 0);
          store<f32>(pi + (<usize>j << 2), e);
          sum += e;
        }
        const inv: f32 = 1 / sum;
        const oi = obase + <usize>i * orow + qo;
        zero(oi, dh);
        for (let j = 0; j < t; j++) {
          const pj = load<f32>(pi + (<usize>j << 2)) * inv;
          store<f32>(pi + (<usize>j << 2), pj);
          axpy(oi, pj, base + <usize>j * row + vo, dh);
        }
      }
    }
  }
}

/**
 * Gradient of attentionForward with respect to qkv, given the saved probs and dout:
 *   dP = dO v^T, dV = P^T dO, dS = P * (dP - rowsum(dP * P)) * scale, dQ = dS k, dK = dS^T q.
 * tmp: scratch of T floats.
 */
export function attentionBackward(qkv: usize, probs: usize, dout: usize, dqkv: usize, tmp: usize, n: i32, t: i32, heads: i32, d: i32, scale: f32): void {
  const dh = d / heads;
  const row = <usize>(3 * d) << 2;
  const orow = <usize>d << 2;
  for (let b = 0; b < n; b++) {
    const base = qkv + <usize>(b * t) * row;
    const gbase = dqkv + <usize>(b * t) * row;
    const dobase = dout + <usize>(b * t) * orow;
    for (let h = 0; h < heads; h++) {
      const qo = <usize>(h * dh) << 2;
      const ko = <usize>(d + h * dh) << 2;
      const vo = <usize>(2 * d + h * dh) << 2;
      const p = probs + (<usize>((b * heads + h) * t * t) << 2);
      for (let j = 0; j < t; j++) {
        const gj = gbase + <usize>j * row;
        zero(gj + qo, dh);
        zero(gj + ko, dh);
        zero(gj + vo, dh);
      }
      for (let i = 0; i < t; i++) {
        const doi = dobase + <usize>i * orow + qo;
        const pi = p + (<usize>(i * t) << 2);
        let rs: f32 = 0;
        for (let j = 0; j < t; j++) {
          const dp = dot(doi, base + <usize>j * row + vo, dh);
          store<f32>(tmp + (<usize>j << 2), dp);
          rs += dp * load<f32>(pi + (<usize>j << 2));
        }
        const qi = base + <usize>i * row + qo;
        const dqi = gbase + <usize>i * row + qo;
        for (let j = 0; j < t; j++) {
          const pij = load<f32>(pi + (<usize>j << 2));
          const ds = pij * (load<f32>(tmp + (<usize>j << 2)) - rs) * scale;
          const kj = base + <usize>j * row + ko;
          const gj = gbase + <usize>j * row;
          axpy(dqi, ds, kj, dh);
          axpy(gj + ko, ds, qi, dh);
          axpy(gj + vo, pij, doi, dh);
        }
      }
    }
  }
}
