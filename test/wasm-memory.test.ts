/**
 * A wasm heap that runs out says so (own file: the test grows this process's wasm heap to its limit).
 * tfjs 4.22's allocator returns address 0 when the heap cannot grow and tfjs records it unchecked; initBackend
 * guards it, and errors tfjs raises after such a failure get the same advice.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { initBackend, tf } from '../src/backend';
import { asTensor, explainWasmError, output, wasmBackend } from '../src/kernels/wasm';

test('allocating past the wasm heap\'s limit throws a clear out-of-memory error, not a write over address 0', async () => {
  await initBackend({ backend: 'wasm', warn: () => {} });
  const b = wasmBackend();
  assert.ok(b, 'the wasm backend exposes its heap');
  const held: tf.Tensor[] = [];
  let error: unknown = null;
  try {
    for (let i = 0; i < 8 && !error; i++) {
      try {
        held.push(asTensor(output(b, [256, 1024, 1024]).info)); // 1 GiB each, never touched
      } catch (e) {
        error = e;
      }
    }
  } finally {
    tf.dispose(held);
  }
  assert.ok(error instanceof Error, 'eight 1 GiB tensors cannot fit a 4 GB heap');
  assert.match((error as Error).message, /The wasm backend ran out of memory \(an allocation of 1024 MiB failed; a wasm heap holds at most 4 GB\)/);
  assert.match((error as Error).message, /use a smaller batch, fewer tokens/);
  // The heap is still sound: the 1 GiB tensors were freed and a small op works.
  assert.deepEqual(Array.from(tf.add(tf.tensor1d([1, 2]), 1).dataSync()), [2, 3]);
});

test('errors after a failed allocation are explained; others pass through', async () => {
  await initBackend({ backend: 'wasm', warn: () => {} });
  assert.match(String(explainWasmError(new Error('Aborted(). Build with -sASSERTIONS for more info.'))), /ran out of memory \(Aborted\(\)/);
  assert.match(String(explainWasmError(new Error('memory access out of bounds'))), /ran out of memory \(probably/);
  const once = explainWasmError(new Error('Aborted()'));
  assert.equal(explainWasmError(once), once, 'an explained error is not wrapped again');
  const other = new Error('shapes do not match');
  assert.equal(explainWasmError(other), other);
});
