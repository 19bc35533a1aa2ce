import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { gelu, layerNorm, linear } from '../src/model/dense';

before(async () => {
  await initBackend({ warn: () => {} });
});

/** Central finite difference of a scalar function of one Float64 parameter vector. */
function finiteDiff(f: (v: Float64Array) => number, v: Float64Array, eps: number): Float64Array {
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i];
    v[i] = keep + eps;
    const up = f(v);
    v[i] = keep - eps;
    const down = f(v);
    v[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

test('linear: custom gradient matches finite differences and the default matMul gradient', () => {
  const [m, k, n] = [5, 4, 3];
  const x = tf.randomNormal([m, k], 0, 1, 'float32', 1) as tf.Tensor2D;
  const w = tf.randomNormal([k, n], 0, 1, 'float32', 2) as tf.Tensor2D;
  const b = tf.randomNormal([n], 0, 1, 'float32', 3) as tf.Tensor1D;
  const r = tf.randomNormal([m, n], 0, 1, 'float32', 4) as tf.Tensor2D; // random projection makes the loss scalar
  const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(linear(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), r));
  const [gx, gw, gb] = tf.grads(loss)([x, w, b]);
  // Default gradient of the same expression.
  const [rx, rw, rb] = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D), bb), r)))([x, w, b]);
  for (const [a, e] of [[gx, rx], [gw, rw], [gb, rb]]) {
    assert.ok(tf.max(tf.abs(tf.sub(a, e))).dataSync()[0] < 1e-5);
  }
  // Finite differences in double precision on the same data.
  const X = Float64Array.from(x.dataSync()), W = Float64Array.from(w.dataSync()), B = Float64Array.from(b.dataSync());
  const R = Float64Array.from(r.dataSync());
  const f = (xs: Float64Array, ws: Float64Array, bs: Float64Array) => {
    let s = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let acc = bs[j];
      for (let t = 0; t < k; t++) acc += xs[i * k + t] * ws[t * n + j];
      s += acc * R[i * n + j];
    }
    return s;
  };
  const fdX = finiteDiff((v) => f(v, W, B), X, 1e-4);
  const fdW = finiteDiff((v) => f(X, v, B), W, 1e-4);
  const fdB = finiteDiff((v) => f(X, W, v), B, 1e-4);
  const close = (a: tf.Tensor, e: Float64Array) => a.dataSync().forEach((v, i) => assert.ok(Math.abs(v - e[i]) < 1e-3, `${v} vs ${e[i]}`));
  close(gx, fdX);
  close(gw, fdW);
  close(gb, fdB);
  // No-bias variant.
  const [gx0] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(linear(xx as tf.Tensor2D, ww as tf.Tensor2D, null), r)))([x, w]);
  close(gx0, fdX);
  tf.dispose([x, w, b, r, gx, gw, gb, rx, rw, rb, gx0]);
});

test('gelu is exact (erf) and its gradient matches finite differences', () => {
  const xs = [-3, -1, -0.5, 0, 0.3, 1, 2.5];
  const x = tf.tensor1d(xs);
  const y = gelu(x).dataSync();
  const erf = (v: number) => {
    // Abramowitz-Stegun 7.1.26 is too coarse; integrate numerically instead.
    let s = 0;
    const steps = 20000;
    for (let i = 0; i < steps; i++) {
      const t = ((i + 0.5) / steps) * v;
      s += Math.exp(-t * t);
    }
    return (2 / Math.sqrt(Math.PI)) * s * (v / steps);
  };
  const exact = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
  xs.forEach((v, i) => assert.ok(Math.abs(y[i] - exact(v)) < 1e-5, `gelu(${v})`));
  const g = tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x).dataSync();
  xs.forEach((v, i) => {
    const fd = (exact(v + 1e-3) - exact(v - 1e-3)) / 2e-3;
    assert.ok(Math.abs(g[i] - fd) < 1e-4, `gelu'(${v}) ${g[i]} vs ${fd}`);
  });
  x.dispose();
});

test('layerNorm normalises the last axis with eps 1e-6', () => {
  const x = tf.tensor2d([[1, 2, 3, 4], [10, 10, 10, 10]]);
  const y = layerNorm(x, tf.ones([4]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D).arraySync();
  const sd = Math.sqrt(1.25 + 1e-6);
  y[0].forEach((v, i) => assert.ok(Math.abs(v - (i + 1 - 2.5) / sd) < 1e-5));
  assert.deepEqual(y[1], [0, 0, 0, 0]);
});
