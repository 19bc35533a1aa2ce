/**
 * Data parallelism over worker_threads (src/parallel): training on 2 workers equals training on this thread
 * (fixed seed, same batches, float rounding only), and a training run does not grow the number of tensors.
 */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { initBackend, tf } from '../src/backend';
import { createBenchTask, type BenchVariant } from '../src/bench/task';
import { localGradients, type GradientSource } from '../src/parallel/gradients';
import { splitRows, WorkerGradients } from '../src/parallel/workers';
import { AdamW } from '../src/step/optimizer';
import { trainStep } from '../src/step/step';

/** Train `steps` steps of a tiny task and return the trained parameters and the losses. */
async function train(variant: BenchVariant, workers: number, steps: number): Promise<{ params: Map<string, Float32Array>; losses: number[] }> {
  const report = await initBackend({ warn: () => {} });
  const task = createBenchTask({ preset: 'tiny', variant, seed: 3 });
  const opt = new AdamW(new Map(task.trainable.map((n) => [n, task.params.get(n)!])), { weightDecay: 0.05 });
  const source: GradientSource = workers > 1 ? await WorkerGradients.start(task, workers, { backend: report.name }) : localGradients(task);
  try {
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) {
      const b = task.makeBatch(9, i);
      losses.push(await trainStep(() => source.compute(b), opt, { lr: 1e-2, clipNorm: 1, stage: 'test', step: i }));
    }
    const params = new Map<string, Float32Array>();
    for (const n of task.trainable) params.set(n, (await task.params.get(n)!.data()) as Float32Array);
    return { params, losses };
  } finally {
    await source.dispose();
    opt.dispose();
    task.dispose();
  }
}

describe('perf workers', () => {
  test('splitRows covers the batch in contiguous near-equal blocks', () => {
    assert.deepEqual(splitRows(9, 2), [[0, 5], [5, 9]]);
    assert.deepEqual(splitRows(64, 4), [[0, 16], [16, 32], [32, 48], [48, 64]]);
    assert.deepEqual(splitRows(2, 3), [[0, 1], [1, 2]]);
  });

  for (const variant of ['lora', 'mae', 'full'] as const) {
    test(`${variant}: 2 workers train the same weights as 1 thread (seed 3, 3 steps, odd batch 9)`, async () => {
      const one = await train(variant, 1, 3);
      const two = await train(variant, 2, 3);
      for (let i = 0; i < 3; i++) assert.ok(Math.abs(one.losses[i] - two.losses[i]) <= 1e-5, `loss ${i}: ${one.losses[i]} vs ${two.losses[i]}`);
      let worst = 0;
      let moved = 0;
      const initial = createBenchTask({ preset: 'tiny', variant, seed: 3 });
      for (const [name, a] of one.params) {
        const b = two.params.get(name)!;
        const a0 = (await initial.params.get(name)!.data()) as Float32Array;
        for (let j = 0; j < a.length; j++) {
          worst = Math.max(worst, Math.abs(a[j] - b[j]));
          moved = Math.max(moved, Math.abs(a[j] - a0[j]));
        }
      }
      initial.dispose();
      assert.ok(moved > 1e-3, 'the steps moved the weights');
      // Adam divides by sqrt(v): where a true gradient is ~0 (key biases) rounding noise is amplified, as in
      // scripts/train-steps.ts' parity tolerance; 1e-4 is still far below the update.
      assert.ok(worst <= 1e-4, `${variant}: parameters differ by ${worst}`);
    });
  }

  test('numTensors stays flat over many training steps (local and worker sources)', async () => {
    const report = await initBackend({ warn: () => {} });
    const task = createBenchTask({ preset: 'tiny', variant: 'mae', seed: 0 });
    const opt = new AdamW(new Map(task.trainable.map((n) => [n, task.params.get(n)!])));
    for (const source of [localGradients(task), await WorkerGradients.start(task, 2, { backend: report.name })]) {
      const counts: number[] = [];
      for (let i = 0; i < 40; i++) {
        const b = task.makeBatch(4, i);
        await trainStep(() => source.compute(b), opt, { lr: 1e-3, clipNorm: 1, stage: 'test', step: i });
        counts.push(tf.memory().numTensors);
      }
      await source.dispose();
      assert.equal(counts[counts.length - 1], counts[2], `tensors grew from ${counts[2]} to ${counts[counts.length - 1]} (${source.workers} workers)`);
    }
    opt.dispose();
    task.dispose();
  });
});
