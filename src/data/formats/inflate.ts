/**
 * Streaming raw-deflate inflation with early stop: the one place where untrusted compressed data (an .npz entry,
 * a deflated DICOM data set) is inflated piece by piece, so that a reader can keep only what it needs and stop
 * as soon as the output passes a bound it knows, instead of inflating a bomb whole.
 */
import * as zlib from 'zlib';

/**
 * Inflate `size` bytes of raw deflate read through `read(offset, length)` (64 KiB at a time). Each output chunk
 * (at most 16 KiB, zlib's chunk size) goes to `onData`, which returns `false` to stop. Resolves when the
 * stream ends or `onData` stops it; rejects with zlib's error for damaged data. Memory: one input piece and
 * one output chunk at a time, plus whatever `onData` keeps.
 */
export function inflateRawStream(size: number, read: (offset: number, length: number) => Uint8Array, onData: (chunk: Buffer) => boolean): Promise<void> {
  const inflater = zlib.createInflateRaw();
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (e?: Error) => {
      if (done) return;
      done = true;
      inflater.destroy();
      if (e) reject(e);
      else resolve();
    };
    inflater.on('data', (d: Buffer) => {
      if (done) return;
      let more: boolean;
      try {
        more = onData(d);
      } catch (e) {
        return finish(e as Error);
      }
      if (!more) finish();
    });
    inflater.on('end', () => finish());
    inflater.on('error', (e) => finish(e));
    let pos = 0;
    const feed = () => {
      try {
        while (!done && pos < size) {
          const n = Math.min(65536, size - pos);
          const more = inflater.write(read(pos, n));
          pos += n;
          if (!more) {
            inflater.once('drain', feed);
            return;
          }
        }
        if (!done) inflater.end();
      } catch (e) {
        finish(e as Error);
      }
    };
    feed();
  });
}
