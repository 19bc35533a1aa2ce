/**
 * A minimal PNG encoder (8-bit grey or RGB, no interlace) on Node's zlib, after the PNG specification
 * (ISO/IEC 15948): signature, IHDR, one IDAT (filter type 0 on every row, zlib stream), IEND.
 */
import * as zlib from 'zlib';
import { crc32 } from '../data/formats/crc32';

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(body.buffer, body.byteOffset, body.byteLength).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/**
 * Encode `data` (`[height, width, channels]` flattened, 8-bit) as a PNG file. `channels` 1 is greyscale,
 * 3 is RGB.
 */
export function encodePng(image: { width: number; height: number; channels: 1 | 3; data: Uint8Array }): Buffer {
  const { width, height, channels, data } = image;
  if (!(width > 0 && height > 0) || data.length !== width * height * channels) {
    throw new Error(`PNG data holds ${data.length} bytes, expected ${width}x${height}x${channels} = ${width * height * channels}.`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 3 ? 2 : 0; // colour type: truecolour or greyscale
  // compression 0, filter 0, interlace 0
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}
