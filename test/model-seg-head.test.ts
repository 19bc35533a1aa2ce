import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { initBackend, tf } from '../src/backend';
import { loadSegAdapter, saveSegAdapter } from '../src/io/seg-checkpoint';
import { loadAdapter } from '../src/io/checkpoint';
import { vitConfig } from '../src/model/config';
import { createSegHead } from '../src/model/seg-head';
import { createViT } from '../src/model/vit';
import { applyPeft, peftConfig, PEFT_METHOD_NAMES } from '../src/peft/index';
import { segForward } from '../src/train/segment';
import { segLoss } from '../src/train/seg-objective';
import { tempDir } from './helpers';

const cfg = vitConfig('tiny', { imageSize: 32, patchSize: 8 });

describe('segmentation heads', () => {
  test('both heads map tokens to [N, H, W, K\'] logits; parameter counts', async () => {
    await initBackend();
    const tokens = tf.randomNormal([2, 17, cfg.dim]) as tf.Tensor3D;
    const lin = createSegHead({ kind: 'linear', outputs: 3, dim: cfg.dim, grid: 4, imageSize: 32 });
    const pro = createSegHead({ kind: 'progressive', outputs: 1, dim: cfg.dim, grid: 4, imageSize: 32, width: 32 });
    assert.deepEqual(tf.tidy(() => lin.forward(tokens)).shape, [2, 32, 32, 3]);
    assert.deepEqual(tf.tidy(() => pro.forward(tokens)).shape, [2, 32, 32, 1]);
    assert.equal(lin.numParameters(), cfg.dim * 3 + 3);
    // proj D→32, three stages 32→16→16→16 (3x3 convs), then 16→1.
    assert.equal(pro.numParameters(), cfg.dim * 32 + 32 + (9 * 32 * 16 + 16) + 2 * (9 * 16 * 16 + 16) + 16 + 1);
    assert.throws(() => lin.forward(tf.zeros([1, 10, cfg.dim]) as tf.Tensor3D), /expects tokens \[N, 17, 32\]/);
    tf.dispose(tokens);
    lin.dispose();
    pro.dispose();
  });

  test('every PEFT method trains its own target parameters and the head under the segmentation loss', async () => {
    await initBackend();
    const x = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const y = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([2, 32, 32, 1], 0, 1, 'float32', 2), 0.7), 'float32')) as tf.Tensor4D;
    for (const name of PEFT_METHOD_NAMES) {
      const vit = createViT(cfg, { seed: 0 });
      const peft = applyPeft(vit, peftConfig(name));
      const head = createSegHead({ kind: 'progressive', outputs: 1, dim: cfg.dim, grid: 4, imageSize: 32 }, 1);
      const vars = [...peft.targetParameters().values(), ...head.params.values()];
      const { value, grads } = tf.variableGrads(() => segLoss(segForward(peft, head, x, true), y), vars);
      assert.ok(Number.isFinite(value.dataSync()[0]), name);
      const nonzero = Object.values(grads).filter((g) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0).length;
      // LoRA's A and adapters' down-projections get no gradient at the no-op start (B / up = 0): at least half move.
      assert.ok(nonzero >= Math.ceil(vars.length / 2), `${name}: ${nonzero} of ${vars.length} parameters get a gradient`);
      tf.dispose([value, ...Object.values(grads)]);
      head.dispose();
      peft.dispose();
      vit.dispose();
    }
    tf.dispose([x, y]);
  });

  test('a segmentation adapter saves and loads back to the same predictions; loadAdapter explains the difference', async () => {
    await initBackend();
    const dir = tempDir();
    const vit = createViT(cfg, { seed: 0 });
    const peft = applyPeft(vit, peftConfig('lora'), { seed: 3 });
    const head = createSegHead({ kind: 'progressive', outputs: 1, dim: cfg.dim, grid: 4, imageSize: 32 }, 5);
    // Make LoRA's B non-zero so that the target parameters matter.
    for (const [n, v] of peft.targetParameters()) if (n.endsWith('lora_B')) v.assign(tf.randomNormal(v.shape, 0, 0.1));
    const x = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const before = tf.tidy(() => segForward(peft, head, x)).dataSync();
    const file = path.join(dir, 'seg.safetensors');
    await saveSegAdapter(peft, head, file, { note: 'test' });
    const fresh = createViT(cfg, { seed: 0 });
    const loaded = await loadSegAdapter(file, fresh);
    const after = tf.tidy(() => segForward(loaded.peft, loaded.head, x)).dataSync();
    assert.deepEqual(after, before);
    assert.equal(loaded.metadata.note, 'test');
    await assert.rejects(loadAdapter(file, createViT(cfg, { seed: 0 })), /holds a segmentation head.*loadSegAdapter/);
    const targetsOnly = await loadAdapter(file, createViT(cfg, { seed: 0 }), { head: false });
    assert.equal(targetsOnly.targetParameters().size, peft.targetParameters().size);
    tf.dispose(x);
  });
});
