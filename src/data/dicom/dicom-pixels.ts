/**
 * From stored pixel bytes to values: native (uncompressed) decoding with byte order, planar configuration,
 * signed data and bits stored; the modality LUT (rescale slope/intercept); pixel statistics.
 */
import { DicomError } from './dicom-syntax';

/**
 * Size limits of the DICOM reader (documented in docs/cli-dicom.md): files are read whole, so a file, the
 * decoded pixels, and a deflated data set's inflated size are capped before anything that large is allocated.
 */
export const DICOM_LIMITS = Object.freeze({
  /** Largest file read (bytes). */
  maxFileBytes: 1024 * 1024 * 1024,
  /** Largest decoded image: Rows x Columns x frames x samples x BitsAllocated / 8 (bytes). */
  maxPixelBytes: 1024 * 1024 * 1024,
  /** Deflated syntax: most bytes inflated before the Pixel Data element must appear (the tags before it). */
  maxHeaderBytes: 64 * 1024 * 1024,
  /** Deflated syntax: bytes allowed after the pixel data the header justifies (trailing elements, padding). */
  maxTrailerBytes: 64 * 1024,
});

/** Bytes of decoded pixel data the layout describes (Rows x Columns x frames x samples x BitsAllocated / 8). */
export function pixelDataBytes(l: PixelLayout): number {
  return l.rows * l.columns * l.frames * l.samplesPerPixel * Math.ceil(l.bitsAllocated / 8);
}

/** Stored sample values, or rescaled values (`Float32Array`) when the modality LUT is not the identity. */
export type DicomPixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

/** What the pixel decoders need to know about the image. */
export interface PixelLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  /** 0: interleaved (R G B R G B ...), 1: planar (R R ... G G ... B B ...). */
  planarConfiguration: number;
  frames: number;
}

/** Samples in one frame: `rows * columns * samplesPerPixel`. */
export function samplesPerFrame(l: PixelLayout): number {
  return l.rows * l.columns * l.samplesPerPixel;
}

/** Throws for bit depths and sample counts we do not read (1-bit segmentations, 12-bit packed, ...). */
export function checkLayout(l: PixelLayout): void {
  if (![8, 16, 32].includes(l.bitsAllocated)) {
    throw new DicomError(
      'unsupported-pixel-format',
      `Bits Allocated ${l.bitsAllocated} is not supported (8, 16 and 32 are); 1-bit segmentation masks are not images to train on.`,
    );
  }
  if (l.bitsStored < 1 || l.bitsStored > l.bitsAllocated) {
    throw new DicomError('malformed', `Bits Stored ${l.bitsStored} does not fit Bits Allocated ${l.bitsAllocated}.`);
  }
  if (l.samplesPerPixel !== 1 && l.samplesPerPixel !== 3) {
    throw new DicomError('unsupported-pixel-format', `Samples per Pixel ${l.samplesPerPixel} is not supported (1 or 3 are).`);
  }
  if (l.rows < 1 || l.columns < 1 || l.frames < 1) {
    throw new DicomError('malformed', `Image size ${l.rows}x${l.columns} with ${l.frames} frame(s) is not a valid image.`);
  }
  const bytes = pixelDataBytes(l);
  if (bytes > DICOM_LIMITS.maxPixelBytes) {
    throw new DicomError(
      'too-large',
      `Image of ${l.rows} x ${l.columns} pixels, ${l.frames} frame(s), ${l.samplesPerPixel} sample(s) at ${l.bitsAllocated} bits would decode to ${bytes} bytes, ` +
        `too large (the limit is ${DICOM_LIMITS.maxPixelBytes} bytes): the header is wrong, or split the series into smaller files.`,
    );
  }
}

function allocate(l: PixelLayout, n: number): Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array {
  const signed = l.pixelRepresentation === 1;
  if (l.bitsAllocated === 8) return signed ? new Int8Array(n) : new Uint8Array(n);
  if (l.bitsAllocated === 16) return signed ? new Int16Array(n) : new Uint16Array(n);
  return signed ? new Int32Array(n) : new Uint32Array(n);
}

/**
 * Read native pixel data (`frames` frames back to back) into stored values, channels last:
 * `[frames, rows, columns, samplesPerPixel]` flattened. Planar data is interleaved; big-endian samples are
 * byte-swapped. `bytes` shorter than the image is a `truncated` error; extra bytes (padding) are ignored.
 */
export function decodeNative(bytes: Uint8Array, l: PixelLayout, bigEndian: boolean): DicomPixelArray {
  checkLayout(l);
  const bps = l.bitsAllocated / 8;
  const perFrame = samplesPerFrame(l);
  const need = perFrame * l.frames * bps;
  if (bytes.length < need) {
    throw new DicomError(
      'truncated',
      `Pixel data holds ${bytes.length} bytes but ${l.frames} frame(s) of ${l.rows}x${l.columns}x${l.samplesPerPixel} ` +
        `at ${l.bitsAllocated} bits need ${need}: the file is truncated or its header is wrong.`,
    );
  }
  const out = allocate(l, perFrame * l.frames);
  const view = new DataView(bytes.buffer, bytes.byteOffset, need);
  const little = !bigEndian;
  const signed = l.pixelRepresentation === 1;
  const read =
    bps === 1
      ? signed
        ? (o: number) => view.getInt8(o)
        : (o: number) => view.getUint8(o)
      : bps === 2
        ? signed
          ? (o: number) => view.getInt16(o, little)
          : (o: number) => view.getUint16(o, little)
        : signed
          ? (o: number) => view.getInt32(o, little)
          : (o: number) => view.getUint32(o, little);
  const pixels = l.rows * l.columns;
  const spp = l.samplesPerPixel;
  for (let f = 0; f < l.frames; f++) {
    const base = f * perFrame;
    if (l.planarConfiguration === 1 && spp > 1) {
      for (let s = 0; s < spp; s++) {
        for (let p = 0; p < pixels; p++) out[base + p * spp + s] = read((base + s * pixels + p) * bps);
      }
    } else {
      for (let i = 0; i < perFrame; i++) out[base + i] = read((base + i) * bps);
    }
  }
  fixBitsStored(out, l);
  return out;
}

/**
 * Keep only the low `bitsStored` bits of each sample: unused high bits are masked off (unsigned data) or
 * replaced by the sign bit (signed data, two's complement in `bitsStored` bits, PS3.5 8.1.1).
 */
export function fixBitsStored(values: DicomPixelArray, l: PixelLayout): void {
  if (l.bitsStored >= l.bitsAllocated) return;
  const shift = 32 - l.bitsStored;
  if (l.pixelRepresentation === 1) {
    for (let i = 0; i < values.length; i++) values[i] = (values[i] << shift) >> shift;
  } else {
    const mask = 2 ** l.bitsStored - 1;
    for (let i = 0; i < values.length; i++) values[i] = values[i] & mask;
  }
}

/**
 * Apply the modality LUT `value = stored * slope + intercept` (PS3.3 C.11.1). The identity returns `stored`
 * itself; anything else returns a new `Float32Array` (exact for integer slope/intercept below 2^24 in magnitude).
 */
export function applyModalityLut(stored: DicomPixelArray, slope: number, intercept: number): DicomPixelArray {
  if (slope === 1 && intercept === 0) return stored;
  const out = new Float32Array(stored.length);
  for (let i = 0; i < stored.length; i++) out[i] = stored[i] * slope + intercept;
  return out;
}

/** Minimum, maximum and mean of the values (the mean accumulated in float64). */
export interface PixelStats {
  min: number;
  max: number;
  mean: number;
}

/** Statistics over every value (all frames, all samples). */
export function pixelStats(values: ArrayLike<number>): PixelStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: values.length ? sum / values.length : NaN };
}
