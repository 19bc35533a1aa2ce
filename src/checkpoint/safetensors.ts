/**
 * safetensors encoding and decoding, bytes in and out (the format of Hugging Face's `safetensors`): an 8-byte
 * little-endian header length n, n bytes of JSON header, then the raw little-endian tensor data. The header maps each tensor name to
 * `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative to the data section) and may hold
 * `__metadata__`, a map of string to string.
 *
 * Reading is defensive: the header length is capped (`MAX_HEADER_BYTES`, 100 MB) and checked against the file
 * size before anything is allocated, and every entry is validated (known dtype, non-negative integer shape,
 * offsets inside the data, `prod(shape) * dtypeSize == end - begin`, no overlaps or gaps), so a hostile file
 * cannot make us allocate more than its own size.
 *
 * Bytes only, so a web page reads and writes the same files; reading and writing files is src/io/safetensors.ts.
 */

/** Largest header accepted (bytes). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** Bytes per element of each safetensors dtype. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
});

/** One tensor as stored: dtype name, shape, raw little-endian bytes. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** A decoded file. */
export interface SafetensorsContents {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

/** Header facts, readable without loading tensor data. */
export interface SafetensorsHeader {
  entries: Map<string, { dtype: string; shape: number[]; begin: number; end: number }>;
  metadata: Record<string, string>;
  /** Length n of the JSON header. */
  headerBytes: number;
  /** Size of the data section. */
  dataBytes: number;
}

if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
  // Typed arrays use the host byte order; safetensors is little-endian.
  throw new Error('tpp-lab safetensors support needs a little-endian host.');
}

function fail(source: string, msg: string): never {
  throw new Error(`Invalid safetensors file ${source}: ${msg}`);
}

/** Validate a parsed header against the data-section size. `source` names the file in errors. */
export function validateHeader(json: unknown, dataBytes: number, headerBytes: number, source: string): SafetensorsHeader {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(source, 'the header is not a JSON object.');
  const entries: SafetensorsHeader['entries'] = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(source, '__metadata__ must be an object of strings.');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(source, `__metadata__["${k}"] is not a string.`);
      }
      metadata = { ...(raw as Record<string, string>) };
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') fail(source, `entry "${name}" is not an object.`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
      fail(source, `tensor "${name}" has unknown dtype ${JSON.stringify(e.dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')}).`);
    }
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(source, `tensor "${name}" has an invalid shape ${JSON.stringify(e.shape)}.`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || off.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      fail(source, `tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}.`);
    }
    const [begin, end] = off as number[];
    if (begin > end || end > dataBytes) {
      fail(source, `tensor "${name}" data_offsets [${begin}, ${end}] fall outside the ${dataBytes}-byte data section.`);
    }
    // Element count with an early stop, so a shape like [1e15, 1e15] cannot overflow into a match.
    let bytes = DTYPE_BYTES[e.dtype as string];
    for (const d of e.shape as number[]) {
      bytes *= d;
      if (bytes > dataBytes) fail(source, `tensor "${name}" shape [${e.shape}] needs more bytes than the file holds.`);
    }
    if (bytes !== end - begin) {
      fail(source, `tensor "${name}" shape [${e.shape}] x ${e.dtype} is ${bytes} bytes but data_offsets span ${end - begin}.`);
    }
    entries.set(name, { dtype: e.dtype as string, shape: [...(e.shape as number[])], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let cursor = 0;
  for (const [name, e] of sorted) {
    if (e.begin < cursor) fail(source, `tensor "${name}" overlaps the previous tensor (offset ${e.begin} < ${cursor}).`);
    if (e.begin > cursor) fail(source, `gap of ${e.begin - cursor} bytes before tensor "${name}".`);
    cursor = e.end;
  }
  if (cursor !== dataBytes) fail(source, `the data section has ${dataBytes - cursor} trailing bytes not covered by any tensor.`);
  return { entries, metadata, headerBytes, dataBytes };
}

export function parseHeaderBytes(bytes: Uint8Array, source: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    return fail(source, `the header is not valid JSON (${(e as Error).message}).`);
  }
}

export function headerLength(first8: Uint8Array, totalBytes: number, source: string, maxHeaderBytes: number): number {
  if (totalBytes < 8) fail(source, `only ${totalBytes} bytes; a safetensors file starts with an 8-byte header length.`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(maxHeaderBytes)) fail(source, `header length ${n} exceeds the ${maxHeaderBytes}-byte limit.`);
  if (Number(n) > totalBytes - 8) fail(source, `header length ${n} is larger than the file (${totalBytes} bytes).`);
  return Number(n);
}

/** The validated header of a whole file held in memory (no tensor is copied). */
export function decodeSafetensorsHeader(bytes: Uint8Array, source = '<buffer>', maxHeaderBytes = MAX_HEADER_BYTES): SafetensorsHeader {
  const n = headerLength(bytes.subarray(0, 8), bytes.byteLength, source, maxHeaderBytes);
  return validateHeader(parseHeaderBytes(bytes.subarray(8, 8 + n), source), bytes.byteLength - 8 - n, n, source);
}

/** Decode a whole file held in memory. Tensor data are copies (aligned, safe to view as typed arrays). */
export function decodeSafetensors(bytes: Uint8Array, source = '<buffer>', maxHeaderBytes = MAX_HEADER_BYTES): SafetensorsContents {
  const header = decodeSafetensorsHeader(bytes, source, maxHeaderBytes);
  const dataStart = 8 + header.headerBytes;
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, e] of header.entries) {
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data: bytes.slice(dataStart + e.begin, dataStart + e.end) });
  }
  return { tensors, metadata: header.metadata };
}

/** A tensor to write: dtype name, shape, and its values (a typed array in host = little-endian order). */
export interface TensorToWrite {
  dtype: string;
  shape: readonly number[];
  data: ArrayBufferView;
}

/** Encode tensors (in the given order, contiguous) and string metadata into safetensors bytes. */
export function encodeSafetensors(tensors: Map<string, TensorToWrite>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error('A tensor cannot be named "__metadata__".');
    const size = DTYPE_BYTES[t.dtype];
    if (!size) throw new Error(`Tensor "${name}" has unknown safetensors dtype "${t.dtype}".`);
    const bytes = t.shape.reduce((a, b) => a * b, size);
    if (bytes !== t.data.byteLength) throw new Error(`Tensor "${name}": shape [${t.shape}] x ${t.dtype} is ${bytes} bytes, data has ${t.data.byteLength}.`);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const text = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so the data section starts 8-byte aligned (what the reference writer does).
  const json = new Uint8Array(text.length + ((8 - (text.length % 8)) % 8)).fill(0x20);
  json.set(text);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** View an F32 entry as a Float32Array (throws naming the dtype otherwise). */
export function entryToFloat32(name: string, e: SafetensorsEntry): Float32Array {
  if (e.dtype !== 'F32') throw new Error(`Tensor "${name}" has dtype ${e.dtype}; expected F32.`);
  return new Float32Array(e.data.buffer, e.data.byteOffset, e.data.byteLength / 4);
}
