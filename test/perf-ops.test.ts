/** The fast ops of issue 7 equal the plain formulations they replace (values and gradients within 1e-5). */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { initBackend, tf } from '../src/backend';
import { multiHeadAttention, multiHeadAttentionPlain } from '../src/model/attention';
import { layerNorm, layerNormPlain, linear, withTrainable } from '../src/model/dense';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('perf ops', () => {
  test('attention with the hand-written gradient equals the plain formulation', async () => {
    await initBackend({ warn: () => {} });
    for (const [n, t, heads, d] of [[3, 5, 2, 8], [2, 17, 4, 64]]) {
      const qkv = tf.randomNormal([n * t, 3 * d], 0, 1, 'float32', 11) as tf.Tensor2D;
      const w = tf.randomNormal([n * t, d], 0, 1, 'float32', 12);
      const fast = (x: tf.Tensor) => tf.sum(tf.mul(multiHeadAttention(x as tf.Tensor2D, n, t, heads), w));
      const plain = (x: tf.Tensor) => tf.sum(tf.mul(multiHeadAttentionPlain(x as tf.Tensor2D, n, t, heads).out, w));
      const yFast = multiHeadAttention(qkv, n, t, heads);
      const yPlain = multiHeadAttentionPlain(qkv, n, t, heads);
      assert.deepEqual(yFast.shape, [n * t, d]);
      assert.ok(maxDiff(yFast, yPlain.out) <= 1e-5);
      const gFast = tf.grad(fast)(qkv);
      const gPlain = tf.grad(plain)(qkv);
      assert.ok(tf.max(tf.abs(gPlain)).dataSync()[0] > 0.01, 'the gradient is not trivially zero');
      assert.ok(maxDiff(gFast, gPlain) <= 1e-5, `attention gradients differ by ${maxDiff(gFast, gPlain)}`);
      tf.dispose([qkv, w, yFast, yPlain.out, yPlain.probs, gFast, gPlain]);
    }
  });

  test('attention rejects a qkv of the wrong shape with a clear message', async () => {
    await initBackend({ warn: () => {} });
    const qkv = tf.zeros([10, 12]) as tf.Tensor2D;
    assert.throws(() => multiHeadAttention(qkv, 3, 5, 2), /multiHeadAttention expects qkv \[N\*T, 3D\] with N\*T = 15/);
    qkv.dispose();
  });

  test('LayerNorm with the hand-written gradient equals the moments formulation', async () => {
    await initBackend({ warn: () => {} });
    const x = tf.randomNormal([37, 24], 1, 3, 'float32', 1) as tf.Tensor2D;
    const g = tf.randomNormal([24], 1, 0.2, 'float32', 2) as tf.Tensor1D;
    const b = tf.randomNormal([24], 0, 0.2, 'float32', 3) as tf.Tensor1D;
    const w = tf.randomNormal([37, 24], 0, 1, 'float32', 4);
    const f = (ln: typeof layerNorm) => (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(ln(xx as tf.Tensor2D, gg as tf.Tensor1D, bb as tf.Tensor1D), w));
    assert.ok(maxDiff(layerNorm(x, g, b), layerNormPlain(x, g, b)) <= 1e-5);
    const ga = tf.grads(f(layerNorm))([x, g, b]);
    const gb = tf.grads(f(layerNormPlain))([x, g, b]);
    for (let i = 0; i < 3; i++) assert.ok(maxDiff(ga[i], gb[i]) <= 1e-5, `LayerNorm gradient ${i} differs by ${maxDiff(ga[i], gb[i])}`);
  });

  test('withTrainable: frozen dense weights get no gradient work, the trained ones get the same gradients', async () => {
    await initBackend({ warn: () => {} });
    const x = tf.variable(tf.randomNormal([10, 6], 0, 1, 'float32', 1));
    const w1 = tf.variable(tf.randomNormal([6, 4], 0, 1, 'float32', 2));
    const b1 = tf.variable(tf.randomNormal([4], 0, 1, 'float32', 3));
    const w2 = tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', 4));
    const loss = () => tf.sum(tf.square(linear(tf.tanh(linear(x as tf.Tensor2D, w1 as tf.Tensor2D, b1 as tf.Tensor1D)) as tf.Tensor2D, w2 as tf.Tensor2D, null))) as tf.Scalar;
    const trained = [x, b1, w2];
    const ref = tf.variableGrads(loss, trained);
    const got = withTrainable(trained, () => tf.variableGrads(loss, trained));
    assert.deepEqual(Object.keys(got.grads).sort(), Object.keys(ref.grads).sort());
    for (const k of Object.keys(ref.grads)) assert.ok(maxDiff(ref.grads[k], got.grads[k]) <= 1e-6);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const r = withTrainable([b1], () => tf.variableGrads(loss, [b1]));
      tf.dispose([r.value, ...Object.values(r.grads)]);
    }
    assert.equal(tf.memory().numTensors, before, 'no tensors leak from frozen-weight layers');
  });
});
