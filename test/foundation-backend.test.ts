import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initBackend, parseBackendName, resetBackendForTests, tf } from '../src/backend';

describe('backend selection', () => {
  test('picks wasm here: the native packages are optional and absent', async () => {
    resetBackendForTests();
    const report = await initBackend({ backend: '', warn: () => {} });
    assert.equal(report.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    // webgpu is tried second; here it fails (no Vulkan) or is skipped (a software adapter): see webgpu-*.test.ts.
    assert.deepEqual(report.attempts.map((a) => a.name), ['node-gpu', 'webgpu', 'node', 'wasm']);
    assert.match(report.attempts[0].reason, /not installed \(@tensorflow\/tfjs-node-gpu is an optional dependency\)/);
    assert.deepEqual(report.warnings, [], 'absent optional packages are normal, not warnings');
  });

  test('is computed once: a second call returns the same report even with other options', async () => {
    resetBackendForTests();
    const a = initBackend({ backend: 'wasm', warn: () => {} });
    const b = initBackend({ backend: 'cpu', warn: () => {} });
    assert.equal(a, b);
    assert.equal((await b).name, 'wasm');
  });

  test('override: TPP_BACKEND=cpu is honoured', async () => {
    resetBackendForTests();
    process.env.TPP_BACKEND = 'cpu';
    try {
      const report = await initBackend({ warn: () => {} });
      assert.equal(report.name, 'cpu');
      assert.equal(report.forced, 'cpu');
      assert.equal(tf.getBackend(), 'cpu');
    } finally {
      delete process.env.TPP_BACKEND;
      resetBackendForTests();
      await initBackend({ warn: () => {} });
    }
  });

  test('a forced backend that cannot load falls back with one warning line naming why', async () => {
    resetBackendForTests();
    const lines: string[] = [];
    const report = await initBackend({ backend: 'node', warn: (l) => lines.push(l) });
    assert.equal(report.name, 'wasm');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^tpp-lab: backend node unavailable \(not installed .*\); using wasm\.$/);
    resetBackendForTests();
  });

  test('webgl is a web page\'s backend: forced in Node it falls back saying so', async () => {
    resetBackendForTests();
    const lines: string[] = [];
    const report = await initBackend({ backend: 'WebGL', warn: (l) => lines.push(l) });
    assert.equal(report.name, 'wasm');
    assert.deepEqual(lines, ['tpp-lab: backend webgl unavailable (webgl runs only in a web page); using wasm.']);
    resetBackendForTests();
  });

  test('unknown names are rejected with the list of valid ones', () => {
    assert.throws(() => parseBackendName('tpu'), /Unknown backend "tpu"\. Use one of: node-gpu, webgpu, node, wasm, cpu \(e\.g\. TPP_BACKEND=wasm\); in a web page also webgl\./);
    assert.equal(parseBackendName(' WASM '), 'wasm');
    assert.equal(parseBackendName('tensorflow'), 'node');
    assert.equal(parseBackendName('WebGPU'), 'webgpu');
  });
});
