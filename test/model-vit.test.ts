import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { VIT_PRESETS, vitConfig, validateViTConfig, numPatches, type ViTConfig } from '../src/model/config';
import { createViT } from '../src/model/vit';
import { BENCH_PRESETS } from '../src/bench/task';
import { patchify, unpatchify } from '../src/model/patches';

before(async () => {
  await initBackend({ warn: () => {} });
});

function images(n: number, c: ViTConfig, seed = 1): tf.Tensor4D {
  return tf.randomUniform([n, c.imageSize, c.imageSize, c.channels], 0, 1, 'float32', seed) as tf.Tensor4D;
}

describe('ViT config', () => {
  test('presets equal the PyTorch twin\'s (scripts/torch_vit.py), and every bench preset has a twin', () => {
    // Read the twin's PRESETS table from its source, so a preset changed on one side only fails here.
    const source = fs.readFileSync(path.join(__dirname, '..', 'scripts', 'torch_vit.py'), 'utf8');
    const twin = new Map([...source.matchAll(/^\s+"(\w+)": dict\(([^)]*)\),$/gm)].map((m) => [m[1], Object.fromEntries(m[2].split(',').map((kv) => kv.trim().split('=')).map(([k, v]) => [k, Number(v)]))]));
    assert.ok(twin.size >= 5, `parsed ${twin.size} presets from torch_vit.py`);
    for (const name of BENCH_PRESETS) {
      const theirs = twin.get(name);
      assert.ok(theirs, `bench preset ${name} has no PyTorch twin in scripts/torch_vit.py`);
      const c = VIT_PRESETS[name];
      assert.deepEqual(theirs, { imageSize: c.imageSize, channels: c.channels, patchSize: c.patchSize, dim: c.dim, depth: c.depth, heads: c.heads, mlpDim: c.mlpDim }, name);
    }
    assert.deepEqual([VIT_PRESETS.tutorial.patchSize, VIT_PRESETS.tutorial.dim, VIT_PRESETS.tutorial.depth], [7, 64, 4]);
  });

  test('validate names the bad field', () => {
    assert.throws(() => vitConfig('tiny', { patchSize: 5 }), /imageSize \(28\) must be a multiple of patchSize \(5\)/);
    assert.throws(() => vitConfig('tiny', { heads: 3 }), /dim \(32\) must be a multiple of heads \(3\)/);
    assert.throws(() => vitConfig('tiny', { depth: 0 }), /ViTConfig.depth must be a positive integer/);
    assert.throws(() => vitConfig('nope' as 'tiny'), /Unknown ViT preset "nope"/);
    assert.throws(() => validateViTConfig({ ...VIT_PRESETS.tiny, extra: 1 } as unknown as ViTConfig), /unknown field "extra"/);
  });
});

describe('ViT backbone', () => {
  test('same seed gives bitwise the same weights; another seed differs', () => {
    const a = createViT(VIT_PRESETS.tiny, { seed: 7 });
    const b = createViT(VIT_PRESETS.tiny, { seed: 7 });
    const c = createViT(VIT_PRESETS.tiny, { seed: 8 });
    for (const [name, v] of a.params) {
      assert.deepEqual(v.dataSync(), b.param(name).dataSync(), name);
    }
    assert.notDeepEqual(a.param('blocks.0.attn.qkv.weight').dataSync(), c.param('blocks.0.attn.qkv.weight').dataSync());
    [a, b, c].forEach((m) => m.dispose());
  });

  test('timm parameter names and counts', () => {
    const m = createViT(VIT_PRESETS.tiny);
    const names = [...m.params.keys()];
    assert.deepEqual(names.slice(0, 6), ['cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias', 'blocks.0.norm1.weight', 'blocks.0.norm1.bias']);
    assert.ok(names.includes('blocks.1.mlp.fc2.bias') && names.includes('norm.weight') && names.at(-1) === 'head.bias');
    const { dim: d, depth, mlpDim: f, numClasses: k } = VIT_PRESETS.tiny;
    const l = numPatches(VIT_PRESETS.tiny);
    const perBlock = 4 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d);
    const expected = d + (l + 1) * d + (49 * d + d) + depth * perBlock + 2 * d + (d * k + k);
    assert.equal(m.numParameters(), expected);
    m.dispose();
  });

  test('forward shapes; features and attention only when asked', () => {
    const m = createViT(VIT_PRESETS.tiny);
    const x = images(3, VIT_PRESETS.tiny);
    tf.tidy(() => {
      assert.deepEqual(m.forward(x).shape, [3, 10]);
      const plain = m.forwardDetailed(x);
      assert.equal(plain.features, undefined);
      assert.equal(plain.attention, undefined);
      const full = m.forwardDetailed(x, { features: true, attention: true });
      assert.equal(full.features!.length, 2);
      assert.deepEqual(full.features![0].shape, [3, 17, 32]);
      assert.deepEqual(full.attention![1].shape, [3, 2, 17, 17]);
      const rowSums = full.attention![0].sum(-1).dataSync();
      for (const s of rowSums) assert.ok(Math.abs(s - 1) < 1e-5);
      // Asking for attention maps runs the plain formulation (it exposes the probabilities); without, the fast op
      // runs. Same logits up to float rounding.
      const a = full.logits.dataSync();
      const b = plain.logits.dataSync();
      assert.equal(a.length, b.length);
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-5, `logit ${i}: ${v} vs ${b[i]}`));
    });
    x.dispose();
    m.dispose();
  });

  test('encode runs on any number of tokens (MAE visible subset)', () => {
    const m = createViT(VIT_PRESETS.tiny);
    tf.tidy(() => {
      const patches = m.patchify(images(2, VIT_PRESETS.tiny));
      const kept = tf.slice(patches, [0, 0, 0], [2, 4, 49]);
      const pos = tf.slice(m.param('pos_embed'), [0, 1, 0], [1, 4, 32]);
      const tokens = m.prependClsToken(tf.add(m.embedPatches(kept), pos) as tf.Tensor3D);
      assert.deepEqual(tokens.shape, [2, 5, 32]);
      assert.deepEqual(m.encode(tokens).tokens.shape, [2, 5, 32]);
      // Same as the full embedding on the first 4 patches.
      const full = m.embed(patches);
      const ref = tf.slice(full, [0, 0, 0], [2, 5, 32]);
      assert.ok(tf.max(tf.abs(tf.sub(ref, tokens))).dataSync()[0] < 1e-6);
    });
    m.dispose();
  });

  test('sincos position embeddings are fixed and mean pooling works', () => {
    const c = vitConfig('tiny', { posEmbed: 'sincos', pool: 'mean' });
    const m = createViT(c);
    assert.equal(m.param('pos_embed').trainable, false);
    assert.equal(m.trainableParameters().has('pos_embed'), false);
    const pe = m.param('pos_embed').dataSync();
    assert.deepEqual([...pe.slice(0, 32)], new Array(32).fill(0));
    tf.tidy(() => assert.deepEqual(m.forward(images(2, c)).shape, [2, 10]));
    m.dispose();
  });

  test('torch-layout get/set round trip is bitwise', () => {
    const a = createViT(VIT_PRESETS.tiny, { seed: 1 });
    const b = createViT(VIT_PRESETS.tiny, { seed: 2 });
    const w = a.getWeights('torch');
    assert.deepEqual(w.get('patch_embed.proj.weight')!.shape, [32, 1, 7, 7]);
    assert.deepEqual(w.get('blocks.0.attn.qkv.weight')!.shape, [96, 32]);
    b.setWeights(w, 'torch');
    for (const [name, v] of a.params) assert.deepEqual(b.param(name).dataSync(), v.dataSync(), name);
    assert.throws(() => b.setWeights(new Map([['head.weight', tf.zeros([3, 3])]]), 'internal', true), /"head.weight" has shape \[3,3\]/);
    tf.dispose([...w.values()]);
    a.dispose();
    b.dispose();
  });

  test('patchify order: row-major patches, (py, px, c) inside a patch; unpatchify inverts', () => {
    // 4x4 image, 2 channels, patch 2: value = ((y * 4 + x) * 2 + c).
    const vals = Array.from({ length: 32 }, (_, i) => i);
    const img = tf.tensor4d(vals, [1, 4, 4, 2]);
    const p = patchify(img, 2);
    assert.deepEqual(p.shape, [1, 4, 8]);
    const arr = p.arraySync()[0];
    // Patch 1 = grid row 0, col 1: pixels (0,2),(0,3),(1,2),(1,3).
    const px = (y: number, x: number, c: number) => (y * 4 + x) * 2 + c;
    assert.deepEqual(arr[1], [px(0, 2, 0), px(0, 2, 1), px(0, 3, 0), px(0, 3, 1), px(1, 2, 0), px(1, 2, 1), px(1, 3, 0), px(1, 3, 1)]);
    assert.deepEqual(arr[2][0], px(2, 0, 0));
    assert.deepEqual(unpatchify(p, 2, 2).arraySync(), img.arraySync());
    tf.dispose([img, p]);
  });

  test('no tensor leak over 10 full training steps', () => {
    const m = createViT(VIT_PRESETS.tiny);
    const opt = tf.train.adam(1e-3);
    const x = images(4, VIT_PRESETS.tiny);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10).cast('float32');
    const vars = [...m.trainableParameters().values()];
    const step = () => tf.tidy(() => {
      opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.forward(x, { training: true })) as tf.Scalar, false, vars);
    });
    step(); // the optimiser creates its slots on the first step
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) step();
    assert.equal(tf.memory().numTensors, before);
    opt.dispose();
    tf.dispose([x, y]);
    m.dispose();
  });
});
