/**
 * Files as byte sources: the Node side of the readers in src/data/formats, which take bytes or a `ByteSource`
 * and so run in a web page too. `fileSource(path)` reads a file with positioned reads (an .npz is not loaded
 * whole): `readNpz(fileSource(path))`.
 */
import * as fs from 'fs';
import { type ByteSource, MAX_ARRAY } from '../data/formats/zip';

/** A byte source over a file, read with positioned reads (the file is not loaded whole). Call `close()`. */
export function fileSource(path: string): ByteSource {
  // Checked before opening: opening a FIFO without a writer blocks, and a device has no end.
  const st = fs.statSync(path);
  if (!st.isFile()) throw new Error(`${path} is not a regular file (a device, FIFO, socket or folder); pass an .npz file.`);
  const fd = fs.openSync(path, 'r');
  const size = fs.fstatSync(fd).size;
  return {
    size,
    name: path,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new Error(`${path}: read of ${length} bytes at offset ${offset} is outside the ${size}-byte file (truncated or damaged).`);
      }
      if (length > MAX_ARRAY) throw new Error(`${path}: an entry of ${length} bytes is larger than one array can hold.`);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, out, done, length - done, offset + done);
        if (n === 0) throw new Error(`${path}: file ended early while reading (was it changed while open?).`);
        done += n;
      }
      return out;
    },
    close() {
      fs.closeSync(fd);
    },
  };
}

