import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initBackend, tf } from '../src/backend';
import { vitConfig } from '../src/model/config';
import { createMAE, DECODER_PRESETS, randomMasking } from '../src/model/mae';
import { createViT } from '../src/model/vit';

before(async () => {
  await initBackend({ warn: () => {} });
});

/** Smooth synthetic images (random oriented gradients): masked patches are predictable from visible ones. */
function gradients(n: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const a = tf.randomUniform([n, 1, 1, 1], -1, 1, 'float32', seed);
    const b = tf.randomUniform([n, 1, 1, 1], -1, 1, 'float32', seed + 1);
    const r = tf.linspace(0, 1, 28).reshape([1, 28, 1, 1]);
    const c = tf.linspace(0, 1, 28).reshape([1, 1, 28, 1]);
    return tf.add(tf.mul(a, r), tf.mul(b, c)) as tf.Tensor4D;
  });
}

describe('MAE', () => {
  test('randomMasking: seeded, K kept per image, mask is the complement', () => {
    const m = randomMasking(3, 16, 0.75, 7);
    assert.equal(m.numKept, 4);
    assert.deepEqual(randomMasking(3, 16, 0.75, 7).keep, m.keep, 'same seed, same masks');
    assert.notDeepEqual(randomMasking(3, 16, 0.75, 8).keep, m.keep);
    for (let i = 0; i < 3; i++) {
      const kept = new Set(Array.from(m.keep.subarray(i * 4, i * 4 + 4)));
      assert.equal(kept.size, 4);
      for (let p = 0; p < 16; p++) assert.equal(m.mask[i * 16 + p], kept.has(p) ? 0 : 1);
    }
    assert.throws(() => randomMasking(1, 16, 1, 0), /mask ratio must be in \[0, 1\), got 1/);
  });

  test('shapes, and the loss counts masked patches only', async () => {
    const vit = createViT(vitConfig('tiny'), { seed: 1 });
    const mae = createMAE(vit, DECODER_PRESETS.tiny, { seed: 1 });
    const x = gradients(4, 3);
    const out = mae.forward(x, { seed: 5 });
    assert.deepEqual(out.pred.shape, [4, 16, 49]);
    assert.ok(Number.isFinite((await out.loss.data())[0]));
    // A prediction equal to the target on masked patches scores 0, whatever it says on kept patches.
    const patches = vit.patchify(x);
    const mask = tf.tensor3d(out.masking.mask, [4, 16, 1]);
    const wrongOnKept = tf.add(patches, tf.mul(tf.sub(1, mask), 5)) as tf.Tensor3D;
    assert.equal((await mae.forwardLoss(patches, wrongOnKept, out.masking).data())[0], 0);
    const rec = mae.reconstruct(x, { masking: out.masking });
    assert.deepEqual(rec.pasted.shape, [4, 28, 28, 1]);
    // The pasted image equals the input on kept patches.
    const keptDiff = tf.mul(tf.sub(vit.patchify(rec.pasted), patches), tf.sub(1, mask));
    assert.ok((await tf.max(tf.abs(keptDiff)).data())[0] < 1e-6);
    tf.dispose([x, out.loss, out.pred, patches, mask, wrongOnKept, rec.masked, rec.reconstruction, rec.pasted, keptDiff]);
    mae.dispose();
    vit.dispose();
  });

  test('training reduces the loss and updates encoder and decoder, without leaking tensors', async () => {
    const vit = createViT(vitConfig('tiny'), { seed: 2 });
    const mae = createMAE(vit, DECODER_PRESETS.tiny, { seed: 2 });
    const params = mae.trainableParameters();
    assert.ok(params.has('patch_embed.proj.weight') && params.has('decoder_pred.weight') && !params.has('head.weight'));
    const optimizer = tf.train.adam(3e-3);
    const x = gradients(16, 11);
    const before = new Map([...params].map(([k, v]) => [k, v.clone()]));
    const losses: number[] = [];
    const tensorsBefore = tf.memory().numTensors;
    for (let step = 0; step < 40; step++) {
      const loss = optimizer.minimize(() => mae.forward(x, { seed: step }).loss, true, [...params.values()]) as tf.Scalar;
      losses.push((await loss.data())[0]);
      loss.dispose();
      if (step === 0) assert.ok(tf.memory().numTensors > tensorsBefore); // Adam's slots appear once
    }
    const afterFirst = tf.memory().numTensors;
    optimizer.minimize(() => mae.forward(x, { seed: 99 }).loss, false, [...params.values()]);
    assert.equal(tf.memory().numTensors, afterFirst, 'a step leaves no tensors behind');
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    assert.ok(last < 0.5 * first, `loss fell from ${first} to ${last}`);
    for (const name of ['patch_embed.proj.weight', 'blocks.0.attn.qkv.weight', 'decoder_embed.weight', 'mask_token']) {
      const changed = (await tf.max(tf.abs(tf.sub(params.get(name)!, before.get(name)!))).data())[0];
      assert.ok(changed > 0, `${name} changed`);
    }
    tf.dispose([x, ...before.values()]);
    optimizer.dispose();
    mae.dispose();
    vit.dispose();
  });
});
