import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initBackend } from '../src/backend';
import { computeNormalization } from '../src/data/batches';
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
    const base = { backbone, method: peftConfig('lora'), train, val, normalization, labels: { perClass: 2 }, epochs: 3, batchSize: 4, lr: 1e-2 } as const;
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
