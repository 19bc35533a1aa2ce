/**
 * Every training stage on webgpu (lavapipe) through the real training functions and the project's own step
 * (trainStep: AdamW with clipping), compared with wasm: test/fixtures/webgpu-train.ts runs a few optimiser steps of
 * each stage on one backend in one process (webgpu compiles its shaders once) with synchronous tensor reads trapped.
 *
 * Tolerances (absolute), measured on lavapipe vs wasm with our kernels (2 steps per stage at the stages' own
 * learning rates, weights moved by about 2e-3): losses within 1.6e-6 (segmentation; 1.2e-7 elsewhere), parameters
 * within 4.3e-6 at SSF's shift of the keys (its true gradient is 0: softmax ignores a constant added to every key,
 * so Adam scales rounding noise by up to lr / epsilon = 1e5) and within 4.6e-7 everywhere else. Allowed: losses
 * 1e-5, parameters 5e-5, 40x below how far the steps move them (checked too, or agreement would prove nothing).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareSteps } from '../scripts/train-steps';
import type { TrainAllRun } from './fixtures/webgpu-train';
import { lastJson, requireLavapipe, runTs } from './webgpu-helpers';

const TOLERANCE = { loss: 1e-5, param: 5e-5 } as const;

const STAGES = ['pretrain', 'tpp-mae', 'tpp-simsiam', 'finetune-lora', 'finetune-adapter', 'finetune-prompt', 'finetune-ssf', 'segment', 'compare-cell', 'bench-lora', 'bench-mae'];

describe('every training stage on webgpu (lavapipe) equals wasm', () => {
  test('pretrain, TPP (MAE, SimSiam), fine-tuning (LoRA, adapter, prompt, SSF), segmentation, a compare cell and the bench step', () => {
    requireLavapipe();
    const wasm = runTs('test/fixtures/webgpu-train.ts', ['--backend', 'wasm']);
    assert.equal(wasm.code, 0, wasm.stderr);
    const gpu = runTs('test/fixtures/webgpu-train.ts', ['--backend', 'webgpu'], {}, 300_000);
    assert.equal(gpu.code, 0, gpu.stderr);
    // Dawn reports a pipeline that exceeds a limit on stderr and the op then yields zeros: none may appear.
    assert.doesNotMatch(gpu.stderr, /validation:|exceeds the maximum/, 'Dawn rejected a pipeline');
    const a = lastJson<TrainAllRun>(wasm.stdout);
    const b = lastJson<TrainAllRun>(gpu.stdout);
    assert.equal(a.backend, 'wasm');
    assert.equal(b.backend, 'webgpu', 'forced webgpu must not fall back');
    assert.equal(b.trapped, true, 'synchronous reads were trapped on webgpu');
    assert.ok(b.storageBuffers && b.storageBuffers.device === b.storageBuffers.adapter && b.storageBuffers.device > 8, `device limit = the adapter's: ${JSON.stringify(b.storageBuffers)}`);
    assert.deepEqual(Object.keys(b.stages), STAGES);
    for (const stage of STAGES) {
      const [x, y] = [a.stages[stage], b.stages[stage]];
      assert.ok(y.losses.length >= 2 && y.losses.every(Number.isFinite), `${stage}: losses ${y.losses}`);
      assert.ok(y.maxUpdate > 20 * TOLERANCE.param, `${stage}: the steps moved the parameters by ${y.maxUpdate}`);
      const r = compareSteps(x, y, TOLERANCE);
      assert.deepEqual(r.problems, [], stage);
    }
  });
});
