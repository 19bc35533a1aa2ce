// Row-wise and element-wise kernels of the ViT block, forward and backward, in WebAssembly SIMD:
// exact GELU and LayerNorm. AssemblyScript source: built by `npm run build:kernels` into
// src/kernels/elementwise.wasm; loaded by src/kernels/elementwise.ts (memory layout and argument checks there).
// All f32. Element-wise kernels take any count >= 4: the last group of 4 overlaps the one before it.

import { expv, hsum } from './simd-math';

/** Where the caller may start placing buffers (after this module's static data). */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

// Phi(x) = 0.5 (1 + erf(x / sqrt 2)) given e = exp(-x^2 / 2), with Abramowitz & Stegun 7.1.26 for erf
// (absolute error below 1.5e-7; the formula tfjs's Erf kernels use).
@inline function phiv(x: v128, e: v128): v128 {
  const z = f32x4.abs(f32x4.mul(x, f32x4.splat(0.70710678118654752)));
  const t = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(f32x4.splat(0.3275911), z)));
  let q = f32x4.splat(1.061405429);
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(-1.453152027));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(1.421413741));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(-0.284496736));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(0.254829592));
  q = f32x4.mul(q, t);
  const erfAbs = f32x4.sub(f32x4.splat(1.0), f32x4.mul(q, e)); // erf(|z|) >= 0
  const erf = v128.or(erfAbs, v128.and(x, i32x4.splat(0x80000000))); // sign of x
  return f32x4.mul(f32x4.add(erf, f32x4.splat(1.0)), f32x4.splat(0.5));
}

@inline function geluAt(x: usize, y: usize, o: usize): void {
  const xv = v128.load(x + o);
  const e = expv(f32x4.mul(f32x4.mul(xv, xv), f32x4.splat(-0.5)));
  v128.store(y + o, f32x4.mul(xv, phiv(xv, e)));
}

/** y = x Phi(x) (exact GELU) over `count` >= 4 floats. */
export function geluForward(x: usize, y: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) geluAt(x, y, <usize>i << 2);
  if (i < count) geluAt(x, y, <usize>(count - 4) << 2); // the tail: a group of 4 ending at count
}

@inline function geluGradAt(x: usize, dy: usize, dx: usize, o: usize): void {
  const xv = v128.load(x + o);
  const e = expv(f32x4.mul(f32x4.mul(xv, xv), f32x4.splat(-0.5)));
  const pdf = f32x4.mul(e, f32x4.splat(0.39894228040143268));
  v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.add(phiv(xv, e), f32x4.mul(xv, pdf))));
}

/** dx = dy (Phi(x) + x phi(x)), phi the standard normal density, over `count` >= 4 floats. */
export function geluBackward(x: usize, dy: usize, dx: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) geluGradAt(x, dy, dx, <usize>i << 2);
  if (i < count) geluGradAt(x, dy, dx, <usize>(count - 4) << 2);
}

/**
 * LayerNorm of `rows` rows of `d` floats (d a multiple of 4): y = xhat * gamma + beta with
 * xhat = (x - mean) / sqrt(var + eps); also writes xhat [rows, d] and rstd [rows] for the backward pass.
 */
export function layerNormForward(x: usize, gamma: usize, beta: usize, y: usize, xhat: usize, rstd: usize, rows: i32, d: i32, eps: f32): void {
  const rb = <usize>d << 2;
  const invD: f32 = 1 / <f32>d;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rb;
    let acc = f32x4.splat(0);
    for (let c = 0; c < d; c += 4) acc = f32x4.add(acc, v128.load(xr + (<usize>c << 2)));
    const mean = f32x4.splat(hsum(acc) * invD);
    acc = f32x4.splat(0);
    for (let c = 0; c < d; c += 4) {
      const v = f32x4.sub(v128.load(xr + (<usize>c << 2)), mean);
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    const rs: f32 = 1 / Mathf.sqrt(hsum(acc) * invD + eps);
    store<f32>(rstd + (<usize>r << 2), rs);
    const rsv = f32x4.splat(rs);
    const hr = xhat + <usize>r * rb;
    const yr = y + <usize>r * rb;
    for (let c = 0; c < d; c += 4) {
      const o = <usize>c << 2;
      const h = f32x4.mul(f32x4.sub(v128.load(xr + o), mean), rsv);
      v128.store(hr + o, h);
      v128.store(yr + o, f32x4.add(f32x4.mul(h, v128.load(gamma + o)), v128.load(beta + o)));
    }
  }
}

/**
 * LayerNorm backward: dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy * gamma; dgamma = sum over rows of
 * dy * xhat; dbeta = sum over rows of dy.
 */
export function layerNormBackward(dy: usize, xhat: usize, rstd: usize, gamma: usize, dx: usize, dgamma: usize, dbeta: usize, rows: i32, d: i32): void {
  const rb = <usize>d << 2;
  const invD: f32 = 1 / <f32>d;
  const z = f32x4.splat(0);
  for (let c = 0; c < d; c += 4) {
    v128.store(dgamma + (<usize>c << 2), z);
    v128.store(dbeta + (<usize>c << 2), z);
  }
  for (let r = 0; r < rows; r++) {
    const dyr = dy + <usize>r * rb;
    const hr = xhat + <usize>r * rb;
    let sg = f32x4.splat(0);
    let sgh = f32x4.splat(0);
    for (let c = 0; c < d; c += 4) {
      const o = <usize>c << 2;
      const dyv = v128.load(dyr + o);
      const h = v128.load(hr + o);
      const g = f32x4.mul(dyv, v128.load(gamma + o));
      sg = f32x4.add(sg, g);
      sgh = f32x4.add(sgh, f32x4.mul(g, h));
      v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(dyv, h)));
      v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), dyv));
    }
    const mg = f32x4.splat(hsum(sg) * invD);
    const mgh = f32x4.splat(hsum(sgh) * invD);
    const rs = f32x4.splat(load<f32>(rstd + (<usize>r << 2)));
    const dxr = dx + <usize>r * rb;
    for (let c = 0; c < d; c += 4) {
      const o = <usize>c << 2;
      const g = f32x4.mul(v128.load(dyr + o), v128.load(gamma + o));
      const inner = f32x4.sub(f32x4.sub(g, mg), f32x4.mul(v128.load(hr + o), mgh));
      v128.store(dxr + o, f32x4.mul(inner, rs));
    }
  }
}
