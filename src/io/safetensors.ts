/**
 * safetensors files: reading a file's header alone or the whole file, and writing one atomically. The format
 * itself (bytes in and out, with its checks) is src/checkpoint/safetensors.ts, re-exported here.
 */
import { promises as fs } from 'node:fs';
import { headerLength, MAX_HEADER_BYTES, parseHeaderBytes, validateHeader, encodeSafetensors, type SafetensorsContents, type SafetensorsEntry, type SafetensorsHeader, type TensorToWrite } from '../checkpoint/safetensors';

import { writeFailure } from './store';

export * from '../checkpoint/safetensors';

/** Read and validate only the header of a file (no tensor data is read). */
export async function readSafetensorsHeader(path: string, maxHeaderBytes = MAX_HEADER_BYTES): Promise<SafetensorsHeader> {
  const fh = await fs.open(path, 'r');
  try {
    const { size } = await fh.stat();
    const first = new Uint8Array(8);
    await fh.read(first, 0, Math.min(8, size), 0);
    const n = headerLength(first, size, path, maxHeaderBytes);
    const hb = new Uint8Array(n);
    await fh.read(hb, 0, n, 8);
    return validateHeader(parseHeaderBytes(hb, path), size - 8 - n, n, path);
  } finally {
    await fh.close();
  }
}

/** Read, validate and decode a file. Memory used is bounded by the file's size. */
export async function readSafetensorsFile(path: string, maxHeaderBytes = MAX_HEADER_BYTES): Promise<SafetensorsContents> {
  const header = await readSafetensorsHeader(path, maxHeaderBytes);
  const fh = await fs.open(path, 'r');
  try {
    const data = new Uint8Array(header.dataBytes);
    if (header.dataBytes > 0) await fh.read(data, 0, header.dataBytes, 8 + header.headerBytes);
    const tensors = new Map<string, SafetensorsEntry>();
    for (const [name, e] of header.entries) {
      tensors.set(name, { dtype: e.dtype, shape: e.shape, data: data.slice(e.begin, e.end) });
    }
    return { tensors, metadata: header.metadata };
  } finally {
    await fh.close();
  }
}

/**
 * Write bytes atomically: `<path>.tmp-<pid>` then rename, so readers never see a half-written file. A failure (a
 * full disk) removes the temporary file and throws `FileWriteError` naming `path`, which keeps what it held.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw writeFailure(path, e);
  }
}

/** Encode and write a safetensors file atomically; returns its size in bytes. */
export async function writeSafetensorsFile(path: string, tensors: Map<string, TensorToWrite>, metadata: Record<string, string> = {}): Promise<number> {
  const bytes = encodeSafetensors(tensors, metadata);
  await writeFileAtomic(path, bytes);
  return bytes.byteLength;
}
