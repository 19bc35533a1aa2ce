/**
 * `.npz` archives (numpy's `np.savez` / `np.savez_compressed`): a zip of `.npy` arrays, one per key.
 * Built on `zip.ts` (reading) and `npy.ts` (decoding); see those files for what is checked.
 */
import { bufferSource, ByteSource, fileSource, listZipEntries, readZipEntry, readZipEntryPrefix, ZipEntry } from './zip';
import { NpyArray, NpyDtype, NpyStrings, parseNpy, parseNpyHeader, parseNpyUnicode } from './npy';

/** What an archive holds for one key, from its header only (the data are not read). */
export interface NpzEntryInfo {
  /** The array's name (`train_images`), i.e. the entry name without `.npy`. */
  key: string;
  dtype: NpyDtype;
  /** numpy's type string, e.g. `|u1` or `>f4`. */
  descr: string;
  shape: number[];
  fortranOrder: boolean;
  /** Bytes of the .npy entry uncompressed, and as stored in the zip. */
  size: number;
  compressedSize: number;
}

function openSource(input: string | Uint8Array): ByteSource {
  return typeof input === 'string' ? fileSource(input) : bufferSource(input);
}

function arrayEntries(src: ByteSource): Map<string, ZipEntry> {
  const map = new Map<string, ZipEntry>();
  for (const e of listZipEntries(src)) if (e.name.endsWith('.npy')) map.set(e.name.slice(0, -4), e);
  return map;
}

/** List the arrays in an .npz (file path or bytes) with dtype and shape, reading only their headers. */
export function readNpzInfo(input: string | Uint8Array): NpzEntryInfo[] {
  const src = openSource(input);
  try {
    return [...arrayEntries(src)].map(([key, e]) => {
      const head = readZipEntryPrefix(src, e, 65536);
      const h = parseNpyHeader(head, `${src.name}: ${e.name}`);
      return { key, dtype: h.dtype, descr: h.descr, shape: h.shape, fortranOrder: h.fortranOrder, size: e.size, compressedSize: e.compressedSize };
    });
  } finally {
    src.close();
  }
}

/**
 * Read the arrays of an .npz (file path or bytes). With `keys`, only those are read and a missing key is an
 * Error that lists the keys present. Memory: each entry is inflated once, bounded by its declared size.
 */
export function readNpz(input: string | Uint8Array, options: { keys?: readonly string[] } = {}): Record<string, NpyArray> {
  const src = openSource(input);
  try {
    const entries = arrayEntries(src);
    const wanted = options.keys ?? [...entries.keys()];
    const out: Record<string, NpyArray> = {};
    for (const key of wanted) {
      const e = entries.get(key);
      if (!e) throw new Error(`${src.name}: no array "${key}" in this .npz; it holds: ${[...entries.keys()].join(', ') || 'no arrays'}.`);
      out[key] = parseNpy(readZipEntry(src, e), `${src.name}: ${e.name}`);
    }
    return out;
  } finally {
    src.close();
  }
}

/** The array names (keys) of an .npz, in archive order, without reading any array. */
export function listNpzKeys(input: string | Uint8Array): string[] {
  const src = openSource(input);
  try {
    return [...arrayEntries(src).keys()];
  } finally {
    src.close();
  }
}

/** Read one array of numpy unicode strings (`<U..`, e.g. file names) from an .npz; see `parseNpyUnicode`. */
export function readNpzStrings(input: string | Uint8Array, key: string): NpyStrings {
  const src = openSource(input);
  try {
    const entries = arrayEntries(src);
    const e = entries.get(key);
    if (!e) throw new Error(`${src.name}: no array "${key}" in this .npz; it holds: ${[...entries.keys()].join(', ') || 'no arrays'}.`);
    return parseNpyUnicode(readZipEntry(src, e), `${src.name}: ${e.name}`);
  } finally {
    src.close();
  }
}
