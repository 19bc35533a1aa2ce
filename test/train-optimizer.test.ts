import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initBackend, tf } from '../src/backend';
import { ADDN_MAX_INPUTS, AdamW, clipByGlobalNorm, sumInChunks } from '../src/step/optimizer';
import { useOwnKernels } from '../src/kernels/wasm';
import { lrAt } from '../src/train/schedule';

before(async () => {
  await initBackend({ warn: () => {} });
});

describe('AdamW and the schedule', () => {
  test('two AdamW steps match the update rule computed in float64', async () => {
    const w = tf.variable(tf.tensor2d([[1, -2], [3, 0.5]]), true, 'w-test');
    const b = tf.variable(tf.tensor1d([0.5, -0.5]), true, 'b-test');
    const opt = new AdamW(new Map<string, tf.Variable>([['w', w], ['b', b]]), { weightDecay: 0.1 });
    const grads = [[0.1, -0.2, 0.3, 0.4], [-0.05, 0.5, 0.2, -0.1]];
    const lrs = [0.01, 0.02];
    // Reference in plain JS, PyTorch AdamW order: decay, then Adam step.
    let ref = [1, -2, 3, 0.5];
    const m = [0, 0, 0, 0];
    const v = [0, 0, 0, 0];
    for (let t = 1; t <= 2; t++) {
      const g = grads[t - 1];
      const lr = lrs[t - 1];
      ref = ref.map((x, i) => {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        const upd = m[i] / (1 - 0.9 ** t) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8);
        return x * (1 - lr * 0.1) - lr * upd;
      });
      const gw = tf.tensor2d(g, [2, 2]);
      opt.apply(new Map([['w', gw]]), lr);
      gw.dispose();
    }
    const got = Array.from(await w.data());
    got.forEach((x, i) => assert.ok(Math.abs(x - ref[i]) < 1e-6, `w[${i}] ${x} vs ${ref[i]}`));
    assert.deepEqual(Array.from(await b.data()), [0.5, -0.5], 'a parameter without a gradient is untouched');
    assert.equal(opt.step, 2);
    const state = opt.stateTensors();
    assert.deepEqual([...state.keys()].sort(), ['b.exp_avg', 'b.exp_avg_sq', 'w.exp_avg', 'w.exp_avg_sq']);
    opt.dispose();
    tf.dispose([w, b]);
  });

  test('the host update (wasm, cpu) equals the tfjs-op update, with clipping, decay rules and lr factors', async () => {
    const run = async (host: boolean) => {
      useOwnKernels(host);
      try {
        const params = new Map<string, tf.Variable>([
          ['blocks.0.mlp.fc1.weight', tf.variable(tf.randomNormal([6, 5], 0, 1, 'float32', 1))],
          ['blocks.0.norm1.bias', tf.variable(tf.randomNormal([5], 0, 1, 'float32', 2))],
          ['head.weight', tf.variable(tf.randomNormal([5, 3], 0, 1, 'float32', 3))],
        ]);
        const opt = new AdamW(params, { weightDecay: 0.05, lrScale: (n) => (n.startsWith('head') ? 10 : 1) });
        const norms: number[] = [];
        for (let step = 0; step < 3; step++) {
          const grads = new Map([...params].map(([n, p], i) => [n, tf.randomNormal(p.shape, 0, 2, 'float32', 10 * step + i + 1)]));
          opt.apply(grads, 0.01, step === 2 ? 0 : 1); // clipped twice (the norm is above 1), then not
          norms.push(await opt.lastNorm());
          tf.dispose([...grads.values()]);
        }
        const state = [...opt.stateTensors().values()].map((t) => Array.from(t.dataSync()));
        const values = [...params.values()].map((p) => Array.from(p.dataSync()));
        opt.dispose();
        tf.dispose([...params.values()]);
        return { norms, state, values };
      } finally {
        useOwnKernels(true);
      }
    };
    const host = await run(true);
    const ops = await run(false);
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(host.norms[i] - ops.norms[i]) < 1e-4 && host.norms[i] > 1, `norm ${host.norms[i]} vs ${ops.norms[i]}`);
    assert.ok(Number.isNaN(host.norms[2]) && Number.isNaN(ops.norms[2]), 'no norm when clipping is off');
    const close = (a: number[][], b: number[][], tol: number, what: string) =>
      a.forEach((row, r) => row.forEach((x, i) => assert.ok(Math.abs(x - b[r][i]) <= tol * (1 + Math.abs(b[r][i])), `${what}[${r}][${i}] ${x} vs ${b[r][i]}`)));
    close(host.values, ops.values, 1e-6, 'weights');
    close(host.state, ops.state, 1e-6, 'moments');
  });

  test('biases and norms get no weight decay by default', async () => {
    const bias = tf.variable(tf.ones([3]), true, 'x.bias-test');
    const opt = new AdamW(new Map([['blocks.0.attn.qkv.bias', bias]]), { weightDecay: 0.5 });
    const g = tf.zeros([3]);
    opt.apply(new Map([['blocks.0.attn.qkv.bias', g]]), 0.1);
    assert.deepEqual(Array.from(await bias.data()), [1, 1, 1]);
    tf.dispose([g, bias]);
    opt.dispose();
  });

  test('clipByGlobalNorm scales to the bound and reports the norm', async () => {
    const grads = new Map([['a', tf.tensor1d([3, 0])], ['b', tf.tensor1d([0, 4])]]);
    const before = tf.memory().numTensors;
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    assert.ok(Math.abs((await norm.data())[0] - 5) < 1e-5);
    const a = await clipped.get('a')!.data();
    assert.ok(Math.abs(a[0] - 0.6) < 1e-5);
    assert.equal(tf.memory().numTensors, before + 3, 'returns exactly the norm and the clipped gradients');
    tf.dispose([norm, ...clipped.values(), ...grads.values()]);
  });

  test('sumInChunks: addN over at most ADDN_MAX_INPUTS tensors at a time, bitwise equal to one addN here', async () => {
    for (const n of [1, ADDN_MAX_INPUTS, ADDN_MAX_INPUTS + 1, 3 * ADDN_MAX_INPUTS + 2]) {
      const terms = Array.from({ length: n }, (_, i) => tf.randomNormal([5], 0, 10 ** (i % 4), 'float32', i + 1));
      const profile = await tf.profile(() => sumInChunks(terms));
      const chunked = profile.result as tf.Tensor;
      const sizes = profile.kernels.filter((k) => k.name === 'AddN').map((k) => k.inputShapes.length);
      assert.ok(sizes.every((c) => c <= ADDN_MAX_INPUTS), `addN sizes ${sizes}`);
      assert.equal(sizes.length, Math.max(1, Math.ceil((n - 1) / (ADDN_MAX_INPUTS - 1))), `addN calls for ${n} terms`);
      const whole = tf.addN(terms);
      assert.deepEqual(Array.from(await chunked.data()), Array.from(await whole.data()), `${n} terms on ${tf.getBackend()}: same sum, same order`);
      tf.dispose([...terms, chunked, whole]);
    }
    assert.throws(() => sumInChunks([]), /^Error: sumInChunks: nothing to sum\.$/);
  });

  test('lrAt: linear warm-up, cosine decay to the floor, pure in the step', () => {
    const s = { lr: 1e-3, totalSteps: 110, warmupSteps: 10, minLrRatio: 0.1 };
    assert.equal(lrAt(s, 0), 1e-4);
    assert.equal(lrAt(s, 9), 1e-3);
    assert.ok(Math.abs(lrAt(s, 60) - (1e-4 + 0.9e-3 * 0.5)) < 1e-12, 'half-way through the decay');
    assert.ok(Math.abs(lrAt(s, 110) - 1e-4) < 1e-12);
    assert.throws(() => lrAt({ lr: 0, totalSteps: 1, warmupSteps: 0 }, 0), /Schedule needs lr > 0/);
  });
});
