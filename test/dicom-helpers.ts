/** Shared helpers for the DICOM tests: fixture paths, expected values, and a small PNG reader. */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

export const FIXTURES = path.join(__dirname, 'fixtures', 'dicom');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface Expected {
  file: string;
  tags: {
    modality: string | null;
    rows: number;
    columns: number;
    bitsAllocated: number;
    bitsStored: number;
    pixelRepresentation: number;
    photometricInterpretation: string;
    samplesPerPixel: number;
    planarConfiguration: number;
    numberOfFrames: number;
    transferSyntaxUid: string;
    transferSyntaxName: string;
    pixelSpacing: [number, number] | null;
    windowCenter: number | null;
    windowWidth: number | null;
    rescaleSlope: number;
    rescaleIntercept: number;
    patientId: string | null;
    sopInstanceUid: string | null;
  };
  pixels: null | {
    shape: [number, number, number, number];
    min: number;
    max: number;
    mean: number;
    sum: number;
    weightedSum: number;
    samples: [number, number][];
    blockMeans: number[][][];
  };
}

/** The values pydicom found (test/fixtures/make_dicom_expected.py). */
export function expected(name: string): Expected {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', name.replace(/\.dcm$/, '.json')), 'utf8'));
}

/** Same definition as the fixture script: frame 0 cut into an 8x8 grid, mean per block and sample. */
export function blockMeans(values: ArrayLike<number>, rows: number, cols: number, spp: number): number[][][] {
  const rb = Array.from({ length: 9 }, (_, k) => Math.floor((k * rows) / 8));
  const cb = Array.from({ length: 9 }, (_, k) => Math.floor((k * cols) / 8));
  const out: number[][][] = [];
  for (let i = 0; i < 8; i++) {
    const row: number[][] = [];
    for (let j = 0; j < 8; j++) {
      const means: number[] = [];
      for (let s = 0; s < spp; s++) {
        let sum = 0;
        let n = 0;
        for (let r = rb[i]; r < Math.max(rb[i + 1], rb[i] + 1); r++) {
          for (let c = cb[j]; c < Math.max(cb[j + 1], cb[j] + 1); c++) {
            sum += values[(r * cols + c) * spp + s];
            n++;
          }
        }
        means.push(sum / n);
      }
      row.push(means);
    }
    out.push(row);
  }
  return out;
}

/** Decode a PNG written by our encoder (8-bit grey or RGB, filter type 0): an independent check of its bytes. */
export function readPng(file: Uint8Array): { width: number; height: number; channels: number; data: Uint8Array } {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG signature');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    const crc = buf.readUInt32BE(pos + 8 + len);
    if (zlib.crc32 && zlib.crc32(buf.subarray(pos + 4, pos + 8 + len)) !== crc) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8) throw new Error('bit depth');
      channels = body[9] === 2 ? 3 : body[9] === 0 ? 1 : -1;
    } else if (type === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    if (raw[y * (stride + 1)] !== 0) throw new Error('filter type');
    data.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, channels, data };
}
