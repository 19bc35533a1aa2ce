/**
 * A minimal PNG encoder (8-bit grey or RGB, no interlace) in plain TypeScript, after the PNG specification
 * (ISO/IEC 15948): signature, IHDR, one IDAT (filter type 0 on every row), IEND. The IDAT's zlib stream holds
 * stored (uncompressed) deflate blocks: any PNG reader accepts them, the bytes are the same in Node and in a web
 * page (no zlib needed), and the price is size (a 28x28 grey image takes 880 bytes: its 784 pixels and 96 of framing), which is
 * small for the figures and check images this library draws.
 */
import { concatBytes } from './bytes';
import { crc32 } from './crc32';
import { adler32 } from './inflate';

/** Largest stored deflate block (its length is a 16-bit field). */
const STORED_MAX = 0xffff;

/** `data` as a zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4): valid, uncompressed. */
export function zlibStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / STORED_MAX));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78; // deflate, 32K window
  out[1] = 0x01; // no preset dictionary, fastest; (0x78 << 8 | 0x01) % 31 === 0
  let at = 2;
  for (let k = 0; k < blocks; k++) {
    const start = k * STORED_MAX;
    const len = Math.min(STORED_MAX, data.length - start);
    out[at] = k === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00 (stored)
    out[at + 1] = len & 0xff;
    out[at + 2] = len >>> 8;
    out[at + 3] = ~len & 0xff;
    out[at + 4] = (~len >>> 8) & 0xff;
    out.set(data.subarray(start, start + len), at + 5);
    at += 5 + len;
  }
  new DataView(out.buffer).setUint32(at, adler32(data));
  return out;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/**
 * Encode `data` (`[height, width, channels]` flattened, 8-bit) as a PNG file. `channels` 1 is greyscale,
 * 3 is RGB.
 */
export function encodePng(image: { width: number; height: number; channels: 1 | 3; data: Uint8Array }): Uint8Array {
  const { width, height, channels, data } = image;
  if (!(width > 0 && height > 0) || data.length !== width * height * channels) {
    throw new Error(`PNG data holds ${data.length} bytes, expected ${width}x${height}x${channels} = ${width * height * channels}.`);
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 3 ? 2 : 0; // colour type: truecolour or greyscale
  // compression 0, filter 0, interlace 0
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1); // filter byte 0: none
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlibStored(raw)), chunk('IEND', new Uint8Array(0))];
  return concatBytes(parts);
}
