/** .npy / .npz reader against files written by numpy (test/fixtures/make_npz_fixtures.py) and malformed ones. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { readNpz, readNpzInfo } from '../src/data/formats/npz';
import { parseNpy } from '../src/data/formats/npy';
import { crc32 } from '../src/data/formats/crc32';
import { fileSource } from '../src/io/file-source';

const DIR = path.join(__dirname, 'fixtures', 'npz');
const fixture = (name: string) => path.join(DIR, name);
interface Expected {
  files: Record<string, Record<string, { descr: string; shape: number[]; fortranOrder: boolean; values: number[] }>>;
}
const expected: Expected = JSON.parse(fs.readFileSync(fixture('expected.json'), 'utf8'));

describe('npz written by numpy', () => {
  for (const [file, arrays] of Object.entries(expected.files)) {
    test(`${file}: every array has numpy's shape, dtype and values`, () => {
      const got = readNpz(fileSource(fixture(file)));
      assert.deepEqual(Object.keys(got).sort(), Object.keys(arrays).sort());
      for (const [key, want] of Object.entries(arrays)) {
        const a = got[key];
        assert.deepEqual(a.shape, want.shape, `${key} shape`);
        assert.equal(a.fortranOrder, want.fortranOrder, `${key} order`);
        assert.deepEqual(Array.from(a.data), want.values, `${key} values`);
      }
    });
  }

  test('reads from a Buffer the same as from a path', () => {
    const fromBuf = readNpz(fs.readFileSync(fixture('dtypes_be_deflate.npz')));
    const fromPath = readNpz(fileSource(fixture('dtypes_be_deflate.npz')));
    assert.deepEqual(Array.from(fromBuf.f8.data), Array.from(fromPath.f8.data));
  });

  test('typed arrays match the dtype', () => {
    const a = readNpz(fileSource(fixture('dtypes_be_deflate.npz')));
    assert.ok(a.u1.data instanceof Uint8Array && a.i1.data instanceof Int8Array && a.u2.data instanceof Uint16Array);
    assert.ok(a.i2.data instanceof Int16Array && a.u4.data instanceof Uint32Array && a.i4.data instanceof Int32Array);
    assert.ok(a.f4.data instanceof Float32Array && a.f8.data instanceof Float64Array && a.b1.data instanceof Uint8Array);
    assert.equal(a.b1.dtype, 'bool');
    assert.equal(readNpz(fileSource(fixture('orders.npz'))).int64.dtype, 'int64');
  });

  test('Fortran-order arrays come back in C order', () => {
    const { f3d } = readNpz(fileSource(fixture('orders.npz')));
    assert.equal(f3d.fortranOrder, true);
    assert.deepEqual(f3d.shape, [2, 3, 4]);
    // element [1, 2, 3] is the last one in C order
    assert.equal(f3d.data[1 * 12 + 2 * 4 + 3], expected.files['orders.npz'].f3d.values[23]);
  });

  test('header versions 2.0 and 3.0, and ZIP64 central directory records', () => {
    assert.deepEqual(Array.from(readNpz(fileSource(fixture('versions.npz'))).v2.data), [0, -3, -6, -9, -12, -15]);
    const z = readNpz(fileSource(fixture('zip64.npz')));
    assert.deepEqual(z.a.shape, [3, 4]);
    assert.equal(z.a.data[11], 2.75);
  });

  test('readNpzInfo reads headers only; keys option reads a subset', () => {
    const info = readNpzInfo(fileSource(path.join(__dirname, '..', 'data', 'breastmnist.npz')));
    const train = info.find((e) => e.key === 'train_images');
    assert.deepEqual(train?.shape, [546, 28, 28]);
    assert.equal(train?.descr, '|u1');
    const some = readNpz(fileSource(fixture('orders.npz')), { keys: ['vector'] });
    assert.deepEqual(Object.keys(some), ['vector']);
    assert.throws(() => readNpz(fileSource(fixture('orders.npz')), { keys: ['nope'] }), /no array "nope" in this \.npz; it holds: f3d, f2d_be, c3d, scalar, empty, vector, int64\./);
  });

  test('crc32 matches the standard check value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    // Continued over pieces it equals the CRC of the whole.
    assert.equal(crc32(Buffer.from('56789'), crc32(Buffer.from('1234'))), 0xcbf43926);
  });
});

describe('malformed files give the right error', () => {
  const cases: [string, RegExp][] = [
    ['truncated.npz', /truncated\.npz: not a zip archive or truncated \(no end-of-central-directory record found\)\./],
    ['not_a_zip.npz', /not a zip archive or truncated/],
    ['bad_header.npz', /x\.npy: bad \.npy header \(unexpected token at character 34/],
    ['bad_magic.npz', /x\.npy: not a \.npy array \(missing the \\x93NUMPY magic string\)\./],
    ['pickled_object.npz', /obj\.npy: holds a Python object array \(a pickle\)\. Pickles can run code, so they are never loaded/],
    // Both are refused from the header and the zip directory, before anything is inflated.
    ['lying_npy_shape.npz', /x\.npy: its header says shape \[1000000000\] \(<f8\), 8000000128 bytes with its header, but the entry holds 144 bytes/],
    ['lying_zip_size.npz', /x\.npy: the zip directory declares 3000000000 bytes from 78 compressed, more than deflate can produce/],
    ['bad_crc.npz', /entry "u1\.npy" fails its CRC-32 check: the file is damaged\./],
  ];
  for (const [file, message] of cases) {
    test(file, () => assert.throws(() => readNpz(fileSource(fixture(file))), message));
  }

  test('a .npy whose data are cut short, and one with trailing bytes', () => {
    const good = fs.readFileSync(fixture('dtypes_le_stored.npz'));
    const start = good.indexOf('\x93NUMPY', 0, 'latin1');
    const npy = good.subarray(start, start + 128 + 6); // header (128 bytes) + 6 uint8 values
    assert.deepEqual(Array.from(parseNpy(npy).data), [0, 1, 2, 127, 128, 255]);
    assert.throws(() => parseNpy(npy.subarray(0, 130), 'cut.npy'), /cut\.npy: header claims 6 bytes of data .* but only 2 follow/);
    assert.throws(() => parseNpy(Buffer.concat([npy, Buffer.from([1])]), 'long.npy'), /long\.npy: 1 unexpected bytes after the array data/);
    assert.throws(() => parseNpy(npy.subarray(0, 40), 'head.npy'), /head\.npy: \.npy header claims 118 bytes but the file is cut short/);
  });

  test('truncating a valid archive anywhere never yields an array', () => {
    const good = fs.readFileSync(fixture('dtypes_be_deflate.npz'));
    for (let cut = 0; cut < good.length; cut += 97) {
      assert.throws(() => readNpz(good.subarray(0, cut)), Error, `cut at ${cut}`);
    }
  });
});
