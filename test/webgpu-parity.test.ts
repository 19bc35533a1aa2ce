import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareRuns, PARITY_TOLERANCE, type TrainRun } from '../scripts/train-steps';
import { lastJson, requireLavapipe, runTs } from './webgpu-helpers';

describe('webgpu training parity (lavapipe vs wasm)', () => {
  test('tiny + LoRA, 4 steps of the project\'s step (AdamW, clipping) from seed 0: losses agree within 1e-5, trained parameters within 1e-4', () => {
    requireLavapipe();
    // Each backend in its own process: one tfjs engine per process. The first webgpu step compiles shaders (~15 s).
    const args = ['--preset', 'tiny', '--method', 'lora', '--steps', '4', '--batch', '16', '--seed', '0'];
    const wasmRun = runTs('scripts/train-steps.ts', [...args, '--backend', 'wasm']);
    assert.equal(wasmRun.code, 0, wasmRun.stderr);
    const gpuRun = runTs('scripts/train-steps.ts', [...args, '--backend', 'webgpu']);
    assert.equal(gpuRun.code, 0, gpuRun.stderr);
    const a = lastJson<TrainRun>(wasmRun.stdout);
    const b = lastJson<TrainRun>(gpuRun.stdout);
    assert.equal(a.backend, 'wasm');
    assert.equal(b.backend, 'webgpu', 'forced webgpu must not fall back');
    assert.equal(b.losses.length, 4);
    assert.ok(b.losses.every(Number.isFinite));
    assert.ok(Object.keys(b.params).some((n) => n.endsWith('lora_B')), 'LoRA parameters are trained');
    // The steps must move the weights far more than the tolerance, or agreement would prove nothing.
    assert.ok(b.maxUpdate > 100 * PARITY_TOLERANCE.param, `max update ${b.maxUpdate}`);
    const r = compareRuns(a, b);
    assert.deepEqual(r.problems, []);
    assert.ok(r.ok);
  });

  test('the comparison catches a difference larger than the tolerance', () => {
    const run: TrainRun = { backend: 'wasm', adapter: null, preset: 'tiny', method: 'lora', seed: 0, batch: 2, losses: [1, 0.9], stepMs: [1, 1], params: { w: [0.5, 0.25] }, maxUpdate: 0.1 };
    const off: TrainRun = { ...run, losses: [1, 0.9], params: { w: [0.5, 0.25 + 3 * PARITY_TOLERANCE.param] } };
    const r = compareRuns(run, off);
    assert.equal(r.ok, false);
    assert.equal(r.worstParam, 'w[1]');
    assert.match(r.problems[0], /^parameters differ by .* at w\[1\] \(> 0.0001\)$/);
    assert.equal(compareRuns(run, { ...run, losses: [1, 0.9 + 1e-6] }).ok, true);
  });
});
