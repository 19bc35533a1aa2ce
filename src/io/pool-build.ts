/**
 * `buildPool`: make an image pool's `.npz` files from its original archive on disk (`tpp-lab data pool build`).
 * The archive is read in place (`fileSource`), the packs made by `readPoolArchive` (src/data/sources/pool-build.ts)
 * and each written atomically by the deterministic `.npz` writer, so the same archive gives the same bytes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fileSource } from './file-source';
import { BuildPoolOptions, readPoolArchive } from '../data/sources/pool-build';
import { POOL_RECIPES } from '../data/sources/pool-recipes';
import { writeNpzFile } from './npz-write';

/** What `buildPool` wrote. */
export interface BuiltPool {
  name: string;
  /** The folder inside the archive the images came from ('' for the top). */
  root: string;
  classNames: string[];
  /** Images per class, over all files. */
  counts: number[];
  files: Array<{ path: string; images: number; bytes: number }>;
}

/** Build pool `name` from `archive` (the original zip) into `outDir` (made if missing); see `readPoolArchive`. */
export async function buildPool(name: string, archive: string, outDir: string, options: BuildPoolOptions = {}): Promise<BuiltPool> {
  const r = POOL_RECIPES[name];
  if (!r) throw new Error(`No recipe for pool "${name}"; pools that can be built: ${Object.keys(POOL_RECIPES).join(', ')}.`);
  if (!fs.existsSync(archive)) throw new Error(`${archive} does not exist: download ${r.archive} from ${r.url} and pass its path.`);
  const src = fileSource(archive);
  try {
    const made = readPoolArchive(name, src, options);
    fs.mkdirSync(outDir, { recursive: true });
    const files: BuiltPool['files'] = [];
    for (const p of made.packs) {
      const file = path.join(outDir, p.file);
      files.push({ path: file, images: p.images, bytes: await writeNpzFile(file, p.arrays) });
    }
    return { name, root: made.root, classNames: made.classNames, counts: made.counts, files };
  } finally {
    src.close();
  }
}
