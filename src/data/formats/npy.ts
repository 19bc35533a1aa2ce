/**
 * A reader for numpy's `.npy` format (versions 1, 2 and 3), without Python and without ever running a pickle.
 *
 * Supported dtypes: u1 i1 u2 i2 u4 i4 f4 f8 b1, plus i8/u8 (returned as float64 when every value is exactly
 * representable), each little- or big-endian, C or Fortran order. Arrays are always returned in C order.
 * Object arrays (which numpy stores as pickles) and structured dtypes are refused with an Error.
 * Format reference: numpy's NEP 1 / `numpy.lib.format` documentation.
 */

/** Element types we read, named as numpy names them. */
export type NpyDtype = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64' | 'bool' | 'int64' | 'uint64';

/** Typed arrays the reader returns (bool → Uint8Array of 0/1; int64/uint64 → Float64Array). */
export type NpyData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** What a .npy header says. */
export interface NpyHeader {
  /** Format version, e.g. `[1, 0]`. */
  version: [number, number];
  /** numpy's type string, e.g. `<f4`. */
  descr: string;
  dtype: NpyDtype;
  littleEndian: boolean;
  /** Bytes per element in the file. */
  itemSize: number;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset where the array data start. */
  dataOffset: number;
}

/** A decoded array: `data` in C (row-major) order with `shape`. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
  /** Whether the file stored it in Fortran order (the data here are already converted to C order). */
  fortranOrder: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const TYPES: Record<string, { dtype: NpyDtype; size: number }> = {
  u1: { dtype: 'uint8', size: 1 },
  i1: { dtype: 'int8', size: 1 },
  b1: { dtype: 'bool', size: 1 },
  u2: { dtype: 'uint16', size: 2 },
  i2: { dtype: 'int16', size: 2 },
  u4: { dtype: 'uint32', size: 4 },
  i4: { dtype: 'int32', size: 4 },
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
  i8: { dtype: 'int64', size: 8 },
  u8: { dtype: 'uint64', size: 8 },
};

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

/** Parse the Python literal in a .npy header: dicts, tuples, lists, strings, ints, True/False/None. Never evaluates code. */
function parsePyLiteral(text: string, where: string): PyValue {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${where}: bad .npy header (${why} at character ${i} of "${text.trim().slice(0, 120)}").`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (depth: number): PyValue => {
    if (depth > 8) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      const dict: { [k: string]: PyValue } = {};
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          break;
        }
        if (c === '{') {
          const key = value(depth + 1);
          if (typeof key !== 'string') fail('dict key is not a string');
          ws();
          if (text[i] !== ':') fail('expected ":"');
          i++;
          dict[key as string] = value(depth + 1);
        } else items.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected "," or "${close}"`);
      }
      return c === '{' ? dict : items;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i, i + 32));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace('L', ''));
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

/** A .npy header's text: UTF-8 in format version 3, Latin-1 before (each byte one character). */
export function headerText(bytes: Uint8Array, major: number): string {
  if (major === 3) return new TextDecoder().decode(bytes);
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

/**
 * Read and check a .npy header. `name` is used in error messages.
 * Throws for a bad magic string, an unknown version, a malformed header, object/pickle or structured dtypes.
 */
export function parseNpyHeader(buf: Uint8Array, name = '<npy>'): NpyHeader {
  if (buf.length < 10 || MAGIC.some((b, k) => buf[k] !== b)) throw new Error(`${name}: not a .npy array (missing the \\x93NUMPY magic string).`);
  const major = buf[6];
  const minor = buf[7];
  if (major < 1 || major > 3) throw new Error(`${name}: .npy format version ${major}.${minor} is not supported (1, 2 and 3 are).`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lenBytes) throw new Error(`${name}: .npy header is cut short.`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lenBytes + headerLen;
  if (dataOffset > buf.length) throw new Error(`${name}: .npy header claims ${headerLen} bytes but the file is cut short (truncated).`);
  const text = headerText(buf.subarray(8 + lenBytes, 8 + lenBytes + headerLen), major);
  const dict = parsePyLiteral(text, name);
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) throw new Error(`${name}: bad .npy header (not a dict).`);
  const { descr, fortran_order: fortran, shape } = dict as { [k: string]: PyValue };
  if (typeof descr !== 'string') {
    throw new Error(`${name}: structured (record) dtypes are not supported; save plain numeric arrays (e.g. np.savez(f, x=x.astype(np.float32))).`);
  }
  if (typeof fortran !== 'boolean') throw new Error(`${name}: bad .npy header ("fortran_order" must be True or False).`);
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`${name}: bad .npy header ("shape" must be a tuple of non-negative integers).`);
  }
  const order = descr[0];
  const code = descr.slice(1);
  if (code === 'O' || descr === 'O') {
    throw new Error(
      `${name}: holds a Python object array (a pickle). Pickles can run code, so they are never loaded; re-save the data as numeric arrays (e.g. np.savez(f, x=np.asarray(x, dtype=np.float32))).`,
    );
  }
  const type = TYPES[code];
  if (/^U\d+$/.test(code)) {
    throw new Error(`${name}: holds numpy unicode strings ("${descr}"), not numbers; read it with parseNpyUnicode() (text such as file names), or leave this key out.`);
  }
  if (!type || !'<>|='.includes(order)) {
    throw new Error(`${name}: dtype "${descr}" is not supported; supported: ${Object.keys(TYPES).join(', ')} (little- or big-endian).`);
  }
  return {
    version: [major, minor],
    descr,
    dtype: type.dtype,
    littleEndian: order !== '>',
    itemSize: type.size,
    fortranOrder: fortran,
    shape: shape as number[],
    dataOffset,
  };
}

/** Number of elements of `shape`, refusing products that overflow. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) throw new Error(`Array shape [${shape.join(', ')}] is implausibly large.`);
  }
  return n;
}

/** Reorder a Fortran-order (column-major) buffer into C order. */
function fortranToC<T extends NpyData>(src: T, shape: readonly number[]): T {
  const n = src.length;
  const out = new (src.constructor as { new (n: number): T })(n);
  const rank = shape.length;
  if (rank < 2) {
    out.set(src);
    return out;
  }
  // Fortran strides: stride[0] = 1, stride[k] = stride[k-1] * shape[k-1].
  const fStride = new Array<number>(rank);
  fStride[0] = 1;
  for (let k = 1; k < rank; k++) fStride[k] = fStride[k - 1] * shape[k - 1];
  const idx = new Array<number>(rank).fill(0);
  let f = 0;
  for (let c = 0; c < n; c++) {
    out[c] = src[f];
    // Advance the C-order multi-index (last axis fastest), keeping the Fortran offset in step.
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      f += fStride[k];
      if (idx[k] < shape[k]) break;
      f -= fStride[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * Decode a whole .npy file held in `buf`. The data must be exactly as long as the header says: a header that
 * claims more bytes than the file holds is an Error (nothing is allocated for it), and so are trailing bytes.
 */
export function parseNpy(buf: Uint8Array, name = '<npy>'): NpyArray {
  const h = parseNpyHeader(buf, name);
  const count = shapeSize(h.shape);
  const bytes = count * h.itemSize;
  const available = buf.length - h.dataOffset;
  if (bytes > available) {
    throw new Error(`${name}: header claims ${bytes} bytes of data (shape [${h.shape.join(', ')}], ${h.descr}) but only ${available} follow (truncated file or lying header).`);
  }
  if (bytes < available) throw new Error(`${name}: ${available - bytes} unexpected bytes after the array data (damaged file).`);
  return decodeNpyData(h, buf.subarray(h.dataOffset, h.dataOffset + bytes), name);
}

/** Bytes of the array data a header describes: `prod(shape) * itemSize` (overflow-checked). */
export function npyDataBytes(h: NpyHeader): number {
  const bytes = shapeSize(h.shape) * h.itemSize;
  if (!Number.isSafeInteger(bytes)) throw new Error(`Array shape [${h.shape.join(', ')}] is implausibly large.`);
  return bytes;
}

/**
 * Decode array data laid out as header `h` describes (`input` holds exactly `prod(h.shape) * itemSize` bytes):
 * `parseNpy` uses it for whole files, and readers of the first rows of a C-order array pass a header whose
 * first dimension is the number of rows read.
 */
export function decodeNpyData(h: NpyHeader, input: Uint8Array, name = '<npy>'): NpyArray {
  const count = shapeSize(h.shape);
  const bytes = count * h.itemSize;
  if (input.length !== bytes) throw new Error(`${name}: ${input.length} bytes of array data for shape [${h.shape.join(', ')}] (${h.descr}), which needs ${bytes}.`);
  // Copy into a fresh, aligned buffer; swap bytes in place when the file is big-endian.
  const raw = new Uint8Array(bytes);
  raw.set(input);
  if (!h.littleEndian && h.itemSize > 1) {
    const s = h.itemSize;
    for (let p = 0; p < bytes; p += s) {
      for (let a = p, b = p + s - 1; a < b; a++, b--) {
        const t = raw[a];
        raw[a] = raw[b];
        raw[b] = t;
      }
    }
  }
  let data: NpyData;
  switch (h.dtype) {
    case 'uint8':
      data = raw;
      break;
    case 'bool':
      for (let k = 0; k < raw.length; k++) raw[k] = raw[k] ? 1 : 0;
      data = raw;
      break;
    case 'int8':
      data = new Int8Array(raw.buffer);
      break;
    case 'uint16':
      data = new Uint16Array(raw.buffer);
      break;
    case 'int16':
      data = new Int16Array(raw.buffer);
      break;
    case 'uint32':
      data = new Uint32Array(raw.buffer);
      break;
    case 'int32':
      data = new Int32Array(raw.buffer);
      break;
    case 'float32':
      data = new Float32Array(raw.buffer);
      break;
    case 'float64':
      data = new Float64Array(raw.buffer);
      break;
    case 'int64':
    case 'uint64': {
      const big = h.dtype === 'int64' ? new BigInt64Array(raw.buffer) : new BigUint64Array(raw.buffer);
      const out = new Float64Array(count);
      const limit = BigInt(Number.MAX_SAFE_INTEGER);
      for (let k = 0; k < count; k++) {
        const v = big[k];
        if (v > limit || v < -limit) throw new Error(`${name}: ${h.dtype} value ${v} at index ${k} does not fit a float64 exactly; convert the array to a smaller type.`);
        out[k] = Number(v);
      }
      data = out;
      break;
    }
  }
  if (h.fortranOrder) data = fortranToC(data, h.shape);
  return { dtype: h.dtype, shape: h.shape, data, fortranOrder: h.fortranOrder };
}

/** A numpy unicode string array (dtype `<U..`) decoded to JavaScript strings, C order. */
export interface NpyStrings {
  shape: number[];
  strings: string[];
}

/**
 * Decode a .npy file of numpy unicode strings (`<U12`, `>U12`): fixed-width UTF-32 code points, NUL-padded at the
 * end (numpy drops trailing NULs when reading, and so does this). Not a pickle: nothing is evaluated.
 * Throws for any other dtype, a truncated file or an invalid code point.
 */
/** The header of a .npy file of numpy unicode strings: width in characters, shape, byte order and data offset. */
export function parseNpyUnicodeHeader(buf: Uint8Array, name = '<npy>'): { descr: string; width: number; shape: number[]; little: boolean; fortranOrder: boolean; dataOffset: number } {
  if (buf.length < 10 || MAGIC.some((b, k) => buf[k] !== b)) throw new Error(`${name}: not a .npy array (missing the \\x93NUMPY magic string).`);
  const major = buf[6];
  if (major < 1 || major > 3) throw new Error(`${name}: .npy format version ${major}.${buf[7]} is not supported (1, 2 and 3 are).`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lenBytes + headerLen;
  if (dataOffset > buf.length) throw new Error(`${name}: .npy header is cut short (truncated).`);
  const text = headerText(buf.subarray(8 + lenBytes, 8 + lenBytes + headerLen), major);
  const dict = parsePyLiteral(text, name) as { [k: string]: PyValue };
  const descr = dict?.descr;
  const m = typeof descr === 'string' ? /^([<>|=])U(\d+)$/.exec(descr) : null;
  if (!m) throw new Error(`${name}: dtype ${JSON.stringify(descr)} is not a numpy unicode string type (<U..); use parseNpy() for numbers.`);
  const shape = dict.shape;
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`${name}: bad .npy header ("shape" must be a tuple of non-negative integers).`);
  }
  return { descr: descr as string, width: Number(m[2]), shape: shape as number[], little: m[1] !== '>', fortranOrder: dict.fortran_order === true, dataOffset };
}

export function parseNpyUnicode(buf: Uint8Array, name = '<npy>'): NpyStrings {
  const { width, shape, little, fortranOrder, dataOffset } = parseNpyUnicodeHeader(buf, name);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const count = shapeSize(shape);
  if (count * width * 4 !== buf.length - dataOffset) {
    throw new Error(`${name}: ${count} strings of ${width} characters need ${count * width * 4} bytes but ${buf.length - dataOffset} follow the header (damaged file).`);
  }
  const strings = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const codes: number[] = [];
    for (let k = 0; k < width; k++) {
      const cp = view.getUint32(dataOffset + (i * width + k) * 4, little);
      if (cp > 0x10ffff) throw new Error(`${name}: string ${i} holds an invalid code point ${cp}.`);
      codes.push(cp);
    }
    while (codes.length && codes[codes.length - 1] === 0) codes.pop();
    strings[i] = String.fromCodePoint(...codes);
  }
  // Fortran order only permutes which string sits where; put them in C order.
  if (fortranOrder && shape.length > 1) {
    const idx = Int32Array.from({ length: count }, (_, k) => k);
    const c = fortranToC(idx, shape as number[]);
    return { shape: shape as number[], strings: Array.from(c, (k) => strings[k]) };
  }
  return { shape: shape as number[], strings };
}

/** One array to write: numbers (uint8, int16 or int32, C order) or numpy unicode strings (`<U..`). */
export type NpyToWrite =
  | { dtype: 'uint8'; shape: readonly number[]; data: Uint8Array }
  | { dtype: 'int16'; shape: readonly number[]; data: Int16Array }
  | { dtype: 'int32'; shape: readonly number[]; data: Int32Array }
  | { dtype: 'unicode'; shape: readonly number[]; strings: readonly string[] };
