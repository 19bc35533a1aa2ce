/**
 * Our WebAssembly kernels (src/kernels): the committed binaries are what their sources build to, and each op on
 * a kernel equals its tfjs-op version (values and gradients) and, for GELU, a double-precision reference.
 */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend, tf } from '../src/backend';
import { attentionBackward, attentionForward } from '../src/kernels/attention';
import { geluBackward, geluForward, layerNormForward } from '../src/kernels/elementwise';
import { KERNEL_MODULES, kernelBinary, ownKernelsActive, useOwnKernels } from '../src/kernels/wasm';
import { multiHeadAttention, multiHeadAttentionOps, multiHeadAttentionPlain, usesAttentionKernel } from '../src/model/attention';
import { gelu, geluOps, layerNorm, layerNormOps, layerNormPlain } from '../src/model/dense';
import { binariesSource, buildKernels } from '../scripts/build-kernels';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** erf in double precision by its Taylor series (exact to ~1e-12 for |z| <= 4.5). */
function erf64(z: number): number {
  let term = z;
  let sum = z;
  for (let n = 1; n < 200; n++) {
    term *= (-z * z) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

describe('own WebAssembly kernels', () => {
  test('the committed .wasm files and binaries.ts (what is loaded) are what kernels/*.ts build to', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-kernels-'));
    try {
      buildKernels(dir);
      for (const name of KERNEL_MODULES) {
        const built = fs.readFileSync(path.join(dir, `${name}.wasm`));
        const committed = fs.readFileSync(path.join(__dirname, '..', 'src', 'kernels', `${name}.wasm`));
        assert.ok(built.equals(committed), `src/kernels/${name}.wasm differs from a fresh build of kernels/${name}.ts: run \`npm run build:kernels\` and commit it.`);
        assert.ok(built.equals(kernelBinary(name)), `src/kernels/binaries.ts holds other ${name} bytes than a fresh build: run \`npm run build:kernels\` and commit it.`);
      }
      assert.equal(fs.readFileSync(path.join(__dirname, '..', 'src', 'kernels', 'binaries.ts'), 'utf8'), binariesSource(dir), 'src/kernels/binaries.ts is not what build:kernels writes: run `npm run build:kernels`.');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the modules import their memory and carry no data segment (they may share tfjs\'s memory)', () => {
    for (const name of KERNEL_MODULES) {
      const bytes = Buffer.from(kernelBinary(name));
      const m = new WebAssembly.Module(bytes);
      assert.deepEqual(WebAssembly.Module.imports(m), [{ module: 'env', name: 'memory', kind: 'memory' }], name);
      // Walk the sections: id 11 is data, id 12 the data count.
      const ids: number[] = [];
      let i = 8;
      const leb = () => {
        let r = 0;
        let shift = 0;
        let byte: number;
        do {
          byte = bytes[i++];
          r |= (byte & 127) << shift;
          shift += 7;
        } while (byte & 128);
        return r;
      };
      while (i < bytes.length) {
        const id = bytes[i++];
        const len = leb();
        ids.push(id);
        i += len;
      }
      assert.ok(!ids.includes(11) && !ids.includes(12), `${name} has a data segment (sections ${ids})`);
    }
  });

  test('on the cpu backend the ops copy through the kernels and agree with the wasm backend', async () => {
    await initBackend({ warn: () => {} });
    const run = () => {
      const qkv = tf.tensor2d(Float32Array.from({ length: 2 * 17 * 48 }, (_, i) => Math.sin(i * 0.7)), [34, 48]);
      const g = tf.tensor1d(Float32Array.from({ length: 16 }, (_, i) => 1 + i / 32));
      const f = (x: tf.Tensor) => tf.sum(tf.mul(gelu(layerNorm(multiHeadAttention(x as tf.Tensor2D, 2, 17, 2), g, tf.zerosLike(g) as tf.Tensor1D)), tf.range(0, 34 * 16).div(34 * 16).reshape([34, 16])));
      const { value, grad } = tf.valueAndGrad(f)(qkv);
      return { value: value.dataSync()[0], grad: Array.from(grad.dataSync()) };
    };
    const onWasm = run();
    await tf.setBackend('cpu');
    try {
      assert.ok(ownKernelsActive(), 'the kernels run on cpu too');
      const onCpu = run();
      assert.ok(Math.abs(onCpu.value - onWasm.value) <= 1e-4 * Math.abs(onWasm.value), `${onCpu.value} vs ${onWasm.value}`);
      onCpu.grad.forEach((v, i) => assert.ok(Math.abs(v - onWasm.grad[i]) <= 1e-4, `grad ${i}: ${v} vs ${onWasm.grad[i]}`));
    } finally {
      await tf.setBackend('wasm');
    }
  });

  test('attention: kernel, tfjs-op version and plain formulation agree (values and gradients)', async () => {
    await initBackend({ warn: () => {} });
    assert.ok(ownKernelsActive(), 'the kernels are on by default on wasm');
    for (const [n, t, heads, d] of [[3, 5, 2, 8], [4, 17, 4, 64], [2, 50, 1, 12]]) {
      assert.ok(usesAttentionKernel(d, heads));
      const qkv = tf.randomNormal([n * t, 3 * d], 0, 2, 'float32', 21) as tf.Tensor2D;
      const w = tf.randomNormal([n * t, d], 0, 1, 'float32', 22);
      const loss = (f: typeof multiHeadAttention) => (x: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor2D, n, t, heads), w));
      const plain = (x: tf.Tensor2D, nn: number, tt: number, hh: number) => multiHeadAttentionPlain(x, nn, tt, hh).out;
      const y = [multiHeadAttention, multiHeadAttentionOps, plain].map((f) => f(qkv, n, t, heads));
      const g = [multiHeadAttention, multiHeadAttentionOps, plain].map((f) => tf.grad(loss(f))(qkv));
      assert.ok(tf.max(tf.abs(g[0])).dataSync()[0] > 0.01, 'the gradient is not trivially zero');
      for (const i of [1, 2]) {
        assert.ok(maxDiff(y[0], y[i]) <= 1e-5, `attention values differ by ${maxDiff(y[0], y[i])} at ${[n, t, heads, d]}`);
        assert.ok(maxDiff(g[0], g[i]) <= 1e-5, `attention gradients differ by ${maxDiff(g[0], g[i])} at ${[n, t, heads, d]}`);
      }
      tf.dispose([qkv, w, ...y, ...g]);
    }
  });

  test('attention: a head width that is not a multiple of 4, or kernels turned off, runs on tfjs ops', async () => {
    await initBackend({ warn: () => {} });
    assert.equal(usesAttentionKernel(18, 3), false);
    const qkv = tf.randomNormal([2 * 5, 54], 0, 1, 'float32', 3) as tf.Tensor2D;
    assert.ok(maxDiff(multiHeadAttention(qkv, 2, 5, 3), multiHeadAttentionPlain(qkv, 2, 5, 3).out) <= 1e-5);
    useOwnKernels(false);
    try {
      assert.equal(ownKernelsActive(), false);
      assert.equal(usesAttentionKernel(64, 4), false);
    } finally {
      useOwnKernels(true);
    }
    assert.throws(() => attentionForward(new Float32Array(10), 2, 5, 3, 18), /head width D\/H that is a multiple of 4, got N=2 T=5 H=3 D=18/);
    assert.throws(() => attentionForward(new Float32Array(10), 2, 5, 2, 8), /qkv has 10 values, expected N\*T\*3D = 240/);
    const { probs } = attentionForward(new Float32Array(240), 2, 5, 2, 8);
    assert.throws(() => attentionBackward(new Float32Array(240), probs, new Float32Array(7), 2, 5, 2, 8), /probs\/dout have 100\/7 values, expected 100\/80/);
    qkv.dispose();
  });

  test('attention kernel: each probability row sums to 1 and equal keys give uniform attention', () => {
    const [n, t, heads, d] = [2, 6, 2, 8];
    const qkv = new Float32Array(n * t * 3 * d).map((_, i) => Math.sin(i * 0.37));
    const { probs } = attentionForward(qkv, n, t, heads, d);
    for (let r = 0; r < n * heads * t; r++) {
      const s = probs.subarray(r * t, (r + 1) * t).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(s - 1) < 1e-6, `row ${r} sums to ${s}`);
    }
    // Same key in every token: every query attends uniformly, so the output is the mean of v.
    const same = qkv.slice();
    for (let b = 0; b < n; b++) for (let i = 0; i < t; i++) for (let c = 0; c < d; c++) same[(b * t + i) * 3 * d + d + c] = 0.5;
    const { out } = attentionForward(same, n, t, heads, d);
    for (let b = 0; b < n; b++) {
      for (let c = 0; c < d; c++) {
        let mean = 0;
        for (let j = 0; j < t; j++) mean += same[(b * t + j) * 3 * d + 2 * d + c] / t;
        assert.ok(Math.abs(out[b * t * d + c] - mean) < 1e-6);
      }
    }
  });

  test('GELU: kernel equals a double-precision reference and the tfjs-op version, values and gradients', async () => {
    await initBackend({ warn: () => {} });
    const xs = new Float32Array(1001).map((_, i) => -6 + (12 * i) / 1000); // odd length: a padded tail
    const y = geluForward(xs);
    const dy = new Float32Array(xs.length).fill(1);
    const dx = geluBackward(xs, dy);
    let worstY = 0;
    let worstD = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      const phi = 0.5 * (1 + erf64(x / Math.SQRT2));
      worstY = Math.max(worstY, Math.abs(y[i] - x * phi));
      worstD = Math.max(worstD, Math.abs(dx[i] - (phi + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI))));
    }
    assert.ok(worstY < 2e-6, `GELU differs from the reference by ${worstY}`);
    assert.ok(worstD < 2e-6, `GELU gradient differs from the reference by ${worstD}`);
    assert.deepEqual([...geluForward(new Float32Array([0, -100, 100, 0]))], [0, -0, 100, 0]);
    assert.throws(() => geluForward(new Float32Array(3)), /needs at least 4 values, got 3/);

    const x = tf.randomNormal([37, 29], 0, 3, 'float32', 5);
    const w = tf.randomNormal([37, 29], 0, 1, 'float32', 6);
    const f = (op: typeof gelu) => (v: tf.Tensor) => tf.sum(tf.mul(op(v), w));
    assert.ok(maxDiff(gelu(x), geluOps(x)) <= 1e-5);
    assert.ok(maxDiff(tf.grad(f(gelu))(x), tf.grad(f(geluOps))(x)) <= 1e-5);
    assert.throws(() => geluBackward(new Float32Array(3), new Float32Array(4)), /dy has 4 values, x has 3/);
  });

  test('LayerNorm: kernel equals the tfjs-op version and the moments formulation, values and gradients', async () => {
    await initBackend({ warn: () => {} });
    for (const d of [64, 12, 6]) {
      const x = tf.randomNormal([37, d], 1, 3, 'float32', 1) as tf.Tensor2D;
      const g = tf.randomNormal([d], 1, 0.2, 'float32', 2) as tf.Tensor1D;
      const b = tf.randomNormal([d], 0, 0.2, 'float32', 3) as tf.Tensor1D;
      const w = tf.randomNormal([37, d], 0, 1, 'float32', 4);
      const f = (ln: typeof layerNorm) => (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(ln(xx as tf.Tensor2D, gg as tf.Tensor1D, bb as tf.Tensor1D), w));
      for (const ref of [layerNormOps, layerNormPlain]) {
        assert.ok(maxDiff(layerNorm(x, g, b), ref(x, g, b)) <= 1e-5);
        const ga = tf.grads(f(layerNorm))([x, g, b]);
        const gb = tf.grads(f(ref))([x, g, b]);
        for (let i = 0; i < 3; i++) assert.ok(maxDiff(ga[i], gb[i]) <= 2e-5, `LayerNorm gradient ${i} differs by ${maxDiff(ga[i], gb[i])} (d=${d})`);
      }
    }
    assert.throws(() => layerNormForward(new Float32Array(12), new Float32Array(6), new Float32Array(6), 2, 6, 1e-6), /rows of 6 values; needs a positive multiple of 4/);
    assert.throws(() => layerNormForward(new Float32Array(12), new Float32Array(4), new Float32Array(4), 2, 4, 1e-6), /x has 12 values, expected 2 x 4/);
  });

  test('a training step on the kernels leaks no tensors', async () => {
    await initBackend({ warn: () => {} });
    const x = tf.variable(tf.randomNormal([34, 24], 0, 1, 'float32', 7));
    const g = tf.variable(tf.ones([8]));
    const loss = () => {
      const h = gelu(layerNorm(x.reshape([102, 8]) as tf.Tensor2D, g as tf.Tensor1D, tf.zeros([8]) as tf.Tensor1D));
      return tf.sum(multiHeadAttention(h.reshape([34, 24]) as tf.Tensor2D, 2, 17, 2)) as tf.Scalar;
    };
    const run = () => {
      const r = tf.variableGrads(loss, [x, g]);
      tf.dispose([r.value, ...Object.values(r.grads)]);
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) run();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, g]);
  });
});
