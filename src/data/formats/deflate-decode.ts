/**
 * A raw DEFLATE decoder (RFC 1951: stored, fixed-Huffman and dynamic-Huffman blocks) in plain TypeScript, so
 * an .npz, a PNG or a deflated DICOM reads the same in a web page as in Node. Its output equals zlib's byte for
 * byte (test/data-inflate.test.ts checks every level and strategy) and it refuses what zlib refuses.
 *
 * It pulls input piece by piece and pushes output in chunks through a callback that may stop it, so a reader
 * keeps only what it needs: memory is one input piece, a 32 KiB history window and one output chunk.
 */

/** Damaged or truncated deflate data (the message says which rule the stream broke). */
export class InflateError extends Error {
  constructor(message: string, readonly truncated = false) {
    super(message);
    this.name = 'InflateError';
  }
}

/** Length codes 257..285: base length and extra bits (RFC 1951 section 3.2.5). */
const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
/** Distance codes 0..29: base distance and extra bits. */
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which a dynamic block lists its code-length code lengths. */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const WINDOW = 32768;
/** Output is handed over in chunks of this size (plus at most one match). */
const CHUNK = 65536;
const PIECE = 65536;

/** A Huffman code as a lookup table indexed by the next `bits` input bits: entry = symbol << 4 | code length (0: no code). */
interface Code {
  table: Int32Array;
  bits: number;
}

/**
 * The canonical Huffman code of `lengths` (RFC 1951 section 3.2.2), checked as zlib checks it: over-subscribed
 * is an error; incomplete only where one symbol has a 1-bit code (or none has a code) and not for code lengths.
 */
function buildCode(lengths: Uint8Array, what: string): Code {
  const count = new Uint16Array(16);
  let maxLen = 0;
  for (const l of lengths) {
    count[l]++;
    if (l > maxLen) maxLen = l;
  }
  count[0] = 0;
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = left * 2 - count[len];
    if (left < 0) throw new InflateError(`invalid ${what} set (over-subscribed code)`);
  }
  if (left > 0 && maxLen > 0 && (what === 'code lengths' || maxLen !== 1)) throw new InflateError(`invalid ${what} set (incomplete code)`);
  const bits = Math.max(1, maxLen);
  const table = new Int32Array(1 << bits);
  const next = new Uint16Array(16);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  for (let sym = 0; sym < lengths.length; sym++) {
    const len = lengths[sym];
    if (!len) continue;
    // Codes are sent most significant bit first, bits are read least significant first: index by the reversed code.
    let code = next[len]++;
    let rev = 0;
    for (let i = 0; i < len; i++, code >>= 1) rev = (rev << 1) | (code & 1);
    for (let i = rev; i < table.length; i += 1 << len) table[i] = (sym << 4) | len;
  }
  return { table, bits };
}

let fixedCodes: { lit: Code; dist: Code } | null = null;

/** The fixed codes of block type 1 (RFC 1951 section 3.2.6), built once. */
function fixed(): { lit: Code; dist: Code } {
  if (!fixedCodes) {
    const lit = new Uint8Array(288);
    lit.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
    fixedCodes = { lit: buildCode(lit, 'literal/lengths'), dist: buildCode(new Uint8Array(32).fill(5), 'distances') };
  }
  return fixedCodes;
}

/** Where the compressed bytes come from: `size` bytes, read by `read(offset, length)`. */
export interface DeflateInput {
  size: number;
  read(offset: number, length: number): Uint8Array;
}

/**
 * Decode one raw deflate stream. Each output chunk (a fresh array the callee may keep, at most about 64 KiB)
 * goes to `onData`, which returns `false` to stop. Returns whether the stream's last block ended (false after a
 * stop) and how many input bytes the stream used (where a zlib or gzip trailer starts). Throws `InflateError`
 * for damaged data, with `truncated` set when the input ends inside the stream; with `partial`, such an end
 * is not an error and everything decoded up to it is handed over.
 */
export function decodeDeflate(input: DeflateInput, onData: (chunk: Uint8Array) => boolean, options: { partial?: boolean } = {}): { ended: boolean; inputUsed: number } {
  return new Decoder(input, onData).run(!!options.partial);
}

class Decoder {
  private piece: Uint8Array = new Uint8Array(0);
  private at = 0;
  /** Input offset of the byte after `piece`. */
  private fetched = 0;
  private bitBuf = 0;
  private bitCount = 0;
  private readonly out = new Uint8Array(WINDOW + CHUNK + 258);
  private pos = 0;
  /** Start of the output not yet handed over. */
  private from = 0;
  /** Bytes decoded so far (for the distance check before the window fills). */
  private total = 0;
  private stopped = false;

  constructor(private readonly input: DeflateInput, private readonly onData: (chunk: Uint8Array) => boolean) {}

  run(partial: boolean): { ended: boolean; inputUsed: number } {
    let last = false;
    try {
      while (!last && !this.stopped) {
        last = this.bits(1) === 1;
        const type = this.bits(2);
        if (type === 0) this.stored();
        else if (type === 1) this.codes(fixed().lit, fixed().dist);
        else if (type === 2) this.dynamic();
        else throw new InflateError('invalid block type');
      }
    } catch (e) {
      if (!(partial && e instanceof InflateError && e.truncated)) throw e;
      this.flush();
      return { ended: false, inputUsed: this.fetched };
    }
    if (!this.stopped) this.flush();
    // Whole bytes still in the bit buffer were read ahead; the partly used last byte belongs to the stream.
    return { ended: last && !this.stopped, inputUsed: this.fetched - (this.piece.length - this.at) - (this.bitCount >> 3) };
  }

  /** Make at least `n` bits available (n <= 24); false when the input ends first. */
  private fill(n: number): boolean {
    while (this.bitCount < n) {
      if (this.at >= this.piece.length) {
        if (this.fetched >= this.input.size) return false;
        const len = Math.min(PIECE, this.input.size - this.fetched);
        this.piece = this.input.read(this.fetched, len);
        this.fetched += len;
        this.at = 0;
      }
      this.bitBuf |= this.piece[this.at++] << this.bitCount;
      this.bitCount += 8;
    }
    return true;
  }

  private bits(n: number): number {
    if (n === 0) return 0;
    if (!this.fill(n)) throw new InflateError('unexpected end of data', true);
    const v = this.bitBuf & ((1 << n) - 1);
    this.bitBuf >>>= n;
    this.bitCount -= n;
    return v;
  }

  /** The next symbol of `code`. */
  private symbol(code: Code): number {
    this.fill(code.bits); // near the end fewer bits may remain: the table entry says how many the code needs
    const e = code.table[this.bitBuf & ((1 << code.bits) - 1)];
    const len = e & 15;
    if (len === 0) {
      if (this.bitCount < code.bits) throw new InflateError('unexpected end of data', true);
      throw new InflateError('invalid code (not in the block\'s Huffman code)');
    }
    if (len > this.bitCount) throw new InflateError('unexpected end of data', true);
    this.bitBuf >>>= len;
    this.bitCount -= len;
    return e >> 4;
  }

  /** Hand over the output not yet handed over, keeping the last 32 KiB as history for matches. */
  private flush(): void {
    if (this.pos > this.from && !this.stopped) {
      if (!this.onData(this.out.slice(this.from, this.pos))) this.stopped = true;
    }
    if (this.pos > WINDOW) {
      this.out.copyWithin(0, this.pos - WINDOW, this.pos);
      this.pos = WINDOW;
    }
    this.from = this.pos;
  }

  /** Block type 0: LEN, NLEN, then LEN bytes copied as they are. */
  private stored(): void {
    this.bitBuf >>>= this.bitCount & 7;
    this.bitCount -= this.bitCount & 7;
    const len = this.bits(16);
    if ((this.bits(16) ^ 0xffff) !== len) throw new InflateError('invalid stored block lengths');
    let left = len;
    while (left > 0 && this.bitCount > 0) {
      this.out[this.pos++] = this.bits(8);
      left--;
    }
    while (left > 0) {
      if (this.pos >= WINDOW + CHUNK) {
        this.flush();
        if (this.stopped) return;
      }
      if (this.at >= this.piece.length && !this.fill(8)) throw new InflateError('unexpected end of data', true);
      if (this.bitCount > 0) {
        // fill() took one byte into the bit buffer: take it back out as data.
        this.out[this.pos++] = this.bits(8);
        left--;
        continue;
      }
      const n = Math.min(left, this.piece.length - this.at, WINDOW + CHUNK - this.pos);
      this.out.set(this.piece.subarray(this.at, this.at + n), this.pos);
      this.at += n;
      this.pos += n;
      left -= n;
    }
    this.total += len;
  }

  /** Block type 2: the code-length code, then the literal/length and distance code lengths, then the data. */
  private dynamic(): void {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new InflateError('too many length or distance symbols');
    const clLengths = new Uint8Array(19);
    for (let i = 0; i < ncode; i++) clLengths[CL_ORDER[i]] = this.bits(3);
    const cl = buildCode(clLengths, 'code lengths');
    const lengths = new Uint8Array(nlen + ndist);
    for (let i = 0; i < nlen + ndist;) {
      const sym = this.symbol(cl);
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let value = 0;
      let repeat: number;
      if (sym === 16) {
        if (i === 0) throw new InflateError('invalid bit length repeat (nothing to repeat)');
        value = lengths[i - 1];
        repeat = 3 + this.bits(2);
      } else if (sym === 17) repeat = 3 + this.bits(3);
      else repeat = 11 + this.bits(7);
      if (i + repeat > nlen + ndist) throw new InflateError('invalid bit length repeat (past the last code)');
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    if (lengths[256] === 0) throw new InflateError('invalid code -- missing end-of-block');
    this.codes(buildCode(lengths.subarray(0, nlen), 'literal/lengths'), buildCode(lengths.subarray(nlen), 'distances'));
  }

  /** The data of a Huffman block: literals and (length, distance) matches up to the end-of-block symbol. */
  private codes(lit: Code, dist: Code): void {
    const out = this.out;
    for (;;) {
      if (this.pos >= WINDOW + CHUNK) {
        this.flush();
        if (this.stopped) return;
      }
      const sym = this.symbol(lit);
      if (sym < 256) {
        out[this.pos++] = sym;
        this.total++;
        continue;
      }
      if (sym === 256) return;
      if (sym > 285) throw new InflateError('invalid literal/length code');
      const len = LEN_BASE[sym - 257] + this.bits(LEN_EXTRA[sym - 257]);
      const d = this.symbol(dist);
      if (d > 29) throw new InflateError('invalid distance code');
      const distance = DIST_BASE[d] + this.bits(DIST_EXTRA[d]);
      if (distance > this.total) throw new InflateError('invalid distance too far back');
      let p = this.pos;
      for (let s = p - distance, end = p + len; p < end;) out[p++] = out[s++];
      this.pos = p;
      this.total += len;
    }
  }
}
