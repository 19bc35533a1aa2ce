/**
 * SHA-256 (FIPS 180-4) in plain TypeScript, so a fingerprint made in a web page equals the one the CLI makes:
 * backbone, settings and dataset fingerprints all hash through here, in Node and in the browser alike. Tested
 * byte for byte against Node's `crypto` and the NIST vectors (test/sha256.test.ts).
 */

/** Round constants: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** Initial hash value: the first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const utf8 = new TextEncoder();

/** An incremental SHA-256: `update` with bytes or text (UTF-8) any number of times, then `hex()` once. */
export class Sha256 {
  private readonly state = Int32Array.from(H0);
  private readonly w = new Int32Array(64);
  /** Bytes of a partial block waiting for more input. */
  private readonly pending = new Uint8Array(64);
  private pendingLength = 0;
  /** Total bytes hashed (a double: exact up to 2^53 bytes). */
  private length = 0;
  private finished = false;

  /** Add `data` to the message: bytes as they are, a string as its UTF-8 bytes. Returns `this` for chaining. */
  update(data: Uint8Array | string): this {
    if (this.finished) throw new Error('Sha256: update() after digest(); start a new Sha256 for another message.');
    const bytes = typeof data === 'string' ? utf8.encode(data) : data;
    this.length += bytes.length;
    let at = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(64 - this.pendingLength, bytes.length);
      this.pending.set(bytes.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      at = take;
      if (this.pendingLength < 64) return this;
      this.blocks(this.pending, 0, 64);
      this.pendingLength = 0;
    }
    const whole = at + Math.floor((bytes.length - at) / 64) * 64;
    this.blocks(bytes, at, whole);
    this.pending.set(bytes.subarray(whole));
    this.pendingLength = bytes.length - whole;
    return this;
  }

  /** The 32-byte digest; the hash cannot be updated afterwards. */
  digest(): Uint8Array {
    if (this.finished) throw new Error('Sha256: digest() called twice; keep the first result.');
    // Padding: a 1 bit, zeros up to 56 mod 64 bytes, then the message length in bits as a 64-bit big-endian number.
    const bits = this.length * 8;
    const tail = new Uint8Array(this.pendingLength < 56 ? 64 : 128);
    tail.set(this.pending.subarray(0, this.pendingLength));
    tail[this.pendingLength] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.length - 8, Math.floor(bits / 0x100000000));
    view.setUint32(tail.length - 4, bits >>> 0);
    this.blocks(tail, 0, tail.length);
    this.finished = true;
    const out = new Uint8Array(32);
    const outView = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) outView.setInt32(i * 4, this.state[i]);
    return out;
  }

  /** The digest as 64 lower-case hex digits. */
  hex(): string {
    let s = '';
    for (const b of this.digest()) s += (b < 16 ? '0' : '') + b.toString(16);
    return s;
  }

  /** Compress the 64-byte blocks of `bytes[from, to)` into the state. */
  private blocks(bytes: Uint8Array, from: number, to: number): void {
    const w = this.w;
    const s = this.state;
    let a0 = s[0], b0 = s[1], c0 = s[2], d0 = s[3], e0 = s[4], f0 = s[5], g0 = s[6], h0 = s[7];
    for (let p = from; p < to; p += 64) {
      for (let i = 0; i < 16; i++) {
        const q = p + i * 4;
        w[i] = (bytes[q] << 24) | (bytes[q + 1] << 16) | (bytes[q + 2] << 8) | bytes[q + 3];
      }
      for (let i = 16; i < 64; i++) {
        const x = w[i - 15];
        const y = w[i - 2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      let a = a0, b = b0, c = c0, d = d0, e = e0, f = f0, g = g0, h = h0;
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g;
        g = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      a0 = (a0 + a) | 0;
      b0 = (b0 + b) | 0;
      c0 = (c0 + c) | 0;
      d0 = (d0 + d) | 0;
      e0 = (e0 + e) | 0;
      f0 = (f0 + f) | 0;
      g0 = (g0 + g) | 0;
      h0 = (h0 + h) | 0;
    }
    s[0] = a0; s[1] = b0; s[2] = c0; s[3] = d0; s[4] = e0; s[5] = f0; s[6] = g0; s[7] = h0;
  }
}

/** `sha256:<hex>` of `data` (bytes, or a string's UTF-8 bytes): the form every fingerprint in tpp-lab takes. */
export function sha256Tag(...parts: (Uint8Array | string)[]): string {
  const h = new Sha256();
  for (const p of parts) h.update(p);
  return `sha256:${h.hex()}`;
}

/** The bytes under a typed array (a Float32Array's float bytes, in the platform's order: little-endian everywhere tfjs runs). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
