/**
 * JPEG-family pixel data: JPEG Baseline/Extended 8-bit through `jpeg-js` (pure JS, BSD-3-Clause) and JPEG
 * Lossless Process 14 through `jpeg-lossless-decoder-js` (pure JS, MIT). Every frame header is checked against
 * the DICOM attributes first, so a stream we cannot decode exactly is refused, never returned as guesswork.
 */
import * as jpeg from 'jpeg-js';
import { DicomError, TransferSyntax, unsupportedSyntaxError } from './dicom-syntax';
import { PixelLayout } from './dicom-pixels';

/** The start-of-frame header of a JPEG stream (ITU T.81 B.2.2). */
export interface JpegFrameHeader {
  /** SOF marker low byte: 0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless, ... */
  sof: number;
  precision: number;
  rows: number;
  columns: number;
  components: number;
}

/** Find the SOF header by walking the marker segments; throws if the stream has none. */
export function readJpegFrameHeader(data: Uint8Array): JpegFrameHeader {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) {
    throw new DicomError('malformed', 'Encapsulated frame does not start with a JPEG SOI marker (FFD8).');
  }
  let i = 2;
  while (i + 4 <= data.length) {
    if (data[i] !== 0xff) throw new DicomError('malformed', `JPEG marker expected at byte ${i} of the frame.`);
    const marker = data[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const length = (data[i + 2] << 8) | data[i + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (i + 10 > data.length) break;
      return {
        sof: marker,
        precision: data[i + 4],
        rows: (data[i + 5] << 8) | data[i + 6],
        columns: (data[i + 7] << 8) | data[i + 8],
        components: data[i + 9],
      };
    }
    i += 2 + length;
  }
  throw new DicomError('truncated', 'JPEG frame ends before its start-of-frame header.');
}

function checkFrame(h: JpegFrameHeader, l: PixelLayout, ts: TransferSyntax): void {
  if (h.rows !== l.rows || h.columns !== l.columns || h.components !== l.samplesPerPixel) {
    throw new DicomError(
      'malformed',
      `JPEG frame is ${h.rows}x${h.columns}x${h.components} but the DICOM header says ` +
        `${l.rows}x${l.columns}x${l.samplesPerPixel} (${ts.name}, ${ts.uid}).`,
      ts,
    );
  }
}

/**
 * Decode one JPEG Baseline/Extended frame with 8-bit precision into interleaved 8-bit samples
 * (`rows * columns * samplesPerPixel` bytes). Colour frames come back as RGB: YBR_FULL / YBR_FULL_422 data
 * is converted (the JPEG codec's colour transform), data labelled RGB is taken as stored.
 */
export function decodeJpegBaselineFrame(frame: Uint8Array, l: PixelLayout, ts: TransferSyntax, photometric: string): Uint8Array {
  const h = readJpegFrameHeader(frame);
  if (h.sof !== 0xc0 && h.sof !== 0xc1) {
    throw unsupportedSyntaxError(ts, `the frame is coded with JPEG SOF marker FF${h.sof.toString(16).toUpperCase()}, not baseline/extended sequential DCT`);
  }
  if (h.precision !== 8 || l.bitsAllocated !== 8) {
    throw unsupportedSyntaxError(ts, `${h.precision}-bit JPEG precision (Bits Allocated ${l.bitsAllocated}); only 8-bit is decoded`);
  }
  checkFrame(h, l, ts);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(frame, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      colorTransform: l.samplesPerPixel === 3 ? photometric.startsWith('YBR') : undefined,
    });
  } catch (e) {
    throw new DicomError('malformed', `JPEG frame could not be decoded (${ts.name}, ${ts.uid}): ${(e as Error).message ?? e}`, ts);
  }
  const pixels = l.rows * l.columns;
  if (l.samplesPerPixel === 3) return img.data.subarray(0, pixels * 3);
  // jpeg-js always returns RGB; a one-component frame has R = G = B
  const grey = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) grey[p] = img.data[p * 3];
  return grey;
}

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
}
// The package ships no type declarations; this is the one method we use.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const lossless: { Decoder: new () => LosslessDecoder } = require('jpeg-lossless-decoder-js');

/**
 * Decode one JPEG Lossless (Process 14, SOF3) frame into native little-endian interleaved sample bytes
 * (`rows * columns * samplesPerPixel * bitsAllocated / 8`). Sign and bits stored are fixed by the caller.
 */
export function decodeJpegLosslessFrame(frame: Uint8Array, l: PixelLayout, ts: TransferSyntax): Uint8Array {
  const h = readJpegFrameHeader(frame);
  if (h.sof !== 0xc3) {
    throw unsupportedSyntaxError(ts, `the frame is coded with JPEG SOF marker FF${h.sof.toString(16).toUpperCase()}, not lossless SOF3`);
  }
  if (l.bitsAllocated > 16 || h.precision > l.bitsAllocated) {
    throw unsupportedSyntaxError(ts, `${h.precision}-bit precision with Bits Allocated ${l.bitsAllocated}`);
  }
  checkFrame(h, l, ts);
  const numBytes = l.bitsAllocated / 8;
  let out: Uint8Array | Uint16Array;
  try {
    out = new lossless.Decoder().decode(frame.buffer as ArrayBuffer, frame.byteOffset, frame.byteLength, numBytes);
  } catch (e) {
    throw new DicomError('malformed', `JPEG Lossless frame could not be decoded (${ts.name}, ${ts.uid}): ${(e as Error).message ?? e}`, ts);
  }
  const need = l.rows * l.columns * l.samplesPerPixel;
  if (out.length < need) {
    throw new DicomError('malformed', `JPEG Lossless frame decoded to ${out.length} samples, expected ${need}.`, ts);
  }
  if (out instanceof Uint8Array) return out.subarray(0, need);
  // typed arrays use the host byte order; every platform Node runs on is little endian
  return new Uint8Array(out.buffer, out.byteOffset, need * 2);
}
