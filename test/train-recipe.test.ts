import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initBackend, tf } from '../src/backend';
import { AdamW } from '../src/step/optimizer';
import { computeNormalization } from '../src/data/sets/batches';
import { vitConfig } from '../src/model/config';
import { createViT } from '../src/model/vit';
import { peftConfig } from '../src/peft';
import { finetune } from '../src/train/finetune';
import { brightness } from './helpers';

test('minStepsPerEpoch repeats a small labelled set so each epoch takes that many steps, and the run reports how far the target parameters moved', async () => {
  await initBackend({ warn: () => {} });
  const train = brightness(40, 1);
  const val = brightness(16, 2);
  const normalization = computeNormalization(train);
  const backbone = createViT(vitConfig('tiny'), { seed: 0 });
  try {
    // 2 labels per class at batch 4: one step an epoch by default, 5 with minStepsPerEpoch 5.
    const base = { backbone, method: peftConfig('lora'), train, val, normalization, labelBudget: { perClass: 2 }, epochs: 3, batchSize: 4, lr: 1e-2 } as const;
    const plain = await finetune(base);
    const more = await finetune({ ...base, minStepsPerEpoch: 5 });
    assert.equal(plain.trainExamples, 4);
    assert.equal(more.trainExamples, 4);
    assert.equal(plain.steps, 3);
    assert.equal(more.steps, 15);
    // LoRA starts with B = 0 and a random A: the start norm is A's; more steps move the parameters further.
    assert.ok(plain.targetStartNorm > 0 && plain.targetStartNorm === more.targetStartNorm);
    assert.ok(plain.targetShift > 0, `shift ${plain.targetShift}`);
    assert.ok(more.targetShift > plain.targetShift, `${more.targetShift} > ${plain.targetShift}`);
    for (const r of [plain, more]) {
      r.peft.dispose();
      r.model.dispose();
    }
  } finally {
    backbone.dispose();
  }
});

test('AdamW lrScale gives each parameter its own learning rate (0 freezes it), and finetune headLr uses it for the head', async () => {
  await initBackend({ warn: () => {} });
  const a = tf.variable(tf.tensor1d([1, 1]));
  const b = tf.variable(tf.tensor1d([1, 1]));
  const c = tf.variable(tf.tensor1d([1, 1]));
  const opt = new AdamW(new Map([['a', a], ['b', b], ['c', c]]), { weightDecay: 0, lrScale: (n) => ({ a: 1, b: 3, c: 0 })[n]! });
  const g = () => new Map([['a', tf.tensor1d([0.5, -2])], ['b', tf.tensor1d([0.5, -2])], ['c', tf.tensor1d([0.5, -2])]]);
  const grads = g();
  opt.apply(grads, 0.1);
  tf.dispose([...grads.values()]);
  // Adam's first step moves each weight by lr * sign(gradient) (up to eps).
  const close = (x: Float32Array, want: number[]) => want.forEach((w, i) => assert.ok(Math.abs(x[i] - w) < 1e-5, `${x[i]} vs ${w}`));
  close(a.dataSync() as Float32Array, [0.9, 1.1]);
  close(b.dataSync() as Float32Array, [0.7, 1.3]);
  close(c.dataSync() as Float32Array, [1, 1]);
  assert.throws(() => new AdamW(new Map([['a', a]]), { lrScale: () => NaN }), /lrScale for "a" must be a finite number >= 0, got NaN/);
  opt.dispose();
  tf.dispose([a, b, c]);

  // headLr 0 keeps the head at its initialisation while the target parameters train.
  const train = brightness(16, 1);
  const backbone = createViT(vitConfig('tiny'), { seed: 0 });
  try {
    const r = await finetune({ backbone, method: peftConfig('lora'), train, val: brightness(8, 2), normalization: computeNormalization(train), epochs: 2, batchSize: 8, lr: 1e-2, headLr: 0 });
    const fresh = createViT({ ...backbone.config, numClasses: 1 }, { seed: 0 });
    assert.deepEqual(r.model.param('head.weight').dataSync(), fresh.param('head.weight').dataSync());
    assert.ok(r.targetShift > 0);
    fresh.dispose();
    r.peft.dispose();
    r.model.dispose();
  } finally {
    backbone.dispose();
  }
});
