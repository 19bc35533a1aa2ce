/**
 * CRC-32 (ISO 3309 / IEEE 802.3), the checksum of zip entries, gzip members and PNG chunks: a table-driven loop
 * in plain TypeScript, the same in Node and in a web page.
 */

let table: Uint32Array | null = null;

/** CRC-32 of `data`, continuing from `prev` (the CRC of the bytes before it; 0 to start). */
export function crc32(data: Uint8Array, prev = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  const t = table;
  let c = (prev ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
