import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { VIT_PRESETS } from '../src/model/config';
import { createViT, type ViT } from '../src/model/vit';
import { applyPeft, peftConfig, PEFT_METHOD_NAMES, PEFT_METHODS, type PeftConfig, type PeftModel } from '../src/peft';

before(async () => {
  await initBackend({ warn: () => {} });
});

const cfg = VIT_PRESETS.tiny;
const D = cfg.dim, F = cfg.mlpDim, DEPTH = cfg.depth, K = cfg.numClasses;
const L = (cfg.imageSize / cfg.patchSize) ** 2;
const HEAD = D * K + K;

const images = (n = 4, seed = 3) => tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', seed) as tf.Tensor4D;

function snapshot(model: ViT): Map<string, Float32Array> {
  return new Map([...model.params].map(([n, v]) => [n, v.dataSync().slice() as Float32Array]));
}

function trainStep(peft: PeftModel, x: tf.Tensor4D, opt: tf.Optimizer): void {
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3].slice(0, x.shape[0]), 'int32'), K).cast('float32'));
  tf.tidy(() => {
    opt.minimize(() => tf.losses.softmaxCrossEntropy(y, peft.forward(x, { training: true })) as tf.Scalar, false, [...peft.trainableParameters().values()]);
  });
  y.dispose();
}

/** Every method, with settings that exercise its options. */
const CONFIGS: PeftConfig[] = [
  peftConfig('lora', { rank: 2, alpha: 4, targets: ['q', 'v', 'proj', 'fc1', 'fc2', 'qkv', 'k'] }),
  peftConfig('adapter', { style: 'parallel', bottleneck: 4 }),
  peftConfig('adapter', { style: 'sequential', bottleneck: 4 }),
  peftConfig('prompt', { tokens: 3, depth: 'shallow' }),
  peftConfig('prompt', { tokens: 3, depth: 'deep' }),
  peftConfig('bitfit'),
  peftConfig('ssf'),
  peftConfig('linear-probe'),
  peftConfig('full'),
];
const label = (c: PeftConfig) => `${c.method}${'style' in c ? `/${c.style}` : ''}${'depth' in c ? `/${c.depth}` : ''}`;

describe('PEFT at initialisation', () => {
  test('zero-initialised methods leave outputs bitwise unchanged; prompts change them', () => {
    const model = createViT(cfg, { seed: 1 });
    const x = images();
    const ref = tf.tidy(() => model.forward(x).dataSync());
    for (const c of CONFIGS) {
      const peft = applyPeft(model, c);
      const out = tf.tidy(() => peft.forward(x).dataSync());
      if (c.method === 'prompt') {
        assert.ok(out.some((v, i) => Math.abs(v - ref[i]) > 1e-6), `${label(c)} should change outputs`);
      } else {
        assert.deepEqual(out, ref, label(c));
      }
      peft.dispose();
    }
    x.dispose();
    model.dispose();
  });

  test('prompts are removed before the head: encoder tokens keep the backbone shape', () => {
    const model = createViT(cfg);
    const peft = applyPeft(model, peftConfig('prompt', { tokens: 5, depth: 'deep' }));
    tf.tidy(() => {
      const out = peft.forwardDetailed(images(2), { features: true, attention: true });
      assert.deepEqual(out.tokens.shape, [2, L + 1, D]);
      assert.deepEqual(out.features![1].shape, [2, L + 1, D]);
      assert.deepEqual(out.attention![0].shape, [2, cfg.heads, L + 6, L + 6]);
    });
    peft.dispose();
    model.dispose();
  });
});

describe('PEFT training step', () => {
  for (const c of CONFIGS) {
    test(`${label(c)}: one step changes only target parameters and the head`, () => {
      const model = createViT(cfg, { seed: 2 });
      const peft = applyPeft(model, c);
      const x = images();
      // Zero-initialised up-projections (LoRA's B, adapters' up_proj) block the gradient of the down-projections
      // on the first step; give them values so every target tensor can move in this one step.
      for (const [n, v] of peft.targetParameters()) {
        if (n.endsWith('lora_B') || n.endsWith('up_proj.weight')) v.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', 9));
      }
      const before = snapshot(model);
      const targetsBefore = new Map([...peft.targetParameters()].map(([n, v]) => [n, v.dataSync().slice()]));
      const opt = tf.train.adam(1e-2);
      trainStep(peft, x, opt);
      const trained = new Set(peft.trainableParameters().keys());
      for (const [name, v] of model.params) {
        const same = tf.util.arraysEqual(v.dataSync(), before.get(name)!);
        if (trained.has(name)) assert.ok(!same, `${label(c)}: trainable ${name} did not change`);
        else assert.ok(same, `${label(c)}: backbone ${name} changed`);
      }
      for (const [name, v] of peft.targetParameters()) {
        assert.ok(!tf.util.arraysEqual(v.dataSync(), targetsBefore.get(name)!), `${label(c)}: target ${name} did not change`);
      }
      if (c.method === 'full') {
        assert.equal(trained.size, model.params.size, 'full fine-tuning trains every tensor');
      }
      opt.dispose();
      x.dispose();
      peft.dispose();
      model.dispose();
    });
  }

  test('no tensor leak over 10 steps (LoRA with dropout, deep prompts, sequential adapters)', () => {
    for (const c of [peftConfig('lora', { dropout: 0.1 }), peftConfig('prompt', { depth: 'deep' }), peftConfig('adapter', { style: 'sequential' })]) {
      const model = createViT(cfg);
      const peft = applyPeft(model, c);
      const x = images();
      const opt = tf.train.adam(1e-3);
      trainStep(peft, x, opt);
      const n0 = tf.memory().numTensors;
      for (let i = 0; i < 10; i++) trainStep(peft, x, opt);
      assert.equal(tf.memory().numTensors, n0, c.method);
      opt.dispose();
      x.dispose();
      peft.dispose();
      model.dispose();
    }
  });
});

describe('LoRA merge', () => {
  test('merged outputs equal unmerged within 1e-5; unmerge restores weights bitwise', () => {
    const model = createViT(cfg, { seed: 4 });
    const peft = applyPeft(model, peftConfig('lora', { rank: 4, alpha: 8, targets: ['qkv', 'q', 'v', 'proj', 'fc1', 'fc2'] }));
    for (const [n, v] of peft.targetParameters()) if (n.endsWith('lora_B')) v.assign(tf.randomNormal(v.shape, 0, 0.2, 'float32', 5));
    const x = images();
    const before = snapshot(model);
    const unmerged = tf.tidy(() => peft.forward(x).dataSync());
    const plain = tf.tidy(() => model.forward(x).dataSync());
    assert.ok(unmerged.some((v, i) => Math.abs(v - plain[i]) > 1e-4), 'LoRA with B != 0 changes outputs');
    peft.merge();
    assert.equal(peft.merged, true);
    assert.ok(!tf.util.arraysEqual(model.param('blocks.0.attn.qkv.weight').dataSync(), before.get('blocks.0.attn.qkv.weight')!));
    const merged = tf.tidy(() => peft.forward(x).dataSync());
    merged.forEach((v, i) => assert.ok(Math.abs(v - unmerged[i]) < 1e-5, `logit ${i}: ${v} vs ${unmerged[i]}`));
    assert.throws(() => peft.merge(), /already merged/);
    peft.unmerge();
    for (const [n, v] of model.params) assert.deepEqual(v.dataSync(), before.get(n), n);
    assert.throws(() => applyPeft(model, peftConfig('bitfit')).merge(), /merge\(\) applies to LoRA/);
    x.dispose();
    peft.dispose();
    model.dispose();
  });
});

describe('parameter counts (closed form)', () => {
  const model = createViT(cfg);
  const backbone = model.numParameters() - HEAD;
  const expected: Array<[PeftConfig, number]> = [
    [peftConfig('lora', { rank: 4, targets: ['q', 'v'] }), DEPTH * 2 * 4 * (D + D)],
    [peftConfig('lora', { rank: 2, targets: ['qkv', 'proj', 'fc1', 'fc2'] }), DEPTH * 2 * ((D + 3 * D) + (D + D) + (D + F) + (F + D))],
    [peftConfig('lora', { rank: 2, targetRegex: 'blocks\\.0\\.attn\\.(q|k)' }), 2 * 2 * (D + D)],
    [peftConfig('adapter', { style: 'parallel', bottleneck: 8 }), DEPTH * (D * 8 + 8 + 8 * D + D)],
    [peftConfig('adapter', { style: 'sequential', bottleneck: 8 }), DEPTH * 2 * (D * 8 + 8 + 8 * D + D)],
    [peftConfig('prompt', { tokens: 5, depth: 'shallow' }), 5 * D],
    [peftConfig('prompt', { tokens: 5, depth: 'deep' }), DEPTH * 5 * D],
    [peftConfig('bitfit'), D + DEPTH * (D + 3 * D + D + D + F + D) + D],
    [peftConfig('ssf'), 2 * (D + DEPTH * (D + 3 * D + D + D + F + D) + D)],
    [peftConfig('ssf', { targets: ['fc1'] }), 2 * DEPTH * F],
    [peftConfig('linear-probe'), 0],
    [peftConfig('full'), backbone],
  ];
  for (const [c, target] of expected) {
    test(`${label(c)} ${'targets' in c ? c.targets.join(',') : ''}${'targetRegex' in c ? c.targetRegex : ''}`, () => {
      const peft = applyPeft(model, c);
      const counts = peft.counts();
      assert.equal(counts.target, target);
      assert.equal(counts.head, HEAD);
      assert.equal(counts.total, target + HEAD);
      assert.equal(counts.backbone, backbone);
      const owns = !['bitfit', 'full', 'linear-probe'].includes(c.method);
      assert.equal(counts.all, backbone + HEAD + (owns ? target : 0));
      assert.ok(Math.abs(counts.percentOfBackbone - (100 * target) / backbone) < 1e-9);
      assert.match(peft.summary(), new RegExp(`^${c.method}: trainable params: ${(target + HEAD).toLocaleString('en-US')} \\(target ${target.toLocaleString('en-US')} \\+ head ${HEAD}\\) \\|\\| all params: [\\d,]+ \\|\\| trainable%: [\\d.]+ \\|\\| target/backbone%: [\\d.]+$`));
      assert.ok(peft.insertionPoints().length > 0);
      peft.dispose();
    });
  }
});

describe('configs and target matching', () => {
  test('every method has defaults that validate and apply', () => {
    const model = createViT(cfg);
    for (const m of PEFT_METHOD_NAMES) {
      const peft = applyPeft(model, peftConfig(m));
      assert.equal(peft.config.method, m);
      peft.dispose();
    }
    model.dispose();
  });

  test('bad fields are named, with what a valid value is', () => {
    assert.throws(() => peftConfig('lora', { rank: 0 }), new Error('lora config: rank must be a whole number ≥ 1, got 0.'));
    assert.throws(() => peftConfig('lora', { rank: 2.5 }), new Error('lora config: rank must be a whole number ≥ 1, got 2.5.'));
    assert.throws(() => peftConfig('lora', { alpha: 0 }), new Error('lora config: alpha must be a number > 0, got 0.'));
    assert.throws(() => peftConfig('lora', { dropout: 1 }), new Error('lora config: dropout must be a number in [0, 1), got 1.'));
    assert.throws(() => peftConfig('lora', { targets: 'q' as unknown as string[] }), new Error('lora config: targets must be a list of names, got "q".'));
    assert.throws(() => peftConfig('adapter', { style: 'diagonal' as 'parallel' }), new Error('adapter config: style must be one of "parallel", "sequential", got "diagonal".'));
    assert.throws(() => peftConfig('adapter', { scale: Infinity }), new Error('adapter config: scale must be a number, got Infinity.'));
    assert.throws(() => peftConfig('prompt', { tokens: -1 }), new Error('prompt config: tokens must be a whole number ≥ 1, got -1.'));
    assert.throws(() => peftConfig('lora', { rnak: 4 } as object), /lora config: unknown field "rnak"; known fields: method, rank, alpha, dropout, targets, targetRegex\./);
    assert.throws(() => peftConfig('bitfit', { rank: 4 } as object), /bitfit config: unknown field "rank"; known fields: method\./);
    assert.throws(() => peftConfig('dora' as 'lora'), /Unknown PEFT method "dora"\. Use one of: lora, adapter, prompt, bitfit, ssf, linear-probe, full/);
  });

  test("LoRA's alpha defaults to its rank (scale 1) unless given; the defaults come from each method's options", () => {
    assert.deepEqual(peftConfig('lora'), { method: 'lora', rank: 4, alpha: 4, dropout: 0, targets: ['q', 'v'] });
    assert.equal(peftConfig('lora', { rank: 8 }).alpha, 8);
    assert.equal(peftConfig('lora', { rank: 8, alpha: 2 }).alpha, 2);
    assert.equal(peftConfig('lora', { alpha: 16 }).rank, 4);
    assert.equal(peftConfig('lora', { rank: undefined }).rank, 4, 'undefined counts as not given');
    for (const name of PEFT_METHOD_NAMES) {
      const m = PEFT_METHODS[name];
      const fromOptions = Object.fromEntries(m.options.filter((o) => o.default !== undefined).map((o) => [o.name, o.default]));
      assert.deepEqual(m.defaults, { method: name, ...fromOptions }, name);
      assert.ok(Object.isFrozen(m.defaults), `${name} defaults are frozen`);
      for (const o of m.options) assert.ok(o.help.length > 0, `${name}.${o.name} has help`);
    }
  });

  test('settings that do not fit the model are refused by applyPeft, naming both numbers', () => {
    const model = createViT(cfg);
    assert.throws(() => applyPeft(model, peftConfig('lora', { rank: D + 1 })), new Error(`lora config: rank ${D + 1} is above the width of blocks.0.attn.q (${D} in, ${D} out); use a rank ≤ ${D}.`));
    assert.throws(() => applyPeft(model, peftConfig('lora', { rank: D + 1, targets: ['fc1'] })), new Error(`lora config: rank ${D + 1} is above the width of blocks.0.mlp.fc1 (${D} in, ${F} out); use a rank ≤ ${D}.`));
    applyPeft(model, peftConfig('lora', { rank: D })).dispose();
    assert.throws(() => applyPeft(model, peftConfig('adapter', { bottleneck: D + 1 })), new Error(`adapter config: bottleneck ${D + 1} is wider than the model width ${D}; use a bottleneck ≤ ${D}.`));
    const before = tf.memory().numTensors;
    assert.throws(() => applyPeft(model, peftConfig('lora', { rank: D + 1, targets: ['qkv', 'q'] })));
    assert.equal(tf.memory().numTensors, before, 'a refused rank creates no variables');
    model.dispose();
  });

  test('targets: exact, dotted suffix, regex; no match lists candidates', () => {
    const model = createViT(cfg);
    const one = applyPeft(model, peftConfig('lora', { targets: ['blocks.1.attn.qkv'] }));
    assert.deepEqual([...one.targetParameters().keys()], ['blocks.1.attn.qkv.lora_A', 'blocks.1.attn.qkv.lora_B']);
    const suffix = applyPeft(model, peftConfig('lora', { targets: ['mlp.fc2'] }));
    assert.deepEqual([...suffix.targetParameters().keys()].filter((n) => n.endsWith('lora_A')), ['blocks.0.mlp.fc2.lora_A', 'blocks.1.mlp.fc2.lora_A']);
    const q = applyPeft(model, peftConfig('lora', { targets: ['q'] }));
    assert.deepEqual([...q.targetParameters().keys()].filter((n) => n.endsWith('lora_A')), ['blocks.0.attn.q.lora_A', 'blocks.1.attn.q.lora_A']);
    assert.throws(() => applyPeft(model, peftConfig('lora', { targets: ['query'] })), /lora: target "query" matches no module\. Candidates \(exact name or dotted suffix\): blocks\.0\.attn\.qkv, blocks\.0\.attn\.q, /);
    assert.throws(() => applyPeft(model, peftConfig('ssf', { targetRegex: 'nothing.*' })), /ssf: targetRegex "nothing\.\*" matches no module\. Candidates: patch_embed\.proj, blocks\.0\.norm1/);
    [one, suffix, q].forEach((p) => p.dispose());
    model.dispose();
  });
});
