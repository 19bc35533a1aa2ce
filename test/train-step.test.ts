/**
 * The one training step (src/step): `tpp-lab bench` and `fit()` step through the same code, so from the same
 * start and the same batches they end with bitwise the same weights; a non-finite loss stops a step before any
 * update; per-step seeds come from one function whose draw 0 is the seed pre-training has always used.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initBackend, tf } from '../src/backend';
import { benchOptimizer, benchStep, BENCH_STEP } from '../src/bench/run';
import { createBenchTask, type BenchVariant, type HostBatch } from '../src/bench/task';
import { localGradients, trainableOf } from '../src/parallel/gradients';
import { stepSeed } from '../src/step/seed';
import { NonFiniteLossError, trainStep } from '../src/step/step';
import { fit } from '../src/train/loop';

async function values(params: Map<string, tf.Variable>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [n, v] of params) out.set(n, (await v.data()) as Float32Array);
  return out;
}

describe('one training step', () => {
  before(async () => {
    await initBackend({ warn: () => {} });
  });

  for (const variant of ['lora', 'mae'] as BenchVariant[]) {
    test(`${variant}: the bench step and fit() train the same weights from the same start and batches (2 steps)`, async () => {
      const spec = { preset: 'tiny' as const, variant, seed: 3 };
      // Bench: its optimiser and its step, on this thread.
      const a = createBenchTask(spec);
      const start = await values(trainableOf(a));
      const batches: HostBatch[] = [a.makeBatch(6, 0), a.makeBatch(6, 1)];
      const opt = benchOptimizer(a);
      const benchLosses: number[] = [];
      const source = localGradients(a);
      for (let i = 0; i < batches.length; i++) benchLosses.push(await benchStep(source, opt, batches[i], i));
      const benched = await values(trainableOf(a));
      opt.dispose();
      a.dispose();
      // fit(): the same task rebuilt from the same seed, the same batches. With warm-up 1 and minLrRatio 0 its
      // schedule gives exactly BENCH_STEP.lr at steps 0 and 1.
      const b = createBenchTask(spec);
      const fitted = await fit<HostBatch>({
        stage: 'bench',
        params: trainableOf(b),
        epochs: 1,
        stepsPerEpoch: batches.length,
        batches: () => batches,
        loss: (batch) => b.loss(batch),
        batchSize: (batch) => batch.n,
        dispose: () => {},
        lr: BENCH_STEP.lr,
        warmupSteps: 1,
        minLrRatio: 0,
        weightDecay: BENCH_STEP.weightDecay,
        clipNorm: BENCH_STEP.clipNorm,
      });
      const trained = await values(trainableOf(b));
      b.dispose();
      assert.equal(fitted.steps, 2);
      assert.deepEqual(fitted.history[0].loss, (benchLosses[0] + benchLosses[1]) / 2);
      let moved = 0;
      for (const [n, w] of benched) {
        assert.deepEqual(trained.get(n), w, `${n} differs between the bench step and fit()`);
        const w0 = start.get(n)!;
        for (let j = 0; j < w.length; j++) moved = Math.max(moved, Math.abs(w[j] - w0[j]));
      }
      assert.ok(moved > 1e-4, `the steps moved the weights (by ${moved})`);
    });
  }

  test('a non-finite loss throws NonFiniteLossError before any update and frees the gradients', async () => {
    const task = createBenchTask({ preset: 'tiny', variant: 'lora', seed: 0 });
    const params = trainableOf(task);
    const opt = benchOptimizer(task);
    const before = await values(params);
    const tensors = tf.memory().numTensors;
    const nanGrads = async () => ({ loss: NaN, grads: new Map([...params].map(([n, v]) => [n, tf.onesLike(v)])) });
    await assert.rejects(
      trainStep(nanGrads, opt, { lr: 1e-3, stage: 'bench', step: 4 }),
      (e: unknown) => e instanceof NonFiniteLossError && /^bench: the loss became NaN at step 5 \(learning rate 1\.00e-3\)/.test((e as Error).message),
    );
    await assert.rejects(
      trainStep(async () => ({ loss: Infinity, grads: new Map() }), opt, { lr: 2e-3, stage: 'finetune', step: 0, epoch: 2 }),
      /finetune: the loss became Infinity at step 1 \(epoch 3, learning rate 2\.00e-3\)/,
    );
    assert.equal(tf.memory().numTensors, tensors, 'the gradients were disposed');
    assert.equal(opt.step, 0, 'no update was applied');
    for (const [n, w] of await values(params)) assert.deepEqual(w, before.get(n));
    opt.dispose();
    task.dispose();
  });

  test('stepSeed: one per (seed, step, draw); draw 0 is the seed pre-training has always drawn its masks with', () => {
    // Pinned values: saved pre-training runs used these MAE mask seeds.
    assert.equal(stepSeed(0, 0), 3);
    assert.equal(stepSeed(1, 0), 2654435764);
    assert.equal(stepSeed(2, 5), 1014106744);
    assert.equal(stepSeed(0, 0, 0), stepSeed(0, 0));
    const seen = new Set<number>();
    for (let seed = 0; seed < 4; seed++) for (let step = 0; step < 50; step++) for (let draw = 0; draw < 3; draw++) seen.add(stepSeed(seed, step, draw));
    assert.equal(seen.size, 4 * 50 * 3, 'distinct seeds for distinct (seed, step, draw)');
    for (const s of seen) assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
    assert.throws(() => stepSeed(0, -1), /the step must be a whole number >= 0, got -1/);
    assert.throws(() => stepSeed(0, 1.5), /the step must be a whole number >= 0/);
    assert.throws(() => stepSeed(NaN, 0), /the seed must be a finite number, got NaN/);
    assert.throws(() => stepSeed(0, 0, -2), /the draw must be a whole number >= 0/);
  });
});
