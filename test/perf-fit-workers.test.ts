/** fit() with a worker gradient source: `finetune` and `pretrainMAE` with `workers: 2` train what one thread trains. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initBackend } from '../src/backend';
import { computeNormalization } from '../src/data/sets/batches';
import type { Dataset } from '../src/data/sets/dataset';
import { vitConfig } from '../src/model/config';
import { createViT } from '../src/model/vit';
import { peftConfig } from '../src/peft';
import { finetune } from '../src/train/finetune';
import { pretrainMAE } from '../src/train/pretrain';
import { brightness } from './helpers';
import { startWorkerGradients } from '../src/parallel/workers';


describe('fit with worker threads', () => {
  test('finetune LoRA with 2 workers equals 1 thread (losses, adapter weights, metrics)', async () => {
    await initBackend({ warn: () => {} });
    const train = brightness(40, 1);
    const val = brightness(16, 2);
    const normalization = computeNormalization(train);
    const backbone = createViT(vitConfig('tiny'), { seed: 0 });
    const run = async (workers: number) => {
      const r = await finetune({ backbone, method: peftConfig('lora'), train, val, normalization, epochs: 2, batchSize: 13, lr: 5e-3, seed: 1, workers, startWorkers: startWorkerGradients });
      const weights = new Map([...r.peft.trainableParameters()].map(([n, v]) => [n, v.dataSync().slice() as Float32Array]));
      const out = { losses: r.fit.history.map((h) => h.loss), weights, auc: r.val.auc };
      r.peft.dispose();
      r.model.dispose();
      return out;
    };
    const one = await run(1);
    const two = await run(2);
    backbone.dispose();
    one.losses.forEach((l, i) => assert.ok(Math.abs(l - two.losses[i]) <= 1e-5, `epoch ${i} loss ${l} vs ${two.losses[i]}`));
    let worst = 0;
    for (const [n, a] of one.weights) {
      const b = two.weights.get(n)!;
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
    }
    assert.ok(worst <= 1e-4, `adapter weights differ by ${worst}`);
    assert.ok(Math.abs(one.auc - two.auc) <= 1e-6);
  });

  test('MAE pre-training with 2 workers equals 1 thread (same masks, losses and weights)', async () => {
    await initBackend({ warn: () => {} });
    const train = brightness(24, 5);
    const run = async (workers: number) => {
      const r = await pretrainMAE({ train, preset: 'tiny', epochs: 1, batchSize: 11, lr: 5e-3, seed: 2, workers, startWorkers: startWorkerGradients });
      const weights = new Map([...r.mae.trainableParameters()].map(([n, v]) => [n, v.dataSync().slice() as Float32Array]));
      const out = { losses: r.fit.history.map((h) => h.loss), weights };
      r.mae.dispose();
      r.mae.encoder.dispose();
      return out;
    };
    const one = await run(1);
    const two = await run(2);
    one.losses.forEach((l, i) => assert.ok(Math.abs(l - two.losses[i]) <= 1e-5, `epoch ${i} loss ${l} vs ${two.losses[i]}`));
    let worst = 0;
    for (const [n, a] of one.weights) {
      const b = two.weights.get(n)!;
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
    }
    assert.ok(worst <= 1e-4, `MAE weights differ by ${worst}`);
  });
});
