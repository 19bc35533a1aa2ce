import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { VIT_PRESETS } from '../src/model/config';
import { backboneFingerprint, backboneFingerprintSync, fingerprintOfParams } from '../src/model/fingerprint';
import { createViT, type ViT } from '../src/model/vit';
import { applyPeft, PEFT_METHODS, peftConfig, PeftModel, type PeftConfig } from '../src/peft';
import { hostFastPaths } from '../src/tensor-io';

before(async () => {
  await initBackend({ warn: () => {} });
});

/** `createViT(tiny, { seed: 3 })`'s backbone fingerprint, as computed by the synchronous code before it became async. */
const TINY_SEED3 = 'sha256:63e8d02a1421e2abbca79b528eb2dc44e7ab08ebb035c20be80bd8fdbcddaccc';

/** Move every target parameter (what BitFit and full fine-tuning train in place). */
function changeTargets(peft: PeftModel): void {
  for (const v of peft.targetParameters().values()) tf.tidy(() => v.assign(tf.add(v, 0.5)));
}

/** A PeftModel that captures the backbone for an asynchronous fingerprint, as applyPeft does on webgpu. */
function deferred(model: ViT, config: PeftConfig): PeftModel {
  const module = PEFT_METHODS[config.method].apply(model, config as never, { seed: 0 });
  return new PeftModel(model, config, module, { syncReads: false });
}

describe('backbone fingerprint', () => {
  test('async and sync reads give the same value as before (the hashing scheme is unchanged)', async () => {
    const model = createViT(VIT_PRESETS.tiny, { seed: 3 });
    assert.equal(hostFastPaths(), true, `${tf.getBackend()} reads synchronously`);
    assert.equal(await backboneFingerprint(model), TINY_SEED3);
    assert.equal(backboneFingerprintSync(model), TINY_SEED3);
    const n = tf.memory().numTensors;
    await backboneFingerprint(model);
    assert.equal(tf.memory().numTensors, n, 'no tensor left behind');
    await assert.rejects(fingerprintOfParams(model, new Map([['norm.weight', model.param('norm.weight')]])), /^Error: fingerprintOfParams: expected exactly the \d+ backbone parameters of the model, got 1 tensors\.$/);
    model.dispose();
  });

  for (const syncReads of [true, false]) {
    test(`BitFit and full: fingerprint() is the backbone's at apply time, after the targets trained (syncReads ${syncReads})`, async () => {
      for (const config of [peftConfig('bitfit'), peftConfig('full')]) {
        const model = createViT(VIT_PRESETS.tiny, { seed: 3 });
        const peft = syncReads ? applyPeft(model, config) : deferred(model, config);
        changeTargets(peft);
        assert.notEqual(await backboneFingerprint(model), TINY_SEED3, `${config.method} changed the backbone`);
        assert.equal(await peft.fingerprint(), TINY_SEED3, config.method);
        assert.equal(await peft.fingerprint(), TINY_SEED3, `${config.method}, asked twice`);
        peft.dispose();
        model.dispose();
      }
    });
  }

  test('deferred capture: shares the backbone until hashed, survives tf.tidy, frees everything once read', async () => {
    const model = createViT(VIT_PRESETS.tiny, { seed: 3 });
    const config = peftConfig('bitfit');
    const n0 = tf.memory().numTensors;
    let peft: PeftModel | null = null;
    tf.tidy(() => {
      peft = deferred(model, config);
    });
    const p = peft as unknown as PeftModel;
    assert.equal(tf.memory().numTensors, n0 + model.backboneNames().length, 'one captured tensor per backbone parameter');
    changeTargets(p);
    const [a, b] = await Promise.all([p.fingerprint(), p.fingerprint()]);
    assert.equal(a, TINY_SEED3);
    assert.equal(b, TINY_SEED3);
    assert.equal(tf.memory().numTensors, n0, 'captured tensors released after hashing');
    p.dispose();
    model.dispose();
  });

  test('deferred capture: dispose() frees it; fingerprint() afterwards says what to do', async () => {
    const model = createViT(VIT_PRESETS.tiny, { seed: 3 });
    const n0 = tf.memory().numTensors;
    const peft = deferred(model, peftConfig('full'));
    peft.dispose();
    assert.equal(tf.memory().numTensors, n0);
    await assert.rejects(peft.fingerprint(), /^Error: PeftModel\.fingerprint\(\): the model was disposed before its backbone fingerprint was read; call fingerprint\(\) before dispose\(\)\.$/);
    model.dispose();
  });
});
