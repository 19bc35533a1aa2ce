/**
 * Where PEFT methods attach: LoRA's and SSF's candidates derive from the ViT's op sites (src/model/sites.ts),
 * and LoRA dropout is seeded, so a run with dropout reproduces.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { VIT_PRESETS } from '../src/model/config';
import { vitOpSites } from '../src/model/sites';
import { createViT, type ViT } from '../src/model/vit';
import { applyPeft, peftConfig, type PeftModel } from '../src/peft';
import { loraTargets } from '../src/peft/lora/lora';
import { ssfCandidates } from '../src/peft/ssf/ssf';

before(async () => {
  await initBackend({ warn: () => {} });
});

const cfg = VIT_PRESETS.tiny;
const images = () => tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D;

/** LoRA's B set to a fixed non-zero value, so its update (and so its dropout) shows in the output. */
function loraWithUpdate(model: ViT, dropout: number, seed: number): PeftModel {
  const peft = applyPeft(model, peftConfig('lora', { dropout, targets: ['qkv', 'fc1'] }), { seed });
  for (const [n, v] of peft.module.params) if (n.endsWith('lora_B')) v.assign(tf.fill(v.shape, 0.05));
  return peft;
}

const logits = (peft: PeftModel, x: tf.Tensor4D, options: { training?: boolean; seed?: number } = {}) =>
  tf.tidy(() => peft.forward(x, options).dataSync() as Float32Array);

describe('candidates from the op sites', () => {
  test("LoRA's targets: each block's linear sites, the fused qkv followed by its q, k, v thirds", () => {
    const model = createViT(cfg);
    const d = cfg.dim;
    const rows = loraTargets(model).filter((t) => t.name.startsWith('blocks.1.')).map((t) => `${t.name} ${t.site} ${t.fanIn}->${t.fanOut} @${t.offset}`);
    assert.deepEqual(rows, [
      `blocks.1.attn.qkv blocks.1.attn.qkv ${d}->${3 * d} @null`,
      `blocks.1.attn.q blocks.1.attn.qkv ${d}->${d} @0`,
      `blocks.1.attn.k blocks.1.attn.qkv ${d}->${d} @${d}`,
      `blocks.1.attn.v blocks.1.attn.qkv ${d}->${d} @${2 * d}`,
      `blocks.1.attn.proj blocks.1.attn.proj ${d}->${d} @null`,
      `blocks.1.mlp.fc1 blocks.1.mlp.fc1 ${d}->${cfg.mlpDim} @null`,
      `blocks.1.mlp.fc2 blocks.1.mlp.fc2 ${cfg.mlpDim}->${d} @null`,
    ]);
    // Every LoRA site is a block linear of the list, and every block linear is a LoRA target.
    const blockLinears = vitOpSites(cfg).filter((s) => s.kind === 'linear' && s.block !== undefined).map((s) => s.name);
    assert.deepEqual([...new Set(loraTargets(model).map((t) => t.site))], blockLinears);
    model.dispose();
  });

  test("SSF's candidates are every op site with its output width", () => {
    const model = createViT(cfg);
    assert.deepEqual([...ssfCandidates(model)], vitOpSites(cfg).map((s) => [s.name, s.fanOut]));
    model.dispose();
  });
});

describe('LoRA dropout is seeded', () => {
  test('the same apply seed and the same passes give bitwise the same outputs; another seed other masks', () => {
    const model = createViT(cfg, { seed: 2 });
    const x = images();
    const run = (seed: number) => {
      const peft = loraWithUpdate(model, 0.5, seed);
      const out = [logits(peft, x, { training: true }), logits(peft, x, { training: true })];
      peft.dispose();
      return out;
    };
    const [a1, a2] = run(11);
    const [b1, b2] = run(11);
    assert.deepEqual(a1, b1);
    assert.deepEqual(a2, b2);
    assert.notDeepEqual(a1, a2, 'each pass draws new masks');
    const [c1] = run(12);
    assert.notDeepEqual(a1, c1);
    model.dispose();
    x.dispose();
  });

  test("a pass's own seed fixes its masks whatever ran before; evaluation and dropout 0 draw nothing", () => {
    const model = createViT(cfg, { seed: 2 });
    const x = images();
    const peft = loraWithUpdate(model, 0.5, 3);
    const first = logits(peft, x, { training: true, seed: 42 });
    logits(peft, x, { training: true });
    assert.deepEqual(logits(peft, x, { training: true, seed: 42 }), first);
    assert.notDeepEqual(logits(peft, x, { training: true, seed: 43 }), first);
    const evaluated = logits(peft, x);
    assert.notDeepEqual(evaluated, first);
    assert.deepEqual(logits(peft, x), evaluated);
    peft.dispose();
    const none = loraWithUpdate(model, 0, 3);
    assert.deepEqual(logits(none, x, { training: true }), logits(none, x));
    none.dispose();
    model.dispose();
    x.dispose();
  });
});
