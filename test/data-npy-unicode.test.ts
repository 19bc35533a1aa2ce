import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNpy, parseNpyUnicode } from '../src/data/formats/npy';
import * as path from 'node:path';
import { readNpzInfo } from '../src/data/formats/npz';
import { ROOT } from './helpers';
import { fileSource } from '../src/io/file-source';

/** A version-1 .npy file as numpy writes it: magic, header dict padded to 64 bytes, then the data. */
function npy(header: string, data: Uint8Array): Uint8Array {
  let text = header;
  const pad = 64 - ((10 + text.length + 1) % 64);
  text += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(Buffer.from(text, 'latin1'), 10);
  out.set(data, 10 + text.length);
  return out;
}

/** Strings as fixed-width UTF-32, NUL-padded (numpy's `U` dtype). */
function utf32(strings: string[], width: number, little = true): Uint8Array {
  const out = new Uint8Array(strings.length * width * 4);
  const view = new DataView(out.buffer);
  strings.forEach((s, i) => [...s].forEach((ch, k) => view.setUint32((i * width + k) * 4, ch.codePointAt(0)!, little)));
  return out;
}

describe('numpy unicode string arrays (<U..)', () => {
  test('decode little- and big-endian, astral code points, trailing NULs dropped', () => {
    const le = npy("{'descr': '<U3', 'fortran_order': False, 'shape': (2, 2), }", utf32(['a', 'bé', '𝄞x', ''], 3));
    assert.deepEqual(parseNpyUnicode(le), { shape: [2, 2], strings: ['a', 'bé', '𝄞x', ''] });
    const be = npy("{'descr': '>U5', 'fortran_order': False, 'shape': (2,), }", utf32(['hello', 'x'], 5, false));
    assert.deepEqual(parseNpyUnicode(be).strings, ['hello', 'x']);
  });

  test('Fortran order is returned in C order', () => {
    // The [[a, b, c], [d, e, f]] array stored column by column.
    const f = npy("{'descr': '<U1', 'fortran_order': True, 'shape': (2, 3), }", utf32(['a', 'd', 'b', 'e', 'c', 'f'], 1));
    assert.deepEqual(parseNpyUnicode(f).strings, ['a', 'b', 'c', 'd', 'e', 'f']);
  });

  test('parseNpy refuses them with a message naming parseNpyUnicode; a cut file is an error', () => {
    const le = npy("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", utf32(['a', 'b'], 3));
    assert.throws(() => parseNpy(le, 'names.npy'), /names\.npy: holds numpy unicode strings \("<U3"\).*parseNpyUnicode/);
    assert.throws(() => parseNpyUnicode(le.subarray(0, le.length - 4), 'cut.npy'), /cut\.npy: 2 strings of 3 characters need 24 bytes but 20 follow/);
    const num = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4));
    assert.throws(() => parseNpyUnicode(num, 'x.npy'), /x\.npy: dtype "<f4" is not a numpy unicode string type/);
  });
});

test('readNpzInfo describes numpy string arrays (dtype unicode) beside numbers, and refuses one whose header lies about its size', async () => {
  const { npy, zip } = await import('./fixtures/make_bad_inputs');
  const info = readNpzInfo(fileSource(path.join(ROOT, 'data', 'busi_64.npz')));
  const byKey = new Map(info.map((e) => [e.key, e]));
  assert.deepEqual([byKey.get('filenames')!.dtype, byKey.get('filenames')!.descr, byKey.get('filenames')!.shape], ['unicode', '<U29', [780]]);
  assert.equal(byKey.get('images')!.dtype, 'uint8');
  // 3 strings of 5 characters need 60 bytes; this entry holds 40.
  const lying = zip([{ name: 'names.npy', data: npy('<U5', [3], new Uint8Array(40)) }]);
  assert.throws(() => readNpzInfo(new Uint8Array(lying)), /names\.npy: its header says 3 strings of 5 characters, which do not fill the entry's \d+ bytes/);
});
