import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, readSafetensorsFile, readSafetensorsHeader, writeSafetensorsFile, entryToFloat32 } from '../src/io/safetensors';

/** Build a raw file from a header object and a data section. */
function raw(header: unknown, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('round trip: values, shapes, metadata; data section 8-byte aligned', () => {
  const a = new Float32Array([1.5, -2, 3.25, 1e-30, Number.MAX_VALUE > 0 ? 7 : 0, 0]);
  const b = new Int32Array([7, -8]);
  const bytes = encodeSafetensors(new Map([
    ['a.weight', { dtype: 'F32', shape: [2, 3], data: a }],
    ['b', { dtype: 'I32', shape: [2], data: b }],
  ]), { note: 'hello', json: '{"x":1}' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { note: 'hello', json: '{"x":1}' });
  assert.deepEqual(back.tensors.get('a.weight')!.shape, [2, 3]);
  assert.deepEqual(entryToFloat32('a.weight', back.tensors.get('a.weight')!), a);
  assert.deepEqual(new Int32Array(back.tensors.get('b')!.data.buffer), b);
  assert.throws(() => entryToFloat32('b', back.tensors.get('b')!), /Tensor "b" has dtype I32; expected F32/);
});

test('hostile or broken headers are rejected before allocation', () => {
  const f4 = new Uint8Array(16);
  const ok = { t: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } };
  assert.doesNotThrow(() => decodeSafetensors(raw(ok, f4)));
  assert.throws(() => decodeSafetensors(raw(ok, f4, 1n << 60n), 'x'), /Invalid safetensors file x: header length \d+ exceeds the 104857600-byte limit/);
  assert.throws(() => decodeSafetensors(raw(ok, f4, 5000n), 'x'), /header length 5000 is larger than the file/);
  assert.throws(() => decodeSafetensors(new Uint8Array(3), 'x'), /only 3 bytes/);
  assert.throws(() => decodeSafetensors(raw({ t: { dtype: 'F32', shape: [4], data_offsets: [0, 32] } }, f4)), /data_offsets \[0, 32\] fall outside the 16-byte data section/);
  assert.throws(() => decodeSafetensors(raw({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, f4)), /shape \[3\] x F32 is 12 bytes but data_offsets span 16/);
  assert.throws(() => decodeSafetensors(raw({ t: { dtype: 'F32', shape: [1e15, 1e15], data_offsets: [0, 16] } }, f4)), /needs more bytes than the file holds/);
  assert.throws(() => decodeSafetensors(raw({ t: { dtype: 'Q4', shape: [4], data_offsets: [0, 16] } }, f4)), /unknown dtype "Q4"/);
  assert.throws(() => decodeSafetensors(raw({ t: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, f4)), /invalid shape \[-4\]/);
  assert.throws(() => decodeSafetensors(raw({
    a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
  }, f4)), /overlaps the previous tensor/);
  assert.throws(() => decodeSafetensors(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, f4)), /gap of 8 bytes before tensor "a"/);
  assert.throws(() => decodeSafetensors(raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f4)), /8 trailing bytes/);
  assert.throws(() => decodeSafetensors(raw({ ...ok, __metadata__: { n: 3 } }, f4)), /__metadata__\["n"\] is not a string/);
  assert.throws(() => decodeSafetensors(raw([1, 2], new Uint8Array(0))), /header is not a JSON object/);
  const bad = raw(ok, f4);
  bad[9] = 0x7b; // corrupt the JSON
  bad[8] = 0x7b;
  assert.throws(() => decodeSafetensors(bad), /header is not valid JSON/);
});

test('files: atomic write leaves no temp file; header-only read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  const path = join(dir, 'x.safetensors');
  const size = await writeSafetensorsFile(path, new Map([['w', { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }]]), { k: 'v' });
  assert.deepEqual(readdirSync(dir), ['x.safetensors']);
  const header = await readSafetensorsHeader(path);
  assert.equal(header.entries.get('w')!.end, 8);
  assert.equal(8 + header.headerBytes + header.dataBytes, size);
  const back = await readSafetensorsFile(path);
  assert.deepEqual(entryToFloat32('w', back.tensors.get('w')!), new Float32Array([1, 2]));
  writeFileSync(path, raw({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8), 1n << 40n));
  await assert.rejects(readSafetensorsFile(path), /exceeds the 104857600-byte limit/);
});
