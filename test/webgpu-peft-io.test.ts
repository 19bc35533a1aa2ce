import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lastJson, requireLavapipe, runTs } from './webgpu-helpers';

interface Outcome {
  backend: string;
  original: string;
  methods: Record<string, { saved: string; afterChange: string; maxLogitDiff: number; mismatch: string | null }>;
  decoderMismatch: string | null;
  leakedTensors: number;
}

/** Fingerprint of `createViT(VIT_PRESETS.tiny, { seed: 3 })`'s backbone (the value main computed with dataSync on wasm). */
const TINY_SEED3 = 'sha256:63e8d02a1421e2abbca79b528eb2dc44e7ab08ebb035c20be80bd8fdbcddaccc';

describe('PEFT checkpoints on webgpu (lavapipe)', () => {
  test('applyPeft + saveAdapter + loadAdapter and saveDecoder + loadDecoder work on webgpu, with the same fingerprints as wasm', () => {
    requireLavapipe();
    // One tfjs engine per process: each backend runs the fixture in its own child.
    const gpuRun = runTs('test/fixtures/webgpu-peft-io.ts', [], { TPP_BACKEND: 'webgpu' });
    assert.equal(gpuRun.code, 0, gpuRun.stderr);
    const wasmRun = runTs('test/fixtures/webgpu-peft-io.ts', [], { TPP_BACKEND: 'wasm' });
    assert.equal(wasmRun.code, 0, wasmRun.stderr);
    const gpu = lastJson<Outcome>(gpuRun.stdout);
    const wasm = lastJson<Outcome>(wasmRun.stdout);
    assert.equal(gpu.backend, 'webgpu', 'forced webgpu must not fall back');
    assert.equal(wasm.backend, 'wasm');
    assert.equal(gpu.original, TINY_SEED3);
    assert.deepEqual(Object.keys(gpu.methods), ['lora', 'bitfit', 'full']);
    for (const [name, m] of Object.entries(gpu.methods)) {
      // The adapter records the backbone as it was when the method was applied, even when it trains backbone tensors.
      assert.equal(m.saved, TINY_SEED3, name);
      assert.equal(m.maxLogitDiff, 0, `${name}: the loaded adapter reproduces the changed model's logits`);
      assert.match(m.mismatch ?? '', /^Backbone fingerprint mismatch loading adapter <file>: the adapter was trained on backbone sha256:63e8d02a.*, this backbone is sha256:[0-9a-f]{64}\. Load the backbone it was trained on/, name);
    }
    assert.equal(gpu.methods.lora.afterChange, TINY_SEED3, 'LoRA leaves the backbone alone');
    assert.notEqual(gpu.methods.bitfit.afterChange, TINY_SEED3, 'BitFit changed backbone biases');
    assert.notEqual(gpu.methods.full.afterChange, TINY_SEED3, 'full fine-tuning changed the backbone');
    assert.match(gpu.decoderMismatch ?? '', /^The decoder <file> was trained with backbone sha256:63e8d02a.*, not with this one \(sha256:[0-9a-f]{64}\)/);
    assert.equal(gpu.leakedTensors, 0);
    assert.deepEqual(gpu, { ...wasm, backend: 'webgpu' }, 'webgpu and wasm agree on every fingerprint and outcome');
  });
});
