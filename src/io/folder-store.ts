/** The grid's store (store.ts) on a folder: keys are paths under it, writes are atomic. */
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { CorruptRecordError, type GridStore, jsonText, writeFailure } from './store';
import { writeFileAtomic } from './safetensors';

/** A store on the folder `dir` (created on the first write). */
export function folderStore(dir: string): GridStore {
  const root = path.resolve(dir);
  const at = (key: string) => path.join(root, ...key.split('/'));
  const write = async (key: string, bytes: Uint8Array) => {
    try {
      fs.mkdirSync(path.dirname(at(key)), { recursive: true });
      await writeFileAtomic(at(key), bytes);
    } catch (e) {
      throw writeFailure(at(key), e);
    }
  };
  return {
    root,
    locate: at,
    exists: (key) => fs.existsSync(at(key)),
    readJson<T>(key: string): T | null {
      if (!fs.existsSync(at(key))) return null;
      const text = fs.readFileSync(at(key), 'utf8');
      try {
        return JSON.parse(text) as T;
      } catch (e) {
        throw new CorruptRecordError(at(key), (e as Error).message);
      }
    },
    writeJson: (key, value) => write(key, Buffer.from(jsonText(value))),
    readBytes: (key) => (fs.existsSync(at(key)) ? new Uint8Array(fs.readFileSync(at(key))) : null),
    writeBytes: write,
    list: (prefix) => (fs.existsSync(at(prefix)) && fs.statSync(at(prefix)).isDirectory() ? fs.readdirSync(at(prefix)).sort() : []),
    remove: (key) => fs.rmSync(at(key), { recursive: true, force: true }),
  };
}

/** `sha256:<hex>` of a file's bytes (the MAE decoder a grid records). */
export function fileFingerprint(file: string): string {
  return `sha256:${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`;
}

/** A text file's contents, or an error naming the file (as `what`) and what to give instead (`hint`). */
export function readTextFile(file: string, what: string, hint = ''): string {
  if (!fs.existsSync(file)) throw new Error(`${what} ${file}: no such file.${hint ? ` ${hint}` : ''}`);
  return fs.readFileSync(file, 'utf8');
}
