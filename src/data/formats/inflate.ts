/**
 * Inflation for the readers of untrusted compressed data (an .npz entry, a PNG's image data, a deflated DICOM
 * data set, a gzipped IDX file), on the one decoder in `deflate-decode.ts`, so they read the same bytes in Node
 * and in a web page. Every entry point bounds its output: a reader keeps only what it needs and stops as soon
 * as the output passes a bound it knows, instead of inflating a bomb whole.
 */
import { concatBytes } from './bytes';
import { crc32 } from './crc32';
import { decodeDeflate, InflateError } from './deflate-decode';

export { InflateError } from './deflate-decode';

/** The output passed the bound the caller gave (`maxOutput`): a decompression bomb or a lying header. */
export class InflateLimitError extends Error {
  constructor(readonly limit: number) {
    super(`inflates to more than ${limit} bytes`);
    this.name = 'InflateLimitError';
  }
}

function whole(bytes: Uint8Array) {
  return { size: bytes.length, read: (offset: number, length: number) => bytes.subarray(offset, offset + length) };
}

/**
 * Inflate raw deflate `bytes` whole. Throws `InflateLimitError` as soon as the output passes `maxOutput` bytes,
 * `InflateError` for damaged or truncated data. With `partial`, the input may stop inside the stream (a prefix
 * of an entry): the output is then everything decoded from it (a prefix of the full output).
 */
export function inflateRaw(bytes: Uint8Array, options: { maxOutput?: number; partial?: boolean } = {}): Uint8Array {
  return inflateRawWithEnd(bytes, options).data;
}

function inflateRawWithEnd(bytes: Uint8Array, options: { maxOutput?: number; partial?: boolean }): { data: Uint8Array; inputUsed: number } {
  const max = options.maxOutput ?? Infinity;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const { inputUsed } = decodeDeflate(whole(bytes), (c) => {
    total += c.length;
    if (total > max) throw new InflateLimitError(max);
    chunks.push(c);
    return true;
  }, { partial: options.partial });
  return { data: concatBytes(chunks), inputUsed };
}

/**
 * Inflate `size` bytes of raw deflate read through `read(offset, length)` (64 KiB at a time). Each output chunk
 * (a fresh array of at most about 64 KiB) goes to `onData`, which returns `false` to stop. Returns when the
 * stream ends or `onData` stops it; throws `InflateError` for damaged or truncated data, and whatever `onData`
 * throws. Memory: one input piece, a 32 KiB window and one output chunk, plus whatever `onData` keeps.
 */
export function inflateRawStream(size: number, read: (offset: number, length: number) => Uint8Array, onData: (chunk: Uint8Array) => boolean): void {
  decodeDeflate({ size, read }, onData);
}

/** Adler-32 (RFC 1950), the zlib stream's checksum. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length;) {
    // 5552 bytes is the most that can be summed before b can pass 2^32 (zlib's NMAX).
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * Inflate a zlib stream (RFC 1950: the 2-byte header, raw deflate, the Adler-32 of the output), as a PNG's
 * IDAT data are; `maxOutput` bounds the output. Damaged header, data or checksum: `InflateError`.
 */
export function inflateZlib(bytes: Uint8Array, options: { maxOutput?: number } = {}): Uint8Array {
  if (bytes.length < 2 || (bytes[0] & 15) !== 8 || bytes[0] >> 4 > 7 || ((bytes[0] << 8) | bytes[1]) % 31 !== 0) throw new InflateError('incorrect header check (not a zlib stream)');
  if (bytes[1] & 0x20) throw new InflateError('zlib stream needs a preset dictionary, which is not supported');
  const { data, inputUsed } = inflateRawWithEnd(bytes.subarray(2), options);
  const at = 2 + inputUsed;
  if (at + 4 > bytes.length) throw new InflateError('unexpected end of data (Adler-32 checksum missing)', true);
  const stored = ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
  if (stored !== adler32(data)) throw new InflateError('incorrect data check (Adler-32 mismatch)');
  return data;
}

/**
 * Inflate gzip data (RFC 1952; concatenated members are joined, as gunzip does), checking each member's CRC-32
 * and length; `maxOutput` bounds the output. Damaged header, data or trailer: `InflateError`.
 */
export function gunzip(bytes: Uint8Array, options: { maxOutput?: number } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = 0;
  do {
    if (bytes.length < at + 10 || bytes[at] !== 0x1f || bytes[at + 1] !== 0x8b) throw new InflateError('incorrect header check (not gzip data)');
    if (bytes[at + 2] !== 8) throw new InflateError(`unknown compression method ${bytes[at + 2]} in gzip header`);
    const flags = bytes[at + 3];
    let p = at + 10;
    if (flags & 4) p += 2 + (bytes[p] | (bytes[p + 1] << 8)); // FEXTRA
    for (const flag of [8, 16]) if (flags & flag) { while (p < bytes.length && bytes[p] !== 0) p++; p++; } // FNAME, FCOMMENT
    if (flags & 2) p += 2; // FHCRC
    if (p > bytes.length) throw new InflateError('unexpected end of data (gzip header cut short)', true);
    const { data, inputUsed } = inflateRawWithEnd(bytes.subarray(p), { maxOutput: (options.maxOutput ?? Infinity) - total });
    const end = p + inputUsed;
    if (end + 8 > bytes.length) throw new InflateError('unexpected end of data (gzip trailer missing)', true);
    const view = new DataView(bytes.buffer, bytes.byteOffset + end, 8);
    if (view.getUint32(0, true) !== crc32(data)) throw new InflateError('incorrect data check (CRC-32 mismatch)');
    if (view.getUint32(4, true) !== data.length % 2 ** 32) throw new InflateError('incorrect length check');
    parts.push(data);
    total += data.length;
    at = end + 8;
  } while (at < bytes.length && bytes[at] === 0x1f);
  return concatBytes(parts);
}
