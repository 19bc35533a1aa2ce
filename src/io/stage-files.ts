/**
 * A training stage's files on disk (Node): the stages (src/train) keep their checkpoint and save their files through
 * a `FileStore` (store.ts); `stageFiles(outDir)` is that store on a folder, and `fileBytes` reads a file a stage
 * starts from (a TPP adapter, a backbone, its decoder) as named bytes. A web page passes a `memoryStore()`, or no
 * store (the stage then saves nothing), and bytes it has read its own way.
 */
import * as fs from 'fs';
import * as path from 'path';
import { folderStore } from './folder-store';
import type { FileStore, NamedBytes } from './store';

/**
 * The output folder `outDir` as a stage's file store (created on the first write; keys are file names in it, writes
 * atomic); undefined when there is no folder, so the stage writes nothing. Files are named by `outDir` as given.
 */
export function stageFiles(outDir: string): FileStore;
export function stageFiles(outDir: string | undefined): FileStore | undefined;
export function stageFiles(outDir: string | undefined): FileStore | undefined {
  if (!outDir) return undefined;
  const store = folderStore(outDir);
  return { root: outDir, readBytes: store.readBytes, writeBytes: store.writeBytes, locate: (key) => path.join(outDir, ...key.split('/')) };
}

/** The bytes of `file`, named by its path; an error naming the file (as `what`) when it does not exist. */
export function fileBytes(file: string, what = 'file'): NamedBytes {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Error(`The ${what} ${file} does not exist.`);
  return { name: file, bytes: new Uint8Array(fs.readFileSync(file)) };
}

/** `fileBytes` of `file`, or undefined when no file is given. */
export function optionalFileBytes(file: string | undefined | null, what = 'file'): NamedBytes | undefined {
  return file ? fileBytes(file, what) : undefined;
}
