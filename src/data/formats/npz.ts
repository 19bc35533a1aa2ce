/**
 * `.npz` archives (numpy's `np.savez` / `np.savez_compressed`): a zip of `.npy` arrays, one per key.
 * Built on `zip.ts` (reading) and `npy.ts` (decoding); see those files for what is checked.
 *
 * Memory is bounded before anything is inflated: every entry's .npy header (shape x dtype) must account for
 * exactly the entry's declared size, a deflated entry cannot declare more than deflate can produce from its
 * compressed bytes, and an entry larger than `NPZ_LIMITS.ratioAppliesAbove` may not inflate at more than
 * `NPZ_LIMITS.maxRatio`:1 (a decompression bomb, or an array of constant values that should be stored
 * uncompressed). `readNpzHead` inflates only the first rows of an array.
 */
import { bufferSource, ByteSource, listZipEntries, readZipEntry, readZipEntryHead, readZipEntryPrefix, ZipEntry } from './zip';
import { decodeNpyData, headerText, NpyArray, NpyDtype, NpyHeader, npyDataBytes, NpyStrings, parseNpy, parseNpyHeader, parseNpyUnicode, parseNpyUnicodeHeader, shapeSize } from './npy';

/** Limits on what an .npz entry may declare (see the file comment); documented in docs/cli-data.md. */
export const NPZ_LIMITS = Object.freeze({
  /** Largest inflated / compressed ratio accepted for a large entry (real image data: about 1.5-20:1). */
  maxRatio: 200,
  /** Entries up to this many bytes are not ratio-checked (they cannot hurt). */
  ratioAppliesAbove: 64 * 1024 * 1024,
  /** Deflate's own limit: 258 bytes per 2 bits, about 1032:1 (zlib's technical note). */
  deflateMaxRatio: 1032,
});

/** What an archive holds for one key, from its header only (the data are not read). */
export interface NpzEntryInfo {
  /** The array's name (`train_images`), i.e. the entry name without `.npy`. */
  key: string;
  /** The numeric dtype, or `unicode` for numpy string arrays (`<U..`: class names, file names). */
  dtype: NpyDtype | 'unicode';
  /** numpy's type string, e.g. `|u1` or `>f4`. */
  descr: string;
  shape: number[];
  fortranOrder: boolean;
  /** Bytes of the .npy entry uncompressed, and as stored in the zip. */
  size: number;
  compressedSize: number;
}

/**
 * An .npz to read: its bytes, or a `ByteSource` (in Node `fileSource(path)` from src/io/file-source.ts reads a
 * file without loading it whole). A source passed in is closed when the read is done.
 */
export type NpzInput = Uint8Array | ByteSource;

function openSource(input: NpzInput): ByteSource {
  return input instanceof Uint8Array ? bufferSource(input) : input;
}

function arrayEntries(src: ByteSource): Map<string, ZipEntry> {
  const map = new Map<string, ZipEntry>();
  for (const e of listZipEntries(src)) if (e.name.endsWith('.npy')) map.set(e.name.slice(0, -4), e);
  return map;
}

/**
 * Read an entry's .npy header (inflating at most a few KiB) and check it against the entry's declared size:
 * the header plus `prod(shape) * itemSize` must be exactly the entry's size, and a deflated entry cannot
 * declare more than `deflateMaxRatio` times its compressed size.
 */
function entryHeader(src: ByteSource, e: ZipEntry): NpyHeader {
  const where = `${src.name}: ${e.name}`;
  if (e.method === 8 && e.size > e.compressedSize * NPZ_LIMITS.deflateMaxRatio + 1024) {
    throw new Error(`${where}: the zip directory declares ${e.size} bytes from ${e.compressedSize} compressed, more than deflate can produce: the file is damaged or forged.`);
  }
  const h = parseNpyHeader(readZipEntryPrefix(src, e, 65536), where);
  let data: number;
  try {
    data = npyDataBytes(h);
  } catch {
    data = Infinity;
  }
  if (h.dataOffset + data !== e.size) {
    const needs = Number.isFinite(data) ? `${h.dataOffset + data} bytes with its header` : 'more bytes than any file can hold';
    throw new Error(
      `${where}: its header says shape [${h.shape.join(', ')}] (${h.descr}), ${needs}, but the entry holds ${e.size} bytes: the file is damaged or its header lies. Re-save the array with numpy.`,
    );
  }
  return h;
}

/** Refuse a large entry that inflates at more than `maxRatio`:1 (before inflating it). */
function checkRatio(src: ByteSource, e: ZipEntry, inflated = e.size): void {
  if (e.method !== 8 || inflated <= NPZ_LIMITS.ratioAppliesAbove) return;
  const ratio = e.size / Math.max(1, e.compressedSize);
  if (ratio > NPZ_LIMITS.maxRatio) {
    throw new Error(
      `${src.name}: ${e.name} declares ${e.size} bytes from ${e.compressedSize} compressed (ratio ${Math.round(ratio)}:1, above the ${NPZ_LIMITS.maxRatio}:1 limit for entries over ${NPZ_LIMITS.ratioAppliesAbove / 1048576} MiB): ` +
        'a decompression bomb or an array of constant values. Use --limit N to read only the first N images, or, if the array is genuine, save it uncompressed (np.savez, not np.savez_compressed).',
    );
  }
}

/**
 * List the arrays in an .npz (file path or bytes) with dtype and shape, reading only their headers. Each
 * header is checked against its entry's declared size (an impossible shape is an Error, never reported).
 */
export function readNpzInfo(input: NpzInput): NpzEntryInfo[] {
  const src = openSource(input);
  try {
    return [...arrayEntries(src)].map(([key, e]) => {
      const where = `${src.name}: ${e.name}`;
      const head = readZipEntryPrefix(src, e, 65536);
      if (/'descr':\s*'[<>|=]U\d+'/.test(headerText(head, 1))) {
        // Numpy unicode strings (class names, file names): described, checked against the entry's size, not decoded.
        const u = parseNpyUnicodeHeader(head, where);
        if (u.dataOffset + shapeSize(u.shape) * u.width * 4 !== e.size) throw new Error(`${where}: its header says ${shapeSize(u.shape)} strings of ${u.width} characters, which do not fill the entry's ${e.size} bytes: the file is damaged or its header lies.`);
        return { key, dtype: 'unicode' as const, descr: u.descr, shape: u.shape, fortranOrder: u.fortranOrder, size: e.size, compressedSize: e.compressedSize };
      }
      const h = entryHeader(src, e);
      return { key, dtype: h.dtype, descr: h.descr, shape: h.shape, fortranOrder: h.fortranOrder, size: e.size, compressedSize: e.compressedSize };
    });
  } finally {
    src.close();
  }
}

function missingKey(src: ByteSource, entries: Map<string, ZipEntry>, key: string): Error {
  return new Error(`${src.name}: no array "${key}" in this .npz; it holds: ${[...entries.keys()].join(', ') || 'no arrays'}.`);
}

/**
 * Read the arrays of an .npz (file path or bytes). With `keys`, only those are read and a missing key is an
 * Error that lists the keys present. Memory: every header is checked against its entry's size and the ratio
 * limit before anything is inflated; each entry is then inflated once, bounded by its declared size.
 */
export function readNpz(input: NpzInput, options: { keys?: readonly string[] } = {}): Record<string, NpyArray> {
  const src = openSource(input);
  try {
    const entries = arrayEntries(src);
    const wanted = options.keys ?? [...entries.keys()];
    for (const key of wanted) {
      const e = entries.get(key);
      if (!e) throw missingKey(src, entries, key);
      entryHeader(src, e);
      checkRatio(src, e);
    }
    const out: Record<string, NpyArray> = {};
    for (const key of wanted) {
      const e = entries.get(key)!;
      out[key] = parseNpy(readZipEntry(src, e), `${src.name}: ${e.name}`);
    }
    return out;
  } finally {
    src.close();
  }
}

/** The array names (keys) of an .npz, in archive order, without reading any array. */
export function listNpzKeys(input: NpzInput): string[] {
  const src = openSource(input);
  try {
    return [...arrayEntries(src).keys()];
  } finally {
    src.close();
  }
}

/** Read one array of numpy unicode strings (`<U..`, e.g. file names) from an .npz; see `parseNpyUnicode`. */
export function readNpzStrings(input: NpzInput, key: string): NpyStrings {
  const src = openSource(input);
  try {
    const entries = arrayEntries(src);
    const e = entries.get(key);
    if (!e) throw missingKey(src, entries, key);
    checkRatio(src, e);
    return parseNpyUnicode(readZipEntry(src, e), `${src.name}: ${e.name}`);
  } finally {
    src.close();
  }
}

/**
 * The first `rows` rows (along the first axis) of one array of an .npz, inflating only those bytes: a
 * `--limit` that costs what it keeps. The whole array is read when it has `rows` rows or fewer, or is stored in
 * Fortran order (whose first rows are not contiguous). Not CRC-checked when only a part is read.
 */
export async function readNpzHead(input: NpzInput, key: string, rows: number): Promise<NpyArray> {
  if (!Number.isInteger(rows) || rows < 0) throw new Error(`readNpzHead: rows must be a whole number >= 0, got ${rows}.`);
  const src = openSource(input);
  try {
    const entries = arrayEntries(src);
    const e = entries.get(key);
    if (!e) throw missingKey(src, entries, key);
    const h = entryHeader(src, e);
    const where = `${src.name}: ${e.name}`;
    if (h.shape.length === 0 || h.shape[0] <= rows || h.fortranOrder) {
      checkRatio(src, e);
      return parseNpy(readZipEntry(src, e), where);
    }
    const rowBytes = npyDataBytes({ ...h, shape: h.shape.slice(1) });
    const want = h.dataOffset + rows * rowBytes;
    const buf = await readZipEntryHead(src, e, want);
    return decodeNpyData({ ...h, shape: [rows, ...h.shape.slice(1)] }, buf.subarray(h.dataOffset, want), where);
  } finally {
    src.close();
  }
}
