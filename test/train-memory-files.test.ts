/**
 * The training stages keep their files through a store, so a web page runs them with a memory store (or none): TPP's
 * adapter saved in memory starts fine-tuning, a killed fine-tuning run resumes from its checkpoint in memory to the
 * weights an uninterrupted run reaches, and worker threads are asked for only with a starter.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initBackend } from '../src/backend';
import { checkpointInfoOf } from '../src/checkpoint/checkpoint';
import { computeNormalization } from '../src/data/sets/batches';
import { memoryStore, namedBytes } from '../src/io/store';
import { vitConfig } from '../src/model/config';
import { createViT } from '../src/model/vit';
import { peftConfig } from '../src/peft';
import { finetune } from '../src/train/finetune';
import { CHECKPOINT_FILE } from '../src/train/loop';
import { targetParameterPretrain } from '../src/train/tpp';
import { brightness } from './helpers';

before(async () => {
  await initBackend({ warn: () => {} });
});

test('TPP and fine-tuning keep their files in a memory store; a killed run resumes from it to the same weights', async () => {
  const train = brightness(48, 1);
  const val = brightness(16, 2);
  const normalization = computeNormalization(train);
  const backbone = createViT(vitConfig('tiny'), { seed: 0 });
  const method = peftConfig('lora', { rank: 2 });
  const tppFiles = memoryStore('tpp');
  const tpp = await targetParameterPretrain({ backbone, method, pretext: 'simsiam', images: train, normalization, epochs: 1, batchSize: 16, files: tppFiles });
  tpp.peft.dispose();
  assert.equal(tpp.adapterPath, 'tpp/adapter.safetensors', 'a memory store names files by its root');
  assert.equal(checkpointInfoOf(tppFiles.readBytes('adapter.safetensors')!, 'tpp').kind, 'adapter');
  assert.ok(tppFiles.readBytes(CHECKPOINT_FILE), 'the training state after the epoch');

  const init = namedBytes(tppFiles, 'adapter.safetensors', 'TPP adapter');
  const opts = { backbone, method, init, train, val, normalization, epochs: 3, batchSize: 16, seed: 4 };
  const plain = await finetune({ ...opts });
  assert.equal(plain.adapterPath, undefined, 'no store: nothing saved');
  const weights = new Map([...plain.peft.trainableParameters()].map(([k, v]) => [k, v.dataSync().slice()]));
  plain.peft.dispose();
  plain.model.dispose();

  const ftFiles = memoryStore('ft');
  const ctl = new AbortController();
  await assert.rejects(finetune({ ...opts, files: ftFiles, signal: ctl.signal, onProgress: (p) => p.kind === 'epoch' && p.epoch === 0 && ctl.abort() }), /stopped by request/);
  assert.equal(ftFiles.readBytes('adapter.safetensors'), null, 'a stopped run saves no adapter');
  const resumed = await finetune({ ...opts, files: ftFiles, resume: true });
  assert.equal(resumed.fit.startEpoch, 1);
  for (const [k, v] of weights) assert.deepEqual(resumed.peft.trainableParameters().get(k)!.dataSync(), v, `${k} equal after resuming from memory`);
  assert.equal(checkpointInfoOf(ftFiles.readBytes('adapter.safetensors')!, 'ft').metadata.init, 'tpp/adapter.safetensors', 'the init adapter\'s name is recorded');
  resumed.peft.dispose();
  resumed.model.dispose();

  await assert.rejects(finetune({ ...opts, workers: 2 }), /finetune: workers = 2 needs startWorkers/);
  backbone.dispose();
});
