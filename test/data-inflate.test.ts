/**
 * The plain-TypeScript inflater (src/data/formats/deflate-decode.ts, inflate.ts) gives zlib's bytes: every level
 * and strategy, zlib and gzip wrappers, every bundled .npz entry; damaged streams are clear errors, never a hang.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { crc32 } from '../src/data/formats/crc32';
import { gunzip, inflateRaw, InflateError, InflateLimitError, inflateRawStream, inflateZlib } from '../src/data/formats/inflate';
import { bufferSource, listZipEntries } from '../src/data/formats/zip';

const root = path.resolve(__dirname, '..');

/** Deterministic bytes over an alphabet of `alphabet` symbols with runs (xorshift32): compressible to a chosen degree. */
function sample(n: number, seed: number, alphabet: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  for (let i = 0; i < n;) {
    const v = next() % alphabet;
    const run = next() % 4 === 0 ? 1 + (next() % 40) : 1;
    for (let k = 0; k < run && i < n; k++) out[i++] = v;
  }
  return out;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

/** Bits packed least significant first, as deflate reads them: each [value, count]. */
function bitsOut(fields: [number, number][]): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let n = 0;
  for (const [v, count] of fields) {
    for (let i = 0; i < count; i++) {
      acc |= ((v >> i) & 1) << n;
      if (++n === 8) {
        out.push(acc);
        acc = 0;
        n = 0;
      }
    }
  }
  if (n) out.push(acc);
  return Uint8Array.from(out);
}

/** A Huffman code of `len` bits as bitsOut writes it (codes go most significant bit first). */
function code(value: number, len: number): number {
  let r = 0;
  for (let i = 0; i < len; i++) r |= ((value >> i) & 1) << (len - 1 - i);
  return r;
}

const { Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED } = zlib.constants;
const STRATEGIES = { default: Z_DEFAULT_STRATEGY, filtered: Z_FILTERED, 'huffman only': Z_HUFFMAN_ONLY, rle: Z_RLE, fixed: Z_FIXED };

/** The raw deflate data of every deflated entry of an .npz. */
function deflatedEntries(file: string): { name: string; raw: Uint8Array }[] {
  const buf = fs.readFileSync(file);
  return listZipEntries(bufferSource(buf)).filter((e) => e.method === 8).map((e) => {
    const start = e.localHeaderOffset + 30 + buf.readUInt16LE(e.localHeaderOffset + 26) + buf.readUInt16LE(e.localHeaderOffset + 28);
    return { name: e.name, raw: buf.subarray(start, start + e.compressedSize) };
  });
}

describe('inflate (plain TypeScript) equals zlib', () => {
  test('every level 0-9 and strategy, on data from incompressible to runs, sizes 0 to 300 KB', () => {
    let n = 0;
    for (const size of [0, 1, 2, 257, 4096, 65535, 65537, 300_000]) {
      for (const alphabet of [1, 4, 256]) {
        const data = sample(size, size * 7 + alphabet, alphabet);
        for (let level = 0; level <= 9; level++) {
          for (const [strategyName, strategy] of Object.entries(STRATEGIES)) {
            const where = `size ${size}, alphabet ${alphabet}, level ${level}, strategy ${strategyName}`;
            const raw = zlib.deflateRawSync(data, { level, strategy });
            assert.ok(same(inflateRaw(raw), zlib.inflateRawSync(raw)), where);
            n++;
          }
        }
      }
    }
    assert.equal(n, 8 * 3 * 10 * 5);
  });

  test('a match reaching back the full 32 KiB window and across output chunks', () => {
    const block = sample(32768, 5, 256);
    const data = new Uint8Array(32768 * 5);
    for (let i = 0; i < 5; i++) data.set(block, i * 32768);
    const raw = zlib.deflateRawSync(data, { level: 9 });
    assert.ok(raw.length < 40_000, 'zlib found the 32 KiB matches');
    assert.ok(same(inflateRaw(raw), data));
  });

  test('zlib (RFC 1950) and gzip (RFC 1952, with a file name and two members) wrappers', () => {
    const data = sample(100_000, 3, 16);
    assert.ok(same(inflateZlib(zlib.deflateSync(data, { level: 6 })), data));
    const named = Buffer.from(zlib.gzipSync(data));
    named[3] |= 8; // FNAME: insert a zero-terminated name after the 10-byte header
    const withName = Buffer.concat([named.subarray(0, 10), Buffer.from('images.idx\0'), named.subarray(10)]);
    assert.ok(same(gunzip(withName), zlib.gunzipSync(withName)));
    const two = Buffer.concat([zlib.gzipSync(data.subarray(0, 500)), zlib.gzipSync(data.subarray(500))]);
    assert.ok(same(gunzip(two), data));
  });

  test('every deflated entry of every bundled .npz (data/ and test/fixtures/) inflates to zlib\'s bytes', () => {
    const files = [
      ...fs.readdirSync(path.join(root, 'data')).filter((f) => f.endsWith('.npz')).map((f) => path.join(root, 'data', f)),
      ...fs.readdirSync(path.join(root, 'test', 'fixtures', 'npz')).map((f) => path.join(root, 'test', 'fixtures', 'npz', f)),
    ];
    let entries = 0;
    for (const file of files) {
      let listed: { name: string; raw: Uint8Array }[];
      try {
        listed = deflatedEntries(file);
      } catch {
        continue; // a fixture whose zip directory is damaged on purpose
      }
      for (const { name, raw } of listed) {
        let expected: Buffer | null = null;
        try {
          expected = zlib.inflateRawSync(raw);
        } catch {
          // damaged on purpose: ours must refuse it too
        }
        const where = `${path.relative(root, file)}: ${name}`;
        if (expected) assert.ok(same(inflateRaw(raw), expected), where);
        else assert.throws(() => inflateRaw(raw), InflateError, where);
        entries++;
      }
    }
    assert.ok(entries >= 20, `only ${entries} deflated entries found`);
  });

  test('a prefix of a stream (partial) inflates to a prefix of the output, as zlib\'s sync flush does', () => {
    const data = sample(200_000, 11, 64);
    const raw = zlib.deflateRawSync(data);
    for (const cut of [0, 1, 100, 8192, 30_000]) {
      const mine = inflateRaw(raw.subarray(0, cut), { partial: true });
      const theirs = zlib.inflateRawSync(raw.subarray(0, cut), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      assert.ok(same(mine, data.subarray(0, mine.length)), `cut ${cut}: a prefix of the data`);
      assert.ok(same(mine, theirs), `cut ${cut}: zlib's bytes (${mine.length} vs ${theirs.length})`);
    }
    const stored = zlib.deflateRawSync(data, { level: 0 });
    assert.ok(same(inflateRaw(stored.subarray(0, 5000), { partial: true }), zlib.inflateRawSync(stored.subarray(0, 5000), { finishFlush: zlib.constants.Z_SYNC_FLUSH })));
  });
});

describe('inflate bounds and stops', () => {
  test('maxOutput stops a bomb early with InflateLimitError (1 GB of zeros is never allocated)', () => {
    const bomb = zlib.deflateRawSync(new Uint8Array(50_000_000));
    assert.throws(() => inflateRaw(bomb, { maxOutput: 1_000_000 }), (e: unknown) => e instanceof InflateLimitError && /more than 1000000 bytes/.test((e as Error).message));
    assert.equal(inflateRaw(bomb, { maxOutput: 50_000_000 }).length, 50_000_000);
  });

  test('inflateRawStream reads input piece by piece, hands chunks over and stops when asked', () => {
    const data = sample(1_000_000, 9, 8);
    const raw = zlib.deflateRawSync(data);
    const reads: number[] = [];
    const chunks: Uint8Array[] = [];
    inflateRawStream(raw.length, (o, n) => {
      reads.push(n);
      return raw.subarray(o, o + n);
    }, (c) => {
      chunks.push(c);
      return true;
    });
    assert.ok(Math.max(...reads) <= 65536 && reads.length > 1);
    assert.ok(same(Buffer.concat(chunks), data));
    let got = 0;
    const readsBefore = reads.length;
    inflateRawStream(raw.length, (o, n) => {
      reads.push(n);
      return raw.subarray(o, o + n);
    }, (c) => {
      got += c.length;
      return got < 100_000;
    });
    assert.ok(got >= 100_000 && got < 300_000, `stopped after ${got} bytes`);
    assert.ok(reads.length - readsBefore < readsBefore, 'stopping early reads less input');
  });
});

describe('damaged streams are clear errors', () => {
  const data = sample(50_000, 21, 32);
  const raw = zlib.deflateRawSync(data);

  test('truncated: "unexpected end of data" (marked truncated), at every cut of a small stream', () => {
    const small = zlib.deflateRawSync(sample(3000, 2, 16));
    for (let cut = 0; cut < small.length; cut++) {
      assert.throws(() => inflateRaw(small.subarray(0, cut)), (e: unknown) => e instanceof InflateError && (e as InflateError).truncated && /unexpected end of data/.test((e as Error).message), `cut ${cut}`);
    }
  });

  test('invalid block type, stored lengths, distance too far back, bad codes', () => {
    assert.throws(() => inflateRaw(Uint8Array.of(0b111)), /invalid block type/);
    assert.throws(() => inflateRaw(Uint8Array.of(1, 5, 0, 5, 0, 1, 2, 3, 4, 5)), /invalid stored block lengths/);
    // Fixed-code blocks: 'a', then a match of 3 at distance `d`, then end of block.
    const fixedBlock = (d: number) => bitsOut([[1, 1], [1, 2], [code(0x30 + 0x61, 8), 8], [code(1, 7), 7], [code(d - 1, 5), 5], [code(0, 7), 7]]);
    assert.ok(same(inflateRaw(fixedBlock(1)), Buffer.from('aaaa')));
    assert.ok(same(zlib.inflateRawSync(fixedBlock(1)), Buffer.from('aaaa')));
    assert.throws(() => inflateRaw(fixedBlock(2)), /invalid distance too far back/);
    assert.throws(() => zlib.inflateRawSync(fixedBlock(2)), /invalid distance too far back/);
    // Dynamic block header declaring 287 literal/length codes (at most 286 exist).
    assert.throws(() => inflateRaw(bitsOut([[1, 1], [2, 2], [30, 5], [0, 5], [0, 4]])), /too many length or distance symbols/);
  });

  test('random corruption of a valid stream: an InflateError or zlib\'s own bytes, never a hang or another error', () => {
    let refused = 0;
    for (let k = 0; k < 300; k++) {
      const bad = Buffer.from(raw);
      const r = sample(4, k + 100, 256);
      bad[(r[0] * 256 + r[1]) % bad.length] ^= 1 << (r[2] % 8);
      let theirs: Buffer | null = null;
      try {
        theirs = zlib.inflateRawSync(bad);
      } catch {
        // refused by zlib
      }
      try {
        const mine = inflateRaw(bad);
        assert.ok(theirs && same(mine, theirs), `flip ${k}: accepted, so it must equal zlib's output`);
      } catch (e) {
        assert.ok(e instanceof InflateError, `flip ${k}: ${(e as Error).message}`);
        assert.equal(theirs, null, `flip ${k}: zlib inflates it but ours refused (${(e as Error).message})`);
        refused++;
      }
    }
    assert.ok(refused >= 10 && refused <= 290, `${refused} of 300 corruptions refused: both paths must be exercised`);
  });

  test('zlib and gzip checksums are checked', () => {
    const z = Buffer.from(zlib.deflateSync(data));
    z[z.length - 1] ^= 1;
    assert.throws(() => inflateZlib(z), /incorrect data check/);
    const g = Buffer.from(zlib.gzipSync(data));
    g[g.length - 6] ^= 1;
    assert.throws(() => gunzip(g), /CRC-32 mismatch/);
    assert.throws(() => inflateZlib(Uint8Array.of(1, 2, 3)), /incorrect header check/);
  });
});

test('crc32 equals zlib\'s (continued from a previous value too)', () => {
  const data = sample(100_000, 4, 256);
  const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  // zlib.crc32 exists from Node 20.15; the check values of the standard ("123456789" → cbf43926) hold everywhere.
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  if (native) {
    assert.equal(crc32(data), native(data) >>> 0);
    assert.equal(crc32(data.subarray(500), crc32(data.subarray(0, 500))), native(data) >>> 0);
  }
});
