import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { pairLoraFactors, loraUpdateRows } from '../src/analysis/lora-svd';
import { fileTensors, loraScale, parameterChanges, peftTensors, snapshotBackbone, snapshotTensors } from '../src/analysis/params';
import { SiteRegistry } from '../src/io/site-registry';
import { initBackend } from '../src/backend';
import { saveAdapter } from '../src/io/checkpoint';
import { VIT_PRESETS } from '../src/model/config';
import { createViT, type ViT } from '../src/model/vit';
import { applyPeft, peftConfig } from '../src/peft';
import { withNewHead } from '../src/model/head';

let dir = '';
let vit: ViT;
before(async () => {
  await initBackend({ warn: () => {} });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-analysis-'));
  vit = createViT(VIT_PRESETS.tiny, { seed: 3 });
});
after(() => {
  vit.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('parameter snapshots and changes', () => {
  test('only the tensors that were assigned show a change; norms before and after are reported', async () => {
    const method = peftConfig('lora', { rank: 2, alpha: 4 });
    const peft = applyPeft(vit, method, { seed: 1 });
    const backbone0 = await snapshotBackbone(vit);
    const lora0 = await snapshotTensors(peft.targetParameters());
    const b = peft.targetParameters().get('blocks.0.attn.q.lora_B')!;
    b.assign(tf.fill(b.shape, 0.25));
    const backbone1 = await snapshotBackbone(vit);
    const lora1 = await snapshotTensors(peft.targetParameters());
    assert.ok(parameterChanges(backbone0, backbone1).every((r) => r.maxAbsDelta === 0));
    const changes = parameterChanges(lora0, lora1);
    const changed = changes.filter((r) => r.maxAbsDelta > 0).map((r) => r.name);
    assert.deepEqual(changed, ['blocks.0.attn.q.lora_B']);
    const row = changes.find((r) => r.name === 'blocks.0.attn.q.lora_B')!;
    assert.equal(row.normBefore, 0);
    assert.ok(Math.abs(row.normAfter - 0.25 * Math.sqrt(b.size)) < 1e-6);
    // From zero, the distance moved is the norm after; unchanged tensors moved nothing.
    assert.ok(Math.abs(row.normDelta - row.normAfter) < 1e-6);
    assert.ok(changes.filter((r) => r !== row).every((r) => r.normDelta === 0));
    assert.equal(loraScale(method), 2);
    peft.dispose();
  });

  test('a missing tensor or a new shape is an error naming it', () => {
    const a = new Map([['w', { data: new Float32Array(4), shape: [2, 2] }]]);
    assert.throws(() => parameterChanges(a, new Map()), /"w" is in the first snapshot but not in the second/);
    assert.throws(() => parameterChanges(a, new Map([['w', { data: new Float32Array(4), shape: [4] }]])), /"w" changed shape from \[2,2\] to \[4\]/);
    assert.throws(() => loraScale(peftConfig('bitfit', {})), /not LoRA/);
  });

  test('PEFT tensors and the saved adapter file agree (PyTorch layout) and give the same update rows', async () => {
    const method = peftConfig('lora', { rank: 2, alpha: 2 });
    const peft = applyPeft(vit, method, { seed: 2 });
    for (const [n, v] of peft.targetParameters()) if (n.endsWith('lora_B')) v.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', 5));
    const file = path.join(dir, 'a.safetensors');
    await saveAdapter(peft, file);
    const mem = await peftTensors(peft);
    const disk = await fileTensors(fs.readFileSync(file), file);
    assert.deepEqual([...mem.keys()].sort(), [...disk.keys()].sort());
    assert.deepEqual(mem.get('blocks.1.attn.v.lora_A')!.shape, [2, 32]);
    assert.deepEqual(mem.get('blocks.1.attn.v.lora_B')!.shape, [32, 2]);
    const rows = loraUpdateRows(pairLoraFactors(disk), loraScale(method));
    assert.deepEqual(rows.map((r) => r.module), ['blocks.0.attn.q', 'blocks.0.attn.v', 'blocks.1.attn.q', 'blocks.1.attn.v']);
    assert.ok(rows.every((r) => r.norm > 0 && r.singularValues.length === 2));
    peft.dispose();
  });
});

describe('SiteRegistry', () => {
  test('loads each site\'s adapter with its head, names unknown sites, and rejects another backbone', async () => {
    const model = withNewHead(vit, 1, 0);
    const peft = applyPeft(model, peftConfig('lora', { rank: 2, alpha: 2 }), { seed: 4 });
    model.param('head.bias').assign(tf.tensor1d([0.75]));
    const file = path.join(dir, 'site.safetensors');
    await saveAdapter(peft, file, { modality: 'Breast Ultrasound', classNames: ['a', 'b'] });
    const registry = new SiteRegistry(vit);
    const entry = await registry.register('ultrasound', file);
    assert.equal(entry.modality, 'Breast Ultrasound');
    assert.deepEqual(entry.classNames, ['a', 'b']);
    assert.equal(entry.bytes, fs.statSync(file).size);
    const loaded = registry.modelFor('ultrasound');
    assert.deepEqual([...(await loaded.base.param('head.bias').data())], [0.75]);
    assert.throws(() => registry.modelFor('mri'), /no adapter for site "mri"\. Registered: ultrasound/);
    registry.dispose();
    const other = createViT(VIT_PRESETS.tiny, { seed: 9 });
    const wrong = new SiteRegistry(other);
    await assert.rejects(wrong.register('ultrasound', file), /Backbone fingerprint mismatch/);
    wrong.dispose();
    other.dispose();
    peft.dispose();
    model.dispose();
  });
});
