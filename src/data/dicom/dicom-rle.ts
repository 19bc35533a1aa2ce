/**
 * RLE Lossless (1.2.840.10008.1.2.5) decoding, after DICOM PS3.5 Annex G: each frame is a 64-byte header
 * (segment count + 15 offsets) followed by PackBits-coded segments, one per byte of each sample, most
 * significant byte first (so a 16-bit RGB frame has 6 segments: R hi, R lo, G hi, G lo, B hi, B lo).
 */
import { DicomError } from './dicom-syntax';

/**
 * Decode one PackBits segment into exactly `length` bytes. Throws if the segment runs out early, so a
 * damaged segment is an error, never a partly filled image.
 */
export function unpackBits(src: Uint8Array, start: number, end: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let i = start;
  let o = 0;
  while (o < length && i < end) {
    const n = src[i++];
    if (n < 128) {
      // literal run of n + 1 bytes
      const count = n + 1;
      if (i + count > end || o + count > length) break;
      out.set(src.subarray(i, i + count), o);
      i += count;
      o += count;
    } else if (n > 128) {
      // the next byte repeated 257 - n times
      const count = 257 - n;
      if (i >= end || o + count > length) break;
      out.fill(src[i++], o, o + count);
      o += count;
    }
    // n === 128 (-128): no operation
  }
  if (o !== length) {
    throw new DicomError('malformed', `RLE segment decodes to ${o} bytes, expected ${length}: the pixel data is damaged.`);
  }
  return out;
}

/**
 * Decode one RLE frame into native little-endian, interleaved (`[rows, columns, samples]`) sample bytes:
 * `rows * columns * samplesPerPixel * bytesPerSample` bytes, ready for the native pixel reader.
 */
export function decodeRleFrame(frame: Uint8Array, pixels: number, samplesPerPixel: number, bytesPerSample: number): Uint8Array {
  if (frame.length < 64) throw new DicomError('truncated', `RLE frame is ${frame.length} bytes, shorter than its 64-byte header.`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const expected = samplesPerPixel * bytesPerSample;
  if (segments !== expected) {
    throw new DicomError(
      'malformed',
      `RLE frame has ${segments} segments, expected ${expected} (${samplesPerPixel} samples x ${bytesPerSample} bytes).`,
    );
  }
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(view.getUint32(4 + 4 * s, true));
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s];
    const end = s + 1 < segments ? offsets[s + 1] : frame.length;
    if (start < 64 || end > frame.length || end < start) {
      throw new DicomError('malformed', `RLE segment ${s} has offsets ${start}..${end} outside the ${frame.length}-byte frame.`);
    }
    const bytes = unpackBits(frame, start, end, pixels);
    const sample = Math.floor(s / bytesPerSample);
    // segment order is most significant byte first; native little endian puts it last
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    const stride = expected;
    let o = sample * bytesPerSample + byteInSample;
    for (let p = 0; p < pixels; p++, o += stride) out[o] = bytes[p];
  }
  return out;
}
