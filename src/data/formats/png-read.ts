/**
 * A minimal PNG decoder in plain TypeScript (inflating with ./inflate, so it reads the same in a web page), after the PNG specification (ISO/IEC 15948): the chunks are checked
 * (signature, CRC), IDAT data inflated and unfiltered (None, Sub, Up, Average, Paeth). Reads non-interlaced
 * greyscale (1, 2, 4, 8, 16 bits), RGB (8, 16), palette (1-8 bits), grey + alpha and RGBA (8, 16); alpha is
 * dropped, 16-bit samples keep their high byte. Palette images give their palette indices with `palette` set,
 * which is what a mask stored as a palette PNG means (class = index).
 */
import { concatBytes } from './bytes';
import { crc32 } from './crc32';
import { inflateZlib } from './inflate';

/** A decoded image: `data` is `[height, width, channels]` 8-bit, channels 1 (grey or palette index) or 3 (RGB). */
export interface DecodedPng {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
  /** RGB triples of a palette image (its `data` are indices). */
  palette?: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Samples per pixel of each colour type. */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decode a PNG file's bytes; `name` starts error messages. */
export function decodePng(bytes: Uint8Array, name = '<png>'): DecodedPng {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error(`${name}: not a PNG file (bad signature).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let type = -1;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  while (at + 12 <= bytes.length) {
    const len = view.getUint32(at);
    const kind = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + len > bytes.length) throw new Error(`${name}: chunk ${kind} is cut short (truncated file).`);
    const body = bytes.subarray(at + 8, at + 8 + len);
    if (crc32(bytes.subarray(at + 4, at + 8 + len)) !== view.getUint32(at + 8 + len)) throw new Error(`${name}: chunk ${kind} fails its CRC check (damaged file).`);
    if (kind === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      depth = body[8];
      type = body[9];
      if (body[12] !== 0) throw new Error(`${name}: interlaced (Adam7) PNGs are not supported; re-save it without interlacing.`);
    } else if (kind === 'PLTE') palette = Uint8Array.from(body);
    else if (kind === 'IDAT') idat.push(body);
    else if (kind === 'IEND') break;
    at += 12 + len;
  }
  const samples = SAMPLES[type];
  if (!samples || !(width > 0 && height > 0)) throw new Error(`${name}: missing or unsupported IHDR (colour type ${type}).`);
  if (![1, 2, 4, 8, 16].includes(depth) || (depth < 8 && type !== 0 && type !== 3)) throw new Error(`${name}: bit depth ${depth} with colour type ${type} is not valid PNG.`);
  if (type === 3 && !palette) throw new Error(`${name}: palette image without a PLTE chunk.`);
  const bitsPerPixel = samples * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  let raw: Uint8Array;
  try {
    // Bounded by what the header says the image holds: a tiny file cannot inflate into gigabytes.
    raw = inflateZlib(concatBytes(idat), { maxOutput: (stride + 1) * height });
  } catch (e) {
    throw new Error(`${name}: image data do not inflate (${(e as Error).message}): the file is damaged.`);
  }
  if (raw.length < (stride + 1) * height) throw new Error(`${name}: image data hold ${raw.length} bytes, expected ${(stride + 1) * height}.`);
  const lines = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = lines.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? lines.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      const x = src[i];
      if (filter === 0) out[i] = x;
      else if (filter === 1) out[i] = (x + a) & 255;
      else if (filter === 2) out[i] = (x + b) & 255;
      else if (filter === 3) out[i] = (x + ((a + b) >> 1)) & 255;
      else if (filter === 4) out[i] = (x + paeth(a, b, c)) & 255;
      else throw new Error(`${name}: row ${y} has an unknown filter type ${filter}.`);
    }
  }
  const channels: 1 | 3 = type === 2 || type === 6 ? 3 : 1;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const row = lines.subarray(y * stride, (y + 1) * stride);
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let v: number;
        if (depth < 8) {
          const bit = x * depth;
          v = (row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
          // Grey samples of 1-4 bits are scaled to 0..255; palette indices stay indices.
          if (type === 0) v = Math.round((v * 255) / ((1 << depth) - 1));
        } else {
          v = row[(x * samples + c) * (depth >> 3)];
        }
        data[(y * width + x) * channels + c] = v;
      }
    }
  }
  return palette ? { width, height, channels, data, palette } : { width, height, channels, data };
}
