/**
 * A deterministic `.npz` writer: numpy's `np.savez` layout (a zip of `.npy` files, one per key), with every
 * entry stored uncompressed and every zip timestamp fixed, so the same arrays give the same bytes on every run,
 * machine and Node version (deflate output depends on the zlib build; image pools barely compress anyway).
 * Reads back with `np.load(f, allow_pickle=False)` and with `src/data/formats/npz.ts`.
 * Formats: numpy's NEP 1 (`.npy` version 1.0) and PKWARE APPNOTE.TXT (local header 4.3.7, central directory
 * 4.3.12, end record 4.3.16). No ZIP64: an archive must stay under 4 GiB.
 */
import { crc32 } from '../data/formats/crc32';
import type { NpyToWrite } from '../data/formats/npy';
import { writeFileAtomic } from './safetensors';

export type { NpyToWrite };

const DESCR = { uint8: '|u1', int16: '<i2', int32: '<i4' } as const;

/** A `.npy` (version 1.0) header for `descr` and `shape`, padded with spaces to a multiple of 64 bytes as numpy does. */
function npyHeader(descr: string, shape: readonly number[]): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = (64 - ((10 + dict.length + 1) % 64)) % 64;
  const text = Buffer.from(`${dict}${' '.repeat(pad)}\n`, 'latin1');
  const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  head.writeUInt16LE(text.length, 8);
  return Buffer.concat([head, text]);
}

/** The bytes of one `.npy` file (little-endian data). */
export function encodeNpy(a: NpyToWrite): Buffer {
  const count = a.shape.reduce((p, d) => p * d, 1);
  if (a.dtype === 'unicode') {
    if (a.strings.length !== count) throw new Error(`encodeNpy: ${a.strings.length} strings for shape [${a.shape.join(', ')}].`);
    const points = a.strings.map((s) => Array.from(s, (ch) => ch.codePointAt(0)!));
    const width = points.reduce((m, p) => Math.max(m, p.length), 1);
    const body = Buffer.alloc(count * width * 4);
    points.forEach((p, i) => p.forEach((cp, k) => body.writeUInt32LE(cp, (i * width + k) * 4)));
    return Buffer.concat([npyHeader(`<U${width}`, a.shape), body]);
  }
  if (a.data.length !== count) throw new Error(`encodeNpy: ${a.data.length} values for shape [${a.shape.join(', ')}].`);
  const size = a.data.BYTES_PER_ELEMENT;
  const body = Buffer.alloc(count * size);
  if (size === 1) body.set(a.data);
  else for (let i = 0; i < count; i++) size === 2 ? body.writeInt16LE(a.data[i], i * 2) : body.writeInt32LE(a.data[i], i * 4);
  return Buffer.concat([npyHeader(DESCR[a.dtype], a.shape), body]);
}

/** MS-DOS date of 1980-01-01 (the zip epoch) and time 00:00: no clock reaches the file. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;

/**
 * The fields a local header (from byte 4) and its central-directory record (from byte 6) share, in the same order
 * (APPNOTE 4.3.7, 4.3.12): version needed 2.0, no flags, method stored, the fixed time and date, CRC-32, sizes, name length.
 */
function entryFields(b: Buffer, at: number, crc: number, size: number, nameLength: number): void {
  b.writeUInt16LE(20, at);
  b.writeUInt16LE(0, at + 2);
  b.writeUInt16LE(0, at + 4);
  b.writeUInt16LE(DOS_TIME, at + 6);
  b.writeUInt16LE(DOS_DATE, at + 8);
  b.writeUInt32LE(crc, at + 10);
  b.writeUInt32LE(size, at + 14); // compressed: stored, so the same
  b.writeUInt32LE(size, at + 18);
  b.writeUInt16LE(nameLength, at + 22);
}

/** A zip archive of `files` (name → bytes), in the order given, every entry stored (method 0). */
export function encodeStoredZip(files: ReadonlyArray<readonly [string, Uint8Array]>): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [fileName, data] of files) {
    const name = Buffer.from(fileName, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    entryFields(local, 4, crc, data.length, name.length);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4); // version made by
    entryFields(cd, 6, crc, data.length, name.length);
    cd.writeUInt32LE(offset, 42);
    parts.push(local, name, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    central.push(cd, name);
    offset += 30 + name.length + data.length;
    if (offset >= 0xffffffff) throw new Error(`encodeStoredZip: the archive passes 4 GiB at "${fileName}"; write fewer images per file.`);
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBytes, end]);
}

/** The bytes of an `.npz` holding `arrays` (key → array), keys in the order given. */
export function encodeNpz(arrays: ReadonlyArray<readonly [string, NpyToWrite]>): Buffer {
  return encodeStoredZip(arrays.map(([key, a]) => [`${key}.npy`, encodeNpy(a)] as const));
}

/** Write an `.npz` atomically (a temporary file, then rename); returns its size in bytes. */
export async function writeNpzFile(path: string, arrays: ReadonlyArray<readonly [string, NpyToWrite]>): Promise<number> {
  const bytes = encodeNpz(arrays);
  await writeFileAtomic(path, bytes);
  return bytes.length;
}
