import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Sha256, sha256Tag } from '../src/hash/sha256';

/** A deterministic byte stream (xorshift32), so a failure names an input that can be rebuilt. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 255;
  }
  return out;
}

const node = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

describe('SHA-256 (src/hash/sha256.ts)', () => {
  test('NIST FIPS 180-4 example vectors', () => {
    assert.equal(new Sha256().update('abc').hex(), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(new Sha256().hex(), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(new Sha256().update('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq').hex(), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    assert.equal(
      new Sha256().update('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu').hex(),
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    );
    assert.equal(new Sha256().update('a'.repeat(1_000_000)).hex(), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  test('equals node:crypto on every length 0..1000 (random bytes), whole and in random pieces', () => {
    for (let n = 0; n <= 1000; n++) {
      const data = bytes(n, n + 1);
      assert.equal(new Sha256().update(data).hex(), node(data), `length ${n}`);
      // The same message fed in pieces of random sizes (0 included) crosses every block boundary case.
      const h = new Sha256();
      const rnd = bytes(64, n + 7);
      for (let at = 0, k = 0; at < n; k++) {
        const step = Math.min(n - at, rnd[k % 64] % 150);
        h.update(data.subarray(at, at + step));
        at += step;
      }
      assert.equal(h.hex(), node(data), `length ${n} in pieces`);
    }
  });

  test('equals node:crypto on a few MB and on subarray views', () => {
    const big = bytes(3 * 1048576 + 17, 99);
    assert.equal(new Sha256().update(big).hex(), node(big));
    const view = big.subarray(5, 5 + 200_003);
    assert.equal(new Sha256().update(view).hex(), node(view));
    const floats = new Float32Array(big.buffer, 8, 1000);
    assert.equal(new Sha256().update(new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength)).hex(), node(new Uint8Array(floats.buffer, 8, 4000)));
  });

  test('strings hash as their UTF-8 bytes, as node:crypto\'s update(text, "utf8") does (lone surrogates included)', () => {
    for (const s of ['', 'sha256', 'blocks.3.attn.qkv.lora_A\nfloat32\n64,192\n', 'Ünïcödé → ✓ 𝔸 中文', 'lone \ud800 surrogate \udc00', '{"a":[1,null,"x"]}'.repeat(50)]) {
      assert.equal(new Sha256().update(s).hex(), createHash('sha256').update(s, 'utf8').digest('hex'), JSON.stringify(s.slice(0, 20)));
    }
  });

  test('sha256Tag hashes its parts in order as one message', () => {
    const a = bytes(100, 3);
    const expected = createHash('sha256').update(a).update('[64,64]').digest('hex');
    assert.equal(sha256Tag(a, '[64,64]'), `sha256:${expected}`);
  });

  test('refuses update or digest after the digest (a reused hash would silently give another message\'s value)', () => {
    const h = new Sha256().update('x');
    h.hex();
    assert.throws(() => h.update('y'), /update\(\) after digest\(\)/);
    assert.throws(() => h.digest(), /digest\(\) called twice/);
  });
});
