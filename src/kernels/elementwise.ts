/**
 * Exact GELU and LayerNorm, forward and backward, as WebAssembly SIMD kernels (source: kernels/elementwise.ts).
 *
 * Why: tfjs runs GELU as 4 kernels forward and 8 backward (its Erf and Exp are slow on wasm) and our LayerNorm as
 * about 7 forward and 10 backward; each is one pass here. GELU's erf is Abramowitz & Stegun 7.1.26 (the formula
 * tfjs's Erf uses; absolute error below 1.5e-7) and its exp a Cephes polynomial; test/kernels.test.ts holds both
 * ops against the tfjs formulations.
 */
import { type KernelExports, loadKernels, place, readOut } from './wasm';

interface Elementwise extends KernelExports {
  geluForward(x: number, y: number, count: number): void;
  geluBackward(x: number, dy: number, dx: number, count: number): void;
  layerNormForward(x: number, gamma: number, beta: number, y: number, xhat: number, rstd: number, rows: number, d: number, eps: number): void;
  layerNormBackward(dy: number, xhat: number, rstd: number, gamma: number, dx: number, dgamma: number, dbeta: number, rows: number, d: number): void;
}

const padded = (n: number) => Math.ceil(n / 4) * 4;

/** Exact GELU of every value. */
export function geluForward(x: Float32Array): Float32Array {
  const k = loadKernels<Elementwise>('elementwise');
  const { at: [px, py], heap } = place(k, [x.length, x.length]);
  heap().set(x, px / 4);
  k.geluForward(px, py, padded(x.length));
  return readOut(heap(), py, x.length);
}

/** The gradient of GELU at `x` times `dy`. */
export function geluBackward(x: Float32Array, dy: Float32Array): Float32Array {
  if (dy.length !== x.length) throw new Error(`gelu kernel: dy has ${dy.length} values, x has ${x.length}.`);
  const k = loadKernels<Elementwise>('elementwise');
  const { at: [px, pd, pg], heap } = place(k, [x.length, x.length, x.length]);
  const h = heap();
  h.set(x, px / 4);
  h.set(dy, pd / 4);
  k.geluBackward(px, pd, pg, padded(x.length));
  return readOut(heap(), pg, x.length);
}

/** Whether the LayerNorm kernel takes rows of `d` values (a multiple of 4). */
export function layerNormKernelFits(d: number): boolean {
  return d > 0 && d % 4 === 0;
}

function checkRows(rows: number, d: number, length: number, what: string): void {
  if (!layerNormKernelFits(d)) throw new Error(`layerNorm kernel: rows of ${d} values; needs a positive multiple of 4.`);
  if (length !== rows * d) throw new Error(`layerNorm kernel: ${what} has ${length} values, expected ${rows} x ${d}.`);
}

/** LayerNorm of `rows` rows of `d` values: y, and the normalised x and 1/std the backward pass needs. */
export function layerNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, rows: number, d: number, eps: number): { y: Float32Array; xhat: Float32Array; rstd: Float32Array } {
  checkRows(rows, d, x.length, 'x');
  if (gamma.length !== d || beta.length !== d) throw new Error(`layerNorm kernel: gamma/beta have ${gamma.length}/${beta.length} values, expected ${d}.`);
  const k = loadKernels<Elementwise>('elementwise');
  const { at: [px, pg, pb, py, ph, pr], heap } = place(k, [x.length, d, d, x.length, x.length, rows]);
  const h = heap();
  h.set(x, px / 4);
  h.set(gamma, pg / 4);
  h.set(beta, pb / 4);
  k.layerNormForward(px, pg, pb, py, ph, pr, rows, d, eps);
  const o = heap();
  return { y: readOut(o, py, x.length), xhat: readOut(o, ph, x.length), rstd: readOut(o, pr, rows) };
}

/** LayerNorm backward from dy and the forward's xhat and rstd: dx, dgamma, dbeta. */
export function layerNormBackward(dy: Float32Array, xhat: Float32Array, rstd: Float32Array, gamma: Float32Array, rows: number, d: number): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  checkRows(rows, d, dy.length, 'dy');
  if (xhat.length !== dy.length || rstd.length !== rows || gamma.length !== d) throw new Error('layerNorm kernel: xhat, rstd or gamma does not match dy.');
  const k = loadKernels<Elementwise>('elementwise');
  const { at: [pd, ph, pr, pg, px, pdg, pdb], heap } = place(k, [dy.length, dy.length, rows, d, dy.length, d, d]);
  const h = heap();
  h.set(dy, pd / 4);
  h.set(xhat, ph / 4);
  h.set(rstd, pr / 4);
  h.set(gamma, pg / 4);
  k.layerNormBackward(pd, ph, pr, pg, px, pdg, pdb, rows, d);
  const o = heap();
  return { dx: readOut(o, px, dy.length), dgamma: readOut(o, pdg, d), dbeta: readOut(o, pdb, d) };
}
