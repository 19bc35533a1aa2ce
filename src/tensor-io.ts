/**
 * Reading tensors back to JavaScript, the way that works on every backend.
 *
 * Rule for library code: read with `await t.data()` / `await t.array()` (or these helpers), never with
 * `dataSync()` / `arraySync()` / `bufferSync()`. On the `webgpu` backend in Node the synchronous reads throw
 * (`OffscreenCanvas is not defined`): tfjs-backend-webgpu implements them through a browser canvas. The async
 * reads also let a training loop yield to the event loop once per step.
 */
import * as tf from '@tensorflow/tfjs';

/** Options of the read helpers. */
export interface ReadOptions {
  /** Dispose the tensor after reading it (handy for temporaries such as a loss). Default false. */
  dispose?: boolean;
}

/** The value of a one-element tensor (shape `[]`, `[1]`, `[1, 1]`...), read asynchronously. */
export async function readScalar(t: tf.Tensor, options: ReadOptions = {}): Promise<number> {
  if (t.size !== 1) throw new Error(`readScalar expects a tensor with one element, got shape [${t.shape.join(', ')}]; use toArray for more.`);
  try {
    return (await t.data())[0] as number;
  } finally {
    if (options.dispose) t.dispose();
  }
}

/** All values of a numeric tensor, flattened in row-major order, as a plain `number[]`, read asynchronously. */
export async function toArray(t: tf.Tensor, options: ReadOptions = {}): Promise<number[]> {
  if (t.dtype === 'string') throw new Error('toArray reads numeric tensors; this one has dtype string.');
  try {
    return Array.from((await t.data()) as ArrayLike<number>);
  } finally {
    if (options.dispose) t.dispose();
  }
}

/** Every named tensor's values as a flat `Float32Array`, read asynchronously (for comparisons and hashing). */
export async function readAll(tensors: Map<string, tf.Tensor>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of tensors) out.set(name, Float32Array.from((await t.data()) as ArrayLike<number>));
  return out;
}

/** Backends whose tensors live in this process's memory (see `hostFastPaths`). */
const HOST_MEMORY_BACKENDS: readonly string[] = ['wasm', 'cpu'];

/**
 * Whether the backend (default: the current one) keeps its tensors in this process's memory: wasm and cpu. Only
 * there is a synchronous read (`dataSync()` / `arraySync()`) both legal and cheap, so every host-side fast path
 * asks this one question: our WebAssembly kernels (src/kernels), AdamW's host loop (src/step/optimizer.ts) and the
 * synchronous backbone fingerprint (src/peft/model.ts). False on webgpu (in Node a synchronous read throws; in a
 * browser it stalls the GPU) and on the tfjs-node backends (native memory), which take the tfjs-op paths.
 */
export function hostFastPaths(backend: string = tf.getBackend()): boolean {
  return HOST_MEMORY_BACKENDS.includes(backend);
}
