import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { VIT_PRESETS, vitConfig } from '../src/model/config';
import { backboneFingerprint } from '../src/model/fingerprint';
import { createViT } from '../src/model/vit';
import { applyPeft, peftConfig, type PeftConfig } from '../src/peft';
import { loadAdapter, loadBackbone, readCheckpointInfo, saveAdapter, saveBackbone } from '../src/io/checkpoint';
import { readSafetensorsFile, writeSafetensorsFile, type TensorToWrite } from '../src/io/safetensors';
import { decodeAdapter, decodeBackbone, encodeAdapter, encodeBackbone } from '../src/checkpoint/checkpoint';
import { decodeSafetensors } from '../src/checkpoint/safetensors';
import { readFileSync } from 'node:fs';

before(async () => {
  await initBackend({ warn: () => {} });
});

const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
const images = () => tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D;

test('backbone save/load is bitwise, fingerprint stable, metadata kept', async () => {
  const model = createViT(VIT_PRESETS.tiny, { seed: 3 });
  const path = join(dir, 'backbone.safetensors');
  const saved = await saveBackbone(model, path, { modality: 'x-ray', epochs: 3 });
  assert.equal(saved.bytes, statSync(path).size);
  assert.equal(saved.parameters, model.numParameters());
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  const loaded = await loadBackbone(path);
  assert.deepEqual(loaded.config, model.config);
  for (const [n, v] of model.params) assert.deepEqual(loaded.param(n).dataSync(), v.dataSync(), n);
  assert.equal(await backboneFingerprint(loaded), saved.fingerprint);
  const info = await readCheckpointInfo(path);
  assert.equal(info.kind, 'backbone');
  assert.deepEqual(info.metadata, { modality: 'x-ray', epochs: 3 });
  assert.equal(info.fingerprint, saved.fingerprint);
  // PyTorch layout in the file.
  const file = await readSafetensorsFile(path);
  assert.deepEqual(file.tensors.get('patch_embed.proj.weight')!.shape, [32, 1, 7, 7]);
  assert.deepEqual(file.tensors.get('blocks.1.mlp.fc1.weight')!.shape, [64, 32]);
  // A new head for another task keeps the backbone (and its fingerprint).
  const twoClass = await loadBackbone(path, { numClasses: 2 });
  assert.deepEqual(twoClass.param('head.weight').shape, [32, 2]);
  assert.equal(await backboneFingerprint(twoClass), saved.fingerprint);
  [model, loaded, twoClass].forEach((m) => m.dispose());
});

test('a corrupted backbone fails its fingerprint; a wrong-shape backbone names the tensor', async () => {
  const model = createViT(VIT_PRESETS.tiny, { seed: 3 });
  const path = join(dir, 'b2.safetensors');
  await saveBackbone(model, path);
  const file = await readSafetensorsFile(path);
  const tensors = new Map<string, TensorToWrite>([...file.tensors].map(([n, e]) => [n, { dtype: e.dtype, shape: e.shape, data: e.data }]));
  tensors.get('norm.weight')!.data = new Float32Array(32).fill(2);
  await writeSafetensorsFile(path, tensors, file.metadata);
  await assert.rejects(loadBackbone(path), /do not match its stored fingerprint \(file corrupted or edited\)/);
  const meta = { ...file.metadata, vit_config: JSON.stringify({ ...VIT_PRESETS.tiny, mlpDim: 48 }) };
  await writeSafetensorsFile(path, tensors, meta);
  // Caught from the shapes alone, before the model is built.
  await assert.rejects(loadBackbone(path), /vit_config says "blocks\.1\.mlp\.fc1\.weight" is \[48,32\] .* but the file stores \[64,32\]/);
  // A config claiming dim 1e9 fails on a sane bound, in microseconds (it used to allocate gigabytes first).
  await writeSafetensorsFile(path, tensors, { ...file.metadata, vit_config: JSON.stringify({ ...VIT_PRESETS.tiny, dim: 1e9, mlpDim: 2e9 }) });
  await assert.rejects(loadBackbone(path), /vit_config\.dim is 1000000000, above the sane bound 16384/);
  model.dispose();
});

const METHODS: PeftConfig[] = [
  peftConfig('lora', { targets: ['q', 'v', 'fc1'] }),
  peftConfig('adapter', { style: 'parallel' }),
  peftConfig('adapter', { style: 'sequential' }),
  peftConfig('prompt', { depth: 'deep', tokens: 2 }),
  peftConfig('bitfit'),
  peftConfig('ssf'),
  peftConfig('linear-probe'),
  peftConfig('full'),
];

test('adapter save/load round trips bitwise for every method; adapters are smaller than the backbone', async () => {
  const backbonePath = join(dir, 'base.safetensors');
  const base = createViT(VIT_PRESETS.tiny, { seed: 11 });
  const backboneBytes = (await saveBackbone(base, backbonePath)).bytes;
  base.dispose();
  const x = images();
  for (const c of METHODS) {
    const model = await loadBackbone(backbonePath);
    const peft = applyPeft(model, c);
    // Move every trainable tensor away from its init so the round trip carries information.
    for (const v of peft.trainableParameters().values()) v.assign(tf.tidy(() => tf.add(v, tf.randomNormal(v.shape, 0, 0.05, 'float32', 1))));
    const expected = tf.tidy(() => peft.forward(x).dataSync());
    const path = join(dir, `${c.method}.safetensors`);
    const saved = await saveAdapter(peft, path, { task: 'test' });
    if (c.method !== 'full') assert.ok(saved.bytes < backboneBytes, `${c.method}: ${saved.bytes} >= ${backboneBytes}`);
    const fresh = await loadBackbone(backbonePath);
    const loaded = await loadAdapter(path, fresh);
    assert.deepEqual(loaded.config, peft.config);
    for (const [n, v] of peft.trainableParameters()) assert.deepEqual(loaded.trainableParameters().get(n)!.dataSync(), v.dataSync(), `${c.method} ${n}`);
    assert.deepEqual(tf.tidy(() => loaded.forward(x).dataSync()), expected, c.method);
    const info = await readCheckpointInfo(path);
    assert.equal(info.kind, 'adapter');
    assert.deepEqual(info.peftConfig, peft.config);
    assert.equal(info.parameters, peft.counts().total);
    [peft, loaded].forEach((p) => p.dispose());
    [model, fresh].forEach((m) => m.dispose());
  }
  x.dispose();
});

test('adapter mismatches fail with errors naming them', async () => {
  const model = createViT(VIT_PRESETS.tiny, { seed: 1 });
  const peft = applyPeft(model, peftConfig('lora', { rank: 4 }));
  const path = join(dir, 'lora4.safetensors');
  await saveAdapter(peft, path);
  // Different backbone weights.
  const other = createViT(VIT_PRESETS.tiny, { seed: 2 });
  await assert.rejects(loadAdapter(path, other), /Backbone fingerprint mismatch loading adapter .*: the adapter was trained on backbone sha256:[0-9a-f]+, this backbone is sha256:[0-9a-f]+\. Load the backbone it was trained on/);
  // Different PEFT config.
  const rank8 = applyPeft(model, peftConfig('lora', { rank: 8 }));
  await assert.rejects(loadAdapter(path, rank8), /PEFT config mismatch loading adapter .*: rank: 4 in file vs 8 in model/);
  // Different ViT shape.
  const wide = createViT(vitConfig('tiny', { mlpDim: 48 }), { seed: 1 });
  await assert.rejects(loadAdapter(path, wide), /ViT config mismatch loading adapter .*: mlpDim: 64 in file vs 48 in model/);
  // Wrong shape and wrong dtype inside the file.
  const file = await readSafetensorsFile(path);
  const tensors = new Map<string, TensorToWrite>([...file.tensors].map(([n, e]) => [n, { dtype: e.dtype, shape: e.shape, data: e.data }]));
  tensors.set('blocks.0.attn.q.lora_A', { dtype: 'F32', shape: [2, 64], data: new Float32Array(128) });
  await writeSafetensorsFile(path, tensors, file.metadata);
  await assert.rejects(loadAdapter(path, model), /tensor "blocks\.0\.attn\.q\.lora_A" has shape \[2,64\], expected \[4,32\]/);
  tensors.set('blocks.0.attn.q.lora_A', { dtype: 'F16', shape: [4, 32], data: new Uint16Array(128) });
  await writeSafetensorsFile(path, tensors, file.metadata);
  await assert.rejects(loadAdapter(path, model), /tensor "blocks\.0\.attn\.q\.lora_A" has dtype F16, expected F32/);
  tensors.delete('blocks.0.attn.q.lora_A');
  await writeSafetensorsFile(path, tensors, file.metadata);
  await assert.rejects(loadAdapter(path, model), /missing 1 tensor\(s\): blocks\.0\.attn\.q\.lora_A/);
  // A backbone is not an adapter and vice versa.
  const bpath = join(dir, 'b3.safetensors');
  await saveBackbone(model, bpath);
  await assert.rejects(loadAdapter(bpath, model), /is not a tpp-lab adapter/);
  await assert.rejects(loadBackbone(join(dir, 'lora.safetensors')), /is a "tpp-lab\/peft-adapter" file, not a backbone/);
  [peft, rank8].forEach((p) => p.dispose());
  [model, other, wide].forEach((m) => m.dispose());
});

test('the format works on bytes alone (as in a web page): encode gives the file\'s bytes, decode what load gives', async () => {
  const model = createViT(VIT_PRESETS.tiny, { seed: 5 });
  const path = join(dir, 'bytes-backbone.safetensors');
  await saveBackbone(model, path, { note: 'bytes' });
  const encoded = await encodeBackbone(model, { note: 'bytes' });
  assert.ok(Buffer.from(encoded.bytes).equals(readFileSync(path)), 'encodeBackbone gives the bytes saveBackbone writes');
  const fromBytes = decodeBackbone(decodeSafetensors(encoded.bytes, 'page'), 'page');
  for (const [n, v] of model.params) assert.deepEqual(fromBytes.param(n).dataSync(), v.dataSync(), n);
  const peft = applyPeft(fromBytes, peftConfig('lora'));
  for (const v of peft.targetParameters().values()) v.assign(tf.tidy(() => tf.add(v, 0.25)));
  const adapterPath = join(dir, 'bytes-adapter.safetensors');
  await saveAdapter(peft, adapterPath, { task: 'x' });
  const adapter = await encodeAdapter(peft, { task: 'x' });
  assert.ok(Buffer.from(adapter.bytes).equals(readFileSync(adapterPath)), 'encodeAdapter gives the bytes saveAdapter writes');
  const other = createViT(VIT_PRESETS.tiny, { seed: 5 });
  const loaded = await decodeAdapter(decodeSafetensors(adapter.bytes, 'page'), 'page', other);
  for (const [n, v] of peft.trainableParameters()) assert.deepEqual(loaded.trainableParameters().get(n)!.dataSync(), v.dataSync(), n);
  [peft, loaded].forEach((p) => p.dispose());
  [model, other].forEach((m) => m.dispose());
});

test('an adapter saved without its head (TPP) holds only target parameters, loads with { head: false } and says so otherwise', async () => {
  const model = createViT(VIT_PRESETS.tiny, { seed: 3 });
  const peft = applyPeft(model, peftConfig('lora'));
  for (const v of peft.targetParameters().values()) v.assign(tf.tidy(() => tf.add(v, 0.5)));
  const path = join(dir, 'tpp-like.safetensors');
  const saved = await saveAdapter(peft, path, { stage: 'tpp' }, false);
  const file = await readSafetensorsFile(path);
  assert.deepEqual([...file.tensors.keys()].sort(), [...peft.targetParameters().keys()].sort());
  assert.equal(saved.parameters, peft.counts().target);
  const fresh = createViT({ ...VIT_PRESETS.tiny, numClasses: 2 }, { seed: 3 });
  const plain = createViT(VIT_PRESETS.tiny, { seed: 3 });
  await assert.rejects(loadAdapter(path, plain), /holds no task head \(a TPP adapter: target parameters only\): pass \{ head: false \}/);
  const loaded = await loadAdapter(path, fresh, { head: false });
  for (const [n, v] of peft.targetParameters()) assert.deepEqual(loaded.targetParameters().get(n)!.dataSync(), v.dataSync(), n);
  [peft, loaded].forEach((p) => p.dispose());
  [model, plain].forEach((m) => m.dispose());
});

test('a committed TPP adapter saved with the old unused head still loads for fine-tuning', async () => {
  const root = join(__dirname, '..');
  const file = join(root, 'data', 'adapters-imagenet28', 'tpp-breastmnist-lora4.safetensors');
  assert.ok((await readSafetensorsFile(file)).tensors.has('head.weight'), 'the committed file is one of the old ones');
  const backbone = await loadBackbone(join(root, 'data', 'backbone-imagenet28', 'backbone.safetensors'), { numClasses: 2 });
  const loaded = await loadAdapter(file, backbone, { head: false });
  assert.ok(loaded.targetParameters().size > 0);
  loaded.dispose();
  backbone.dispose();
});
