/**
 * Exact GELU and LayerNorm, forward and backward, as WebAssembly SIMD kernels (source: kernels/elementwise.ts).
 *
 * Why: tfjs runs GELU as 4 kernels forward and 8 backward (its Erf and Exp are slow on wasm) and our LayerNorm as
 * about 7 forward and 10 backward; each is one pass here. GELU's erf is Abramowitz & Stegun 7.1.26 (the formula
 * tfjs's Erf uses; absolute error below 1.5e-7) and its exp a Cephes polynomial; test/kernels.test.ts holds both
 * ops against the tfjs formulations. The tensor functions run in tfjs's memory on the wasm backend and copy
 * through the Float32Array ones elsewhere.
 */
import * as tf from '@tensorflow/tfjs';
import { addressOf, asTensor, type KernelExports, output, place, privateKernels, readOut, sharedKernels, wasmBackend } from './wasm';

interface Elementwise extends KernelExports {
  geluForward(x: number, y: number, count: number): void;
  geluBackward(x: number, dy: number, dx: number, count: number): void;
  layerNormForward(x: number, gamma: number, beta: number, y: number, xhat: number, rstd: number, rows: number, d: number, eps: number): void;
  layerNormBackward(dy: number, xhat: number, rstd: number, gamma: number, dx: number, dgamma: number, dbeta: number, rows: number, d: number): void;
}

/** Whether the GELU kernel takes a tensor of `count` values (at least 4). */
export function geluKernelFits(count: number): boolean {
  return count >= 4;
}

function checkGelu(count: number): void {
  if (!geluKernelFits(count)) throw new Error(`gelu kernel: needs at least 4 values, got ${count}.`);
}

/** Exact GELU of every value (at least 4). */
export function geluForward(x: Float32Array): Float32Array {
  checkGelu(x.length);
  const p = privateKernels<Elementwise>('elementwise');
  const { at: [px, py], heap } = place(p, [x.length, x.length]);
  heap().set(x, px / 4);
  p.k.geluForward(px, py, x.length);
  return readOut(heap(), py, x.length);
}

/** The gradient of GELU at `x` times `dy`. */
export function geluBackward(x: Float32Array, dy: Float32Array): Float32Array {
  if (dy.length !== x.length) throw new Error(`gelu kernel: dy has ${dy.length} values, x has ${x.length}.`);
  checkGelu(x.length);
  const p = privateKernels<Elementwise>('elementwise');
  const { at: [px, pd, pg], heap } = place(p, [x.length, x.length, x.length]);
  const h = heap();
  h.set(x, px / 4);
  h.set(dy, pd / 4);
  p.k.geluBackward(px, pd, pg, x.length);
  return readOut(heap(), pg, x.length);
}

/** `geluForward` on a tensor (any shape, at least 4 values). */
export function geluForwardTensor<T extends tf.Tensor>(x: T): T {
  const b = wasmBackend();
  if (!b) return tf.tensor(geluForward(x.dataSync() as Float32Array), x.shape) as T;
  checkGelu(x.size);
  const y = output(b, x.shape);
  sharedKernels<Elementwise>(b, 'elementwise').geluForward(addressOf(b, x), y.at, x.size);
  return asTensor(y.info) as T;
}

/** `geluBackward` on tensors. */
export function geluBackwardTensor(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const b = wasmBackend();
  if (!b) return tf.tensor(geluBackward(x.dataSync() as Float32Array, dy.dataSync() as Float32Array), x.shape);
  if (dy.size !== x.size) throw new Error(`gelu kernel: dy has ${dy.size} values, x has ${x.size}.`);
  checkGelu(x.size);
  const dx = output(b, x.shape);
  sharedKernels<Elementwise>(b, 'elementwise').geluBackward(addressOf(b, x), addressOf(b, dy), dx.at, x.size);
  return asTensor(dx.info);
}

/** Whether the LayerNorm kernel takes rows of `d` values (a multiple of 4). */
export function layerNormKernelFits(d: number): boolean {
  return d > 0 && d % 4 === 0;
}

function checkRows(rows: number, d: number, length: number, what: string): void {
  if (!layerNormKernelFits(d)) throw new Error(`layerNorm kernel: rows of ${d} values; needs a positive multiple of 4.`);
  if (length !== rows * d) throw new Error(`layerNorm kernel: ${what} has ${length} values, expected ${rows} x ${d}.`);
}

function checkForward(rows: number, d: number, xLength: number, gammaLength: number, betaLength: number): void {
  checkRows(rows, d, xLength, 'x');
  if (gammaLength !== d || betaLength !== d) throw new Error(`layerNorm kernel: gamma/beta have ${gammaLength}/${betaLength} values, expected ${d}.`);
}

function checkBackward(rows: number, d: number, dyLength: number, xhatLength: number, rstdLength: number, gammaLength: number): void {
  checkRows(rows, d, dyLength, 'dy');
  if (xhatLength !== dyLength || rstdLength !== rows || gammaLength !== d) throw new Error('layerNorm kernel: xhat, rstd or gamma does not match dy.');
}

/** LayerNorm of `rows` rows of `d` values: y, and the normalised x and 1/std the backward pass needs. */
export function layerNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, rows: number, d: number, eps: number): { y: Float32Array; xhat: Float32Array; rstd: Float32Array } {
  checkForward(rows, d, x.length, gamma.length, beta.length);
  const p = privateKernels<Elementwise>('elementwise');
  const { at: [px, pg, pb, py, ph, pr], heap } = place(p, [x.length, d, d, x.length, x.length, rows]);
  const h = heap();
  h.set(x, px / 4);
  h.set(gamma, pg / 4);
  h.set(beta, pb / 4);
  p.k.layerNormForward(px, pg, pb, py, ph, pr, rows, d, eps);
  const o = heap();
  return { y: readOut(o, py, x.length), xhat: readOut(o, ph, x.length), rstd: readOut(o, pr, rows) };
}

/** LayerNorm backward from dy and the forward's xhat and rstd: dx, dgamma, dbeta. */
export function layerNormBackward(dy: Float32Array, xhat: Float32Array, rstd: Float32Array, gamma: Float32Array, rows: number, d: number): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  checkBackward(rows, d, dy.length, xhat.length, rstd.length, gamma.length);
  const p = privateKernels<Elementwise>('elementwise');
  const { at: [pd, ph, pr, pg, px, pdg, pdb], heap } = place(p, [dy.length, dy.length, rows, d, dy.length, d, d]);
  const h = heap();
  h.set(dy, pd / 4);
  h.set(xhat, ph / 4);
  h.set(rstd, pr / 4);
  h.set(gamma, pg / 4);
  p.k.layerNormBackward(pd, ph, pr, pg, px, pdg, pdb, rows, d);
  const o = heap();
  return { dx: readOut(o, px, dy.length), dgamma: readOut(o, pdg, d), dbeta: readOut(o, pdb, d) };
}

/** `layerNormForward` on tensors: y `[rows, d]`, xhat `[rows, d]`, rstd `[rows]`. */
export function layerNormForwardTensors(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): { y: tf.Tensor2D; xhat: tf.Tensor2D; rstd: tf.Tensor1D } {
  const [rows, d] = x.shape;
  const b = wasmBackend();
  if (!b) {
    const r = layerNormForward(x.dataSync() as Float32Array, gamma.dataSync() as Float32Array, beta.dataSync() as Float32Array, rows, d, eps);
    return { y: tf.tensor2d(r.y, [rows, d]), xhat: tf.tensor2d(r.xhat, [rows, d]), rstd: tf.tensor1d(r.rstd) };
  }
  checkForward(rows, d, x.size, gamma.size, beta.size);
  const [y, xhat, rstd] = [output(b, [rows, d]), output(b, [rows, d]), output(b, [rows])];
  sharedKernels<Elementwise>(b, 'elementwise').layerNormForward(addressOf(b, x), addressOf(b, gamma), addressOf(b, beta), y.at, xhat.at, rstd.at, rows, d, eps);
  return { y: asTensor(y.info) as tf.Tensor2D, xhat: asTensor(xhat.info) as tf.Tensor2D, rstd: asTensor(rstd.info) as tf.Tensor1D };
}

/** `layerNormBackward` on tensors: dx `[rows, d]`, dgamma and dbeta `[d]`. */
export function layerNormBackwardTensors(dy: tf.Tensor, xhat: tf.Tensor2D, rstd: tf.Tensor, gamma: tf.Tensor): { dx: tf.Tensor2D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  const [rows, d] = xhat.shape;
  const b = wasmBackend();
  if (!b) {
    const r = layerNormBackward(dy.dataSync() as Float32Array, xhat.dataSync() as Float32Array, rstd.dataSync() as Float32Array, gamma.dataSync() as Float32Array, rows, d);
    return { dx: tf.tensor2d(r.dx, [rows, d]), dgamma: tf.tensor1d(r.dgamma), dbeta: tf.tensor1d(r.dbeta) };
  }
  checkBackward(rows, d, dy.size, xhat.size, rstd.size, gamma.size);
  const [dx, dgamma, dbeta] = [output(b, [rows, d]), output(b, [d]), output(b, [d])];
  sharedKernels<Elementwise>(b, 'elementwise').layerNormBackward(addressOf(b, dy), addressOf(b, xhat), addressOf(b, rstd), addressOf(b, gamma), dx.at, dgamma.at, dbeta.at, rows, d);
  return { dx: asTensor(dx.info) as tf.Tensor2D, dgamma: asTensor(dgamma.info) as tf.Tensor1D, dbeta: asTensor(dbeta.info) as tf.Tensor1D };
}
