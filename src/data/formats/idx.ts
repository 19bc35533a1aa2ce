/**
 * IDX files (the MNIST family's format, optionally gzipped), from their bytes; reading them from a folder
 * (Fashion-MNIST, our non-medical pre-training pool) is src/io/sources/fashion-mnist.ts.
 */
import { gunzip } from './inflate';

/** Decode an IDX file of unsigned bytes (`.gz` or plain) named `name` in errors: returns the dims and the values. */
export function decodeIdxU8(file: Uint8Array, name = '<bytes>'): { shape: number[]; data: Uint8Array } {
  let bytes = file;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzip(bytes);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new Error(`${name} is not an IDX file (bad magic number).`);
  if (bytes[2] !== 0x08) throw new Error(`${name}: IDX type 0x${bytes[2].toString(16)} is not unsigned bytes (0x08).`);
  const rank = bytes[3];
  const shape: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i));
  const offset = 4 + 4 * rank;
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - offset !== count) throw new Error(`${name}: header says ${count} values but the file holds ${bytes.length - offset}; is it truncated?`);
  return { shape, data: new Uint8Array(bytes.buffer, bytes.byteOffset + offset, count) };
}
