/**
 * A small, strict zip reader for `.npz` files: stored and deflate entries, ZIP64, sizes taken from the central
 * directory (numpy writes ZIP64 local headers whose size fields are placeholders), CRC-32 checked.
 *
 * Reads from bytes in memory or from any `ByteSource` (a file by positioned reads: src/io/file-source.ts), so
 * opening a large archive only reads its directory and the entries asked for. Every offset and size is checked against the file before anything is read or
 * allocated: a damaged or lying archive is an Error, never a huge allocation.
 * Format reference: PKWARE APPNOTE.TXT (sections 4.3.7 local header, 4.3.12 central directory, 4.3.14-16 ZIP64).
 */
import { inflateRaw, InflateLimitError, inflateRawStream } from './inflate';
import { crc32 } from './crc32';

/** Where the archive's bytes come from: `size` bytes, read by offset. */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset` (throws if the range is outside the source). */
  read(offset: number, length: number): Uint8Array;
  close(): void;
  /** Name used in error messages (a path, or `<buffer>`). */
  readonly name: string;
}

/** One file inside a zip archive, as the central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the entry's local header. */
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;
/** The longest entry read into one array (Node 20's Buffer limit, 4 GiB; engines refuse longer typed arrays). */
export const MAX_ARRAY = 2 ** 32;
const utf8 = new TextDecoder();

/** A byte source over an in-memory buffer. */
export function bufferSource(b: Uint8Array, name = '<buffer>'): ByteSource {
  return {
    size: b.length,
    name,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > b.length) {
        throw new Error(`${name}: read of ${length} bytes at offset ${offset} is outside the ${b.length}-byte file (truncated or damaged).`);
      }
      return b.subarray(offset, offset + length);
    },
    close() {},
  };
}

/** Little-endian readers over a byte array (zip numbers are little-endian). */
function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function u64(buf: Uint8Array, offset: number, what: string, name: string): number {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(offset, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${name}: ZIP64 ${what} ${v} is not a plausible value (damaged file).`);
  return Number(v);
}

/** Find the end-of-central-directory record and return where the central directory lies. */
function findCentralDirectory(src: ByteSource): { offset: number; size: number; count: number } {
  const name = src.name;
  if (src.size < 22) throw new Error(`${name}: not a zip archive (only ${src.size} bytes; an .npz is a zip file).`);
  const tailLen = Math.min(src.size, 22 + 0xffff);
  const tailStart = src.size - tailLen;
  const tail = src.read(tailStart, tailLen);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === SIG_EOCD && i + 22 + u16(tail, i + 20) <= tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new Error(`${name}: not a zip archive or truncated (no end-of-central-directory record found).`);
  let count = u16(tail, at + 10);
  let size = u32(tail, at + 12);
  let offset = u32(tail, at + 16);
  const eocdPos = tailStart + at;
  // A ZIP64 locator sits right before the classic record when the archive uses ZIP64 end records.
  if (eocdPos >= 20) {
    const loc = src.read(eocdPos - 20, 20);
    if (u32(loc, 0) === SIG_EOCD64_LOCATOR) {
      const recPos = u64(loc, 8, 'end-record offset', name);
      const rec = src.read(recPos, 56);
      if (u32(rec, 0) !== SIG_EOCD64) throw new Error(`${name}: ZIP64 end record missing at offset ${recPos} (damaged file).`);
      count = u64(rec, 32, 'entry count', name);
      size = u64(rec, 40, 'directory size', name);
      offset = u64(rec, 48, 'directory offset', name);
    }
  }
  if (offset + size > src.size) {
    throw new Error(`${name}: central directory (${size} bytes at ${offset}) lies outside the ${src.size}-byte file (truncated or damaged).`);
  }
  return { offset, size, count };
}

/** List the entries of a zip archive from its central directory. */
export function listZipEntries(src: ByteSource): ZipEntry[] {
  const name = src.name;
  const cd = findCentralDirectory(src);
  const dir = src.read(cd.offset, cd.size);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < cd.count; k++) {
    if (p + 46 > dir.length || u32(dir, p) !== SIG_CENTRAL) {
      throw new Error(`${name}: central directory entry ${k} is damaged (bad signature or cut short).`);
    }
    const flags = u16(dir, p + 8);
    const method = u16(dir, p + 10);
    const crc32 = u32(dir, p + 16);
    let compressedSize = u32(dir, p + 20);
    let size = u32(dir, p + 24);
    const nameLen = u16(dir, p + 28);
    const extraLen = u16(dir, p + 30);
    const commentLen = u16(dir, p + 32);
    let localHeaderOffset = u32(dir, p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > dir.length) throw new Error(`${name}: central directory entry ${k} is cut short.`);
    const entryName = utf8.decode(dir.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field (id 1): 8-byte values for exactly those fields that hold 0xFFFFFFFF, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = u16(dir, e);
      const len = u16(dir, e + 2);
      if (e + 4 + len > extraEnd) throw new Error(`${name}: extra field of "${entryName}" is cut short.`);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (what: string): number => {
          if (q + 8 > e + 4 + len) throw new Error(`${name}: ZIP64 field of "${entryName}" is missing its ${what}.`);
          const v = u64(dir, q, what, name);
          q += 8;
          return v;
        };
        if (size === U32_MAX) size = take('size');
        if (compressedSize === U32_MAX) compressedSize = take('compressed size');
        if (localHeaderOffset === U32_MAX) localHeaderOffset = take('header offset');
      }
      e += 4 + len;
    }
    if (flags & 1) throw new Error(`${name}: entry "${entryName}" is encrypted; encrypted archives are not supported.`);
    entries.push({ name: entryName, method, compressedSize, size, crc32, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Where an entry's compressed bytes start, from its local header (whose own size fields are ignored). */
function dataOffset(src: ByteSource, entry: ZipEntry): number {
  const head = src.read(entry.localHeaderOffset, 30);
  if (u32(head, 0) !== SIG_LOCAL) throw new Error(`${src.name}: local header of "${entry.name}" is damaged (bad signature).`);
  const start = entry.localHeaderOffset + 30 + u16(head, 26) + u16(head, 28);
  if (start + entry.compressedSize > src.size) {
    throw new Error(
      `${src.name}: entry "${entry.name}" claims ${entry.compressedSize} compressed bytes at offset ${start}, beyond the end of the ${src.size}-byte file (truncated or damaged).`,
    );
  }
  return start;
}

/** The full, checked contents of one entry. Output is bounded by the size the central directory states. */
export function readZipEntry(src: ByteSource, entry: ZipEntry): Uint8Array {
  const where = `${src.name}: entry "${entry.name}"`;
  if (entry.size > MAX_ARRAY) throw new Error(`${where} holds ${entry.size} bytes, more than one array can hold.`);
  const raw = src.read(dataOffset(src, entry), entry.compressedSize);
  let out: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) throw new Error(`${where} is stored but its sizes disagree (${entry.compressedSize} vs ${entry.size}).`);
    out = raw;
  } else if (entry.method === 8) {
    try {
      out = inflateRaw(raw, { maxOutput: entry.size });
    } catch (e) {
      const why = e instanceof InflateLimitError ? `inflates to more than the ${entry.size} bytes it declares` : `does not inflate (${(e as Error).message})`;
      throw new Error(`${where} ${why}: the file is damaged or truncated.`);
    }
  } else {
    throw new Error(`${where} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported.`);
  }
  if (out.length !== entry.size) throw new Error(`${where} holds ${out.length} bytes but declares ${entry.size}: the file is damaged or truncated.`);
  if (crc32(out) !== entry.crc32) throw new Error(`${where} fails its CRC-32 check: the file is damaged.`);
  return out;
}

/**
 * The first `bytes` bytes of an entry (fewer if the entry is shorter), inflating only as far as needed (with
 * `inflateRawStream`): memory stays at `bytes` plus one 64 KiB piece of input, whatever the entry declares.
 * Not CRC-checked (the whole entry is needed for that).
 */
export async function readZipEntryHead(src: ByteSource, entry: ZipEntry, bytes: number): Promise<Uint8Array> {
  const start = dataOffset(src, entry);
  const want = Math.min(bytes, entry.size);
  if (entry.method === 0) return src.read(start, want);
  if (entry.method !== 8) throw new Error(`${src.name}: entry "${entry.name}" uses compression method ${entry.method}; only stored (0) and deflate (8) are supported.`);
  const out = new Uint8Array(want);
  let got = 0;
  try {
    inflateRawStream(entry.compressedSize, (offset, length) => src.read(start + offset, length), (d) => {
      const n = Math.min(d.length, want - got);
      out.set(d.subarray(0, n), got);
      got += n;
      return got < want;
    });
  } catch (e) {
    throw new Error(`${src.name}: entry "${entry.name}" does not inflate (${(e as Error).message}): the file is damaged.`);
  }
  if (got < want) throw new Error(`${src.name}: entry "${entry.name}" inflates to only ${got} bytes, fewer than the ${want} asked for: the file is damaged or truncated.`);
  return out;
}

/**
 * The first bytes (at most `maxBytes`) of an entry, without reading or inflating the rest: enough to read a
 * .npy header of a large array. Not CRC-checked (the whole entry is needed for that).
 */
export function readZipEntryPrefix(src: ByteSource, entry: ZipEntry, maxBytes: number): Uint8Array {
  const start = dataOffset(src, entry);
  if (entry.method === 0) return src.read(start, Math.min(maxBytes, entry.size));
  if (entry.method !== 8) throw new Error(`${src.name}: entry "${entry.name}" uses compression method ${entry.method}; only stored (0) and deflate (8) are supported.`);
  // 8 KiB of deflate inflates to at most about 8 MiB, so this stays small whatever the entry holds.
  const raw = src.read(start, Math.min(entry.compressedSize, 8192));
  try {
    const out = inflateRaw(raw, { partial: true });
    return out.subarray(0, Math.min(maxBytes, out.length));
  } catch (e) {
    throw new Error(`${src.name}: entry "${entry.name}" does not inflate (${(e as Error).message}): the file is damaged.`);
  }
}
