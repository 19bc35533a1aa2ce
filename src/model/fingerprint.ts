/**
 * Backbone fingerprint: SHA-256 over the backbone's weights (head excluded, since each task brings its own), so
 * an adapter can refuse to load into a backbone it was not trained on.
 *
 * Definition (reproducible outside tpp-lab): for each backbone parameter in ascending name order (JavaScript
 * string order), hash the UTF-8 bytes of `<name>\n<dtype>\n<shape joined by ','>\n` followed by the tensor's
 * little-endian float32 bytes in PyTorch layout (as stored in our safetensors files). Result: `sha256:<hex>`.
 */
import { createHash } from 'node:crypto';
import { toTorchLayout } from './layout';
import type { ViT } from './vit';

/** Fingerprint of `model`'s backbone weights (see the module comment for the exact definition). */
export function backboneFingerprint(model: ViT): string {
  const h = createHash('sha256');
  const names = model.backboneNames().sort();
  for (const name of names) {
    const t = toTorchLayout(model.param(name), model.layouts.get(name)!, model.config.patchSize, model.config.channels);
    const data = t.dataSync() as Float32Array;
    h.update(`${name}\nfloat32\n${t.shape.join(',')}\n`, 'utf8');
    h.update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    t.dispose();
  }
  return `sha256:${h.digest('hex')}`;
}

/** Fingerprint of named PyTorch-layout float32 arrays (same definition; used on files without building a model). */
export function fingerprintOf(tensors: Map<string, { shape: readonly number[]; data: Float32Array }>, exclude: readonly string[]): string {
  const h = createHash('sha256');
  for (const name of [...tensors.keys()].filter((n) => !exclude.includes(n)).sort()) {
    const { shape, data } = tensors.get(name)!;
    h.update(`${name}\nfloat32\n${shape.join(',')}\n`, 'utf8');
    h.update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  return `sha256:${h.digest('hex')}`;
}

