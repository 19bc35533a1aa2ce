/**
 * Backbone fingerprint: SHA-256 over the backbone's weights (head excluded, since each task brings its own), so
 * an adapter can refuse to load into a backbone it was not trained on.
 *
 * Definition (reproducible outside tpp-lab): for each backbone parameter in ascending name order (JavaScript
 * string order), hash the UTF-8 bytes of `<name>\n<dtype>\n<shape joined by ','>\n` followed by the tensor's
 * little-endian float32 bytes in PyTorch layout (as stored in our safetensors files). Result: `sha256:<hex>`.
 *
 * Reads are asynchronous (`await t.data()`), so the fingerprint works on every backend, webgpu included (where
 * `dataSync()` throws in Node). `backboneFingerprintSync` exists for the backends that read synchronously.
 */
import * as tf from '@tensorflow/tfjs';
import { bytesOf, Sha256 } from '../hash/sha256';
import { toTorchLayout } from './layout';
import type { ViT } from './vit';

/** Add one tensor to the hash: its header line, then its float32 bytes. */
function hashEntry(h: Sha256, name: string, shape: readonly number[], data: Float32Array): void {
  h.update(`${name}\nfloat32\n${shape.join(',')}\n`);
  h.update(bytesOf(data));
}

function digest(h: Sha256): string {
  return `sha256:${h.hex()}`;
}

/** `model`'s backbone parameters by name, in hashing order. */
function backboneParams(model: ViT): Map<string, tf.Tensor> {
  return new Map(model.backboneNames().sort().map((n) => [n, model.param(n)] as [string, tf.Tensor]));
}

/**
 * Fingerprint of backbone tensors of `model`'s architecture given by name, in `model`'s internal layout (e.g. the
 * backbone's values captured earlier with `clone()`); `params` must hold exactly `model.backboneNames()`. Read
 * asynchronously; works on every backend. `onHashed(name)` is called after each tensor is hashed (to free it).
 */
export async function fingerprintOfParams(model: ViT, params: Map<string, tf.Tensor>, onHashed?: (name: string) => void): Promise<string> {
  const names = model.backboneNames().sort();
  if (params.size !== names.length || names.some((n) => !params.has(n))) {
    throw new Error(`fingerprintOfParams: expected exactly the ${names.length} backbone parameters of the model, got ${params.size} tensors.`);
  }
  const h = new Sha256();
  const { patchSize, channels } = model.config;
  for (const name of names) {
    const source = params.get(name)!;
    if (source.isDisposed) throw new Error(`fingerprintOfParams: tensor "${name}" was disposed before it was read; keep the tensors alive until the promise resolves.`);
    const t = toTorchLayout(source, model.layouts.get(name)!, patchSize, channels);
    try {
      hashEntry(h, name, t.shape, (await t.data()) as Float32Array);
    } finally {
      t.dispose();
    }
    onHashed?.(name);
  }
  return digest(h);
}

/** Fingerprint of `model`'s backbone weights (see the module comment for the exact definition). Any backend. */
export function backboneFingerprint(model: ViT): Promise<string> {
  return fingerprintOfParams(model, backboneParams(model));
}

/**
 * The same fingerprint read synchronously (`dataSync()`): only on backends with synchronous reads (cpu, wasm,
 * node); it throws on webgpu in Node, where `await backboneFingerprint(model)` works.
 */
export function backboneFingerprintSync(model: ViT): string {
  const h = new Sha256();
  const { patchSize, channels } = model.config;
  for (const [name, source] of backboneParams(model)) {
    const t = toTorchLayout(source, model.layouts.get(name)!, patchSize, channels);
    try {
      hashEntry(h, name, t.shape, t.dataSync() as Float32Array);
    } finally {
      t.dispose();
    }
  }
  return digest(h);
}

/** Fingerprint of named PyTorch-layout float32 arrays (same definition; used on files without building a model). */
export function fingerprintOf(tensors: Map<string, { shape: readonly number[]; data: Float32Array }>, exclude: readonly string[]): string {
  const h = new Sha256();
  for (const name of [...tensors.keys()].filter((n) => !exclude.includes(n)).sort()) {
    const { shape, data } = tensors.get(name)!;
    hashEntry(h, name, shape, data);
  }
  return digest(h);
}
