import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend, tf } from '../src/backend';
import { computeNormalization } from '../src/data/sets/batches';
import type { Dataset } from '../src/data/sets/dataset';
import { encodeAdapter, readCheckpointInfo } from '../src/io/checkpoint';
import { vitConfig } from '../src/model/config';
import { createViT, type ViT } from '../src/model/vit';
import { peftConfig } from '../src/peft';
import { finetune } from '../src/train/finetune';
import { NonFiniteLossError } from '../src/train/loop';
import { pretrainMAE } from '../src/train/pretrain';
import { targetParameterPretrain } from '../src/train/tpp';
import { readSafetensorsFile } from '../src/io/safetensors';
import { brightness, tempDir } from './helpers';
import { fileBytes, stageFiles } from '../src/io/stage-files';

before(async () => {
  await initBackend({ warn: () => {} });
});


function snapshot(vit: ViT): Map<string, Float32Array> {
  return new Map([...vit.params].map(([k, v]) => [k, v.dataSync().slice() as Float32Array]));
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('training stages (tiny preset)', () => {
  const train = brightness(64, 1);
  const val = brightness(32, 2);
  const test_ = brightness(32, 3);
  const normalization = computeNormalization(train);

  test('fine-tuning learns a learnable task (full), and the backbone stays bitwise frozen under LoRA', async () => {
    const backbone = createViT(vitConfig('tiny'), { seed: 0 });
    const full = await finetune({ backbone, method: peftConfig('full'), train, val, test: test_, normalization, epochs: 8, batchSize: 16, lr: 1e-3 });
    const first = full.fit.history[0].loss;
    const last = full.fit.history[full.fit.history.length - 1].loss;
    assert.ok(last < 0.7 * first, `training loss fell from ${first} to ${last}`);
    assert.ok(full.test!.accuracy >= 0.9, `test accuracy ${full.test!.accuracy}`);
    full.peft.dispose();
    full.model.dispose();
    const before = snapshot(backbone);
    const r = await finetune({ backbone, method: peftConfig('lora'), train, val, test: test_, normalization, epochs: 2, batchSize: 16, lr: 5e-3 });
    // The caller's backbone is untouched; the fine-tuned copy's backbone tensors equal it bitwise.
    const after = snapshot(backbone);
    for (const [k, v] of before) assert.ok(sameBits(v, after.get(k)!), `${k} unchanged`);
    for (const name of backbone.backboneNames()) assert.ok(sameBits(before.get(name)!, r.model.param(name).dataSync() as Float32Array), `fine-tuned copy keeps ${name}`);
    r.peft.dispose();
    r.model.dispose();
    backbone.dispose();
  });

  test('same seed, same metrics; another seed, another run', async () => {
    const backbone = createViT(vitConfig('tiny'), { seed: 0 });
    const run = async (seed: number) => {
      const r = await finetune({ backbone, method: peftConfig('lora'), train, val, normalization, epochs: 2, batchSize: 16, seed });
      const out = { loss: r.fit.history.map((h) => h.loss), val: r.val };
      r.peft.dispose();
      r.model.dispose();
      return out;
    };
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.loss, c.loss);
    backbone.dispose();
  });

  test('pretrain → TPP → finetune: TPP trains only target parameters, and fine-tuning starts from its adapter', async () => {
    const dir = tempDir();
    const pre = await pretrainMAE({ train, preset: 'tiny', epochs: 1, batchSize: 16, files: stageFiles(path.join(dir, 'pre')) });
    assert.ok(fs.existsSync(pre.backbonePath!) && fs.existsSync(pre.decoderPath!));
    const meta = (await readCheckpointInfo(pre.backbonePath!)).metadata;
    assert.deepEqual(meta.normalization, pre.normalization);
    const backbone = pre.mae.encoder;
    const before = snapshot(backbone);
    const lora = peftConfig('lora');
    const tpp = await targetParameterPretrain({ backbone, method: lora, decoder: fileBytes(pre.decoderPath!), images: train, normalization, epochs: 2, batchSize: 16, lr: 1e-2, files: stageFiles(path.join(dir, 'tpp')) });
    const after = snapshot(backbone);
    for (const [k, v] of before) assert.ok(sameBits(v, after.get(k)!), `TPP left ${k} bitwise unchanged`);
    const bs = [...tpp.peft.targetParameters()].filter(([k]) => k.endsWith('lora_B'));
    assert.ok(bs.length > 0 && bs.every(([, v]) => v.dataSync().some((x) => x !== 0)), 'LoRA B moved away from zero');
    const info = await readCheckpointInfo(tpp.adapterPath!);
    assert.equal(info.kind, 'adapter');
    assert.equal((info.metadata.pretext as { pretext: string }).pretext, 'mae');
    assert.equal(info.metadata.data, train.source);
    // The adapter holds the target parameters only: TPP never trains the backbone's classification head.
    const stored = await readSafetensorsFile(tpp.adapterPath!);
    assert.deepEqual([...stored.tensors.keys()].sort(), [...tpp.peft.targetParameters().keys()].sort());
    assert.equal(info.parameters, tpp.peft.counts().target);
    // Fine-tuning with --init starts from exactly these target parameters (0 epochs would not run; check the
    // loaded model before training by loading the same way fine-tuning does).
    const { loadAdapter } = await import('../src/io/checkpoint');
    const { withNewHead } = await import('../src/model/head');
    const model = withNewHead(backbone, 1, 0);
    const loaded = await loadAdapter(tpp.adapterPath!, model, { head: false });
    for (const [k, v] of tpp.peft.targetParameters()) assert.ok(sameBits(v.dataSync() as Float32Array, loaded.targetParameters().get(k)!.dataSync() as Float32Array), `${k} loaded as saved`);
    loaded.dispose();
    model.dispose();
    const ft = await finetune({ backbone, method: lora, init: fileBytes(tpp.adapterPath!), train, val, normalization, epochs: 1, batchSize: 16 });
    assert.ok(ft.val.auc >= 0 && ft.val.auc <= 1);
    // A web page gives the decoder and the adapter as bytes: the same run, the same file bytes, the same fine-tuning.
    const inMemory = await targetParameterPretrain({ backbone, method: lora, decoder: { name: 'decoder.safetensors', bytes: new Uint8Array(fs.readFileSync(pre.decoderPath!)) }, images: train, normalization, epochs: 2, batchSize: 16, lr: 1e-2 });
    assert.equal(inMemory.adapterPath, undefined);
    const encoded = await encodeAdapter(inMemory.peft, inMemory.metadata, false);
    assert.ok(Buffer.from(encoded.bytes).equals(fs.readFileSync(tpp.adapterPath!)), 'the adapter encoded in memory is the file TPP wrote, byte for byte');
    inMemory.peft.dispose();
    const fromBytes = await finetune({ backbone, method: lora, init: { name: 'tpp.safetensors', bytes: encoded.bytes }, train, val, normalization, epochs: 1, batchSize: 16 });
    assert.deepEqual(fromBytes.val, ft.val);
    for (const [k, v] of ft.peft.trainableParameters()) assert.ok(sameBits(v.dataSync() as Float32Array, fromBytes.peft.trainableParameters().get(k)!.dataSync() as Float32Array), `${k} trained the same from bytes`);
    fromBytes.peft.dispose();
    fromBytes.model.dispose();
    ft.peft.dispose();
    ft.model.dispose();
    assert.rejects(() => finetune({ backbone, method: peftConfig('lora', { rank: 2, alpha: 2 }), init: fileBytes(tpp.adapterPath!), train, val, normalization, epochs: 1 }), /PEFT config mismatch|is a .* adapter, but the method asked for/);
    tpp.peft.dispose();
    pre.mae.dispose();
    backbone.dispose();
  });

  test('the SimSiam pretext trains target parameters and its discarded heads only', async () => {
    const backbone = createViT(vitConfig('tiny'), { seed: 5 });
    const before = snapshot(backbone);
    const r = await targetParameterPretrain({ backbone, method: peftConfig('adapter'), pretext: 'simsiam', images: train, normalization, epochs: 2, batchSize: 16 });
    const after = snapshot(backbone);
    for (const [k, v] of before) assert.ok(sameBits(v, after.get(k)!), `${k} frozen`);
    assert.ok(Number.isFinite(r.fit.history[1].loss) && r.fit.history[1].loss < 0, 'negative cosine similarity');
    r.peft.dispose();
    backbone.dispose();
  });

  test('a run killed after an epoch and resumed ends with the same weights as an uninterrupted run', async () => {
    const dir = tempDir();
    const backbone = createViT(vitConfig('tiny'), { seed: 0 });
    const opts = { backbone, method: peftConfig('lora'), train, val, normalization, epochs: 3, batchSize: 16, seed: 9 };
    const full = await finetune({ ...opts, files: stageFiles(path.join(dir, 'full')) });
    const fullWeights = [...full.peft.trainableParameters()].map(([k, v]) => [k, v.dataSync().slice()] as const);
    full.peft.dispose();
    full.model.dispose();
    // Kill: abort as soon as the first epoch's checkpoint has been written.
    const ctl = new AbortController();
    await assert.rejects(
      finetune({ ...opts, files: stageFiles(path.join(dir, 'killed')), signal: ctl.signal, onProgress: (p) => p.kind === 'epoch' && p.epoch === 0 && ctl.abort() }),
      /stopped by request/,
    );
    const resumed = await finetune({ ...opts, files: stageFiles(path.join(dir, 'killed')), resume: true });
    assert.equal(resumed.fit.startEpoch, 1);
    for (const [k, v] of fullWeights) assert.ok(sameBits(v as Float32Array, resumed.peft.trainableParameters().get(k)!.dataSync() as Float32Array), `${k} equal after resume`);
    resumed.peft.dispose();
    resumed.model.dispose();
    // Resuming with other settings is refused rather than mixing two runs.
    await assert.rejects(finetune({ ...opts, lr: 0.5, files: stageFiles(path.join(dir, 'killed')), resume: true }), /written with other settings/);
    backbone.dispose();
  });

  test('a NaN loss stops the run with an error naming the step and learning rate', async () => {
    const backbone = createViT(vitConfig('tiny'), { seed: 0 });
    const bad: Dataset = { ...train, images: { data: new Float32Array(train.images.data.length).fill(NaN), shape: train.images.shape } };
    await assert.rejects(
      finetune({ backbone, method: peftConfig('lora'), train: bad, val, normalization: { mean: [0], std: [1] }, epochs: 1, batchSize: 16, lr: 2e-3 }),
      (e: unknown) => e instanceof NonFiniteLossError && /the loss became NaN at step 1 \(epoch 1, learning rate [\d.]+e-\d\)/.test((e as Error).message),
    );
    backbone.dispose();
  });

  test('training leaks no tensors', async () => {
    const backbone = createViT(vitConfig('tiny'), { seed: 0 });
    const before = tf.memory().numTensors;
    const r = await finetune({ backbone, method: peftConfig('lora'), train, val, normalization, epochs: 2, batchSize: 16 });
    r.peft.dispose();
    r.model.dispose();
    assert.equal(tf.memory().numTensors, before);
    backbone.dispose();
  });
});
