/**
 * An image pool's packs from its original public archive, the same arrays on every run: read the archive's
 * entries (sorted by class, then path) → take the documented stratified sample (seed 0) → decode each image (JPEG
 * with jpeg-js, PNG with png-read.ts) → convert (grey by ITU-R 601 luma, centre-crop to a square, area-average
 * resize: `resizeArea`) → pack (`images` uint8, `labels` int16, `class_names`, `filenames`). One pipeline for every
 * pool; `pool-recipes.ts` holds what differs. `src/io/pool-build.ts` opens the archive and writes the `.npz` files.
 */
import * as jpeg from 'jpeg-js';
import type { Dataset } from '../sets/dataset';
import { seededShuffle } from '../sets/dataset';
import { resizeArea } from '../sets/resize';
import { subsampleLabels } from '../sets/splits';
import { decodePng } from '../formats/png-read';
import { ByteSource, listZipEntries, readZipEntry, ZipEntry } from '../formats/zip';
import type { NpyToWrite } from '../formats/npy';
import { PoolClass, PoolRecipe, POOL_RECIPES } from './pool-recipes';

/** Options of `readPoolArchive` (and `buildPool`). */
export interface BuildPoolOptions {
  /** Keep every image instead of the documented sample. */
  all?: boolean;
  /** The folder inside the archive that holds the layout, when it is there more than once (exact, or its last folders). */
  root?: string;
  /** Called after each image is converted. */
  onProgress?: (done: number, total: number) => void;
}

/** A pool's packs, ready to write: one per file of the recipe, its arrays in the shared packs' key order. */
export interface PoolPacks {
  name: string;
  /** The folder inside the archive the images came from ('' for the top). */
  root: string;
  classNames: string[];
  /** Images per class, over all files. */
  counts: number[];
  packs: Array<{ file: string; images: number; arrays: Array<[string, NpyToWrite]> }>;
}

/** One image found in the archive. */
interface Found {
  entry: ZipEntry;
  /** The file name stored in the pack (the path below the root). */
  path: string;
  label: number;
}

/** Files that are not images of the dataset: macOS resource forks and hidden files. */
function ignored(name: string): boolean {
  return name.startsWith('__MACOSX/') || name.split('/').some((part) => part.startsWith('.'));
}

function recipeOf(name: string): PoolRecipe {
  const r = POOL_RECIPES[name];
  if (!r) throw new Error(`No recipe for pool "${name}"; pools that can be built: ${Object.keys(POOL_RECIPES).join(', ')}.`);
  return r;
}

/** The root to read: the one asked for, the only one, or the recipe's preferred one; otherwise an error listing them. */
function chooseRoot(r: PoolRecipe, roots: string[], archive: string, asked?: string): string {
  const shown = (x: string) => (x ? `${x.replace(/\/$/, '')}/` : '(the top of the archive)');
  const ends = (root: string, want: string) => {
    const w = want.replace(/^\/+|\/+$/g, '');
    return w === '' ? root === '' : root === `${w}/` || root.endsWith(`/${w}/`);
  };
  if (asked !== undefined) {
    // The folder's full path wins over folders that only end with it (`chest_xray/` over `chest_xray/chest_xray/`).
    const full = asked.replace(/^\/+|\/+$/g, '');
    const hit = roots.includes(full ? `${full}/` : '') ? [full ? `${full}/` : ''] : roots.filter((x) => ends(x, asked));
    if (hit.length === 1) return hit[0];
    throw new Error(`${archive}: --root ${asked} matches ${hit.length ? hit.map(shown).join(', ') : 'no folder'}; the layout ${r.layout} is under: ${roots.map(shown).join(', ')}. Pass one of them.`);
  }
  if (roots.length === 1) return roots[0];
  const preferred = r.preferRoot ? roots.filter((x) => ends(x, r.preferRoot!)) : [];
  if (preferred.length === 1) return preferred[0];
  if (preferred.includes(`${r.preferRoot}/`)) return `${r.preferRoot}/`;
  throw new Error(`${archive}: the layout ${r.layout} is there under several folders: ${roots.map(shown).join(', ')}. Pass --root FOLDER to choose one.`);
}

/** The pool's images in the archive, sorted by class then path, with the class names. Checks the layout. */
function findImages(r: PoolRecipe, src: ByteSource, archive: string, asked?: string): { root: string; found: Found[]; classes: PoolClass[] } {
  let listed: ZipEntry[];
  try {
    listed = listZipEntries(src);
  } catch (e) {
    throw new Error(`${archive} cannot be read as a zip archive (${(e as Error).message}). Pass the original ${r.archive} (${r.url}) as downloaded; if the download was cut short, download it again.`);
  }
  const entries = listed.filter((e) => !e.name.endsWith('/') && !ignored(e.name));
  const byRoot = new Map<string, Array<{ entry: ZipEntry; path: string; key: string }>>();
  for (const entry of entries) {
    const m = r.image.exec(entry.name);
    if (!m?.groups) continue;
    const { root, path: p, key } = m.groups;
    if (!byRoot.has(root)) byRoot.set(root, []);
    byRoot.get(root)!.push({ entry, path: p, key: r.classKey ? r.classKey(key, p) : key });
  }
  if (byRoot.size === 0) {
    throw new Error(`${archive}: no images in the layout ${r.layout}. Is this the original ${r.archive} (${r.url})? Pass that archive as it was downloaded, not unpacked and re-zipped.`);
  }
  const root = chooseRoot(r, [...byRoot.keys()].sort(), archive, asked);
  const read = (file: string): string => {
    const e = entries.find((x) => x.name === root + file);
    if (!e) throw new Error(`${archive}: ${root}${file} is missing (the layout is ${r.layout}): the archive is incomplete; download ${r.archive} again (${r.url}).`);
    return new TextDecoder().decode(readZipEntry(src, e));
  };
  const classes = typeof r.classes === 'function' ? r.classes(read) : [...r.classes];
  const labelOf = new Map(classes.map((c, i) => [c.key, i]));
  const found: Found[] = [];
  for (const x of byRoot.get(root)!) {
    const label = labelOf.get(x.key);
    if (label === undefined) {
      throw new Error(`${archive}: ${root}${x.path} belongs to no known class ("${x.key}"; the classes are ${classes.map((c) => c.key).join(', ')}). Pass the original ${r.archive} (${r.url}) or remove that file.`);
    }
    found.push({ entry: x.entry, path: x.path, label });
  }
  const counts = classes.map((_, i) => found.filter((f) => f.label === i).length);
  const empty = counts.findIndex((n) => n === 0);
  if (empty >= 0) {
    throw new Error(`${archive}: class "${classes[empty].name}" has no images (the layout is ${r.layout}; looked under ${root || 'the top of the archive'}): the archive is incomplete; download ${r.archive} again (${r.url}).`);
  }
  found.sort((a, b) => a.label - b.label || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { root, found, classes };
}

/** The documented sample (seed 0) of `found`, by the project's stratified sampler; order kept. */
function sampleImages(r: PoolRecipe, found: Found[], classes: PoolClass[], archive: string): Found[] {
  if (!r.sample) return found;
  const spec = r.sample;
  if ('perClass' in spec) {
    classes.forEach((c, i) => {
      const n = found.filter((f) => f.label === i).length;
      if (n < spec.perClass) throw new Error(`${archive}: class "${c.name}" has ${n} images; the ${r.name} pack takes ${spec.perClass} of each class. Pass the complete ${r.archive} (${r.url}), or --all to keep every image.`);
    });
  }
  // Sampled as a Dataset of placeholders whose ids are the paths, so the draw is `subsampleLabels`' own.
  const n = found.length;
  const ds: Dataset = {
    images: { data: new Uint8Array(n), shape: [n, 1, 1, 1] },
    labels: { data: Int32Array.from(found, (f) => f.label), shape: [n, 1] },
    task: 'multi-class',
    classNames: classes.map((c) => c.name),
    source: archive,
    ids: found.map((f) => f.path),
  };
  const keep = new Set(subsampleLabels(ds, spec, 0).ids);
  return found.filter((f) => keep.has(f.path));
}

/** Decode a JPEG or PNG to 8-bit `[height, width, channels]`; a file that does not decode is an Error naming it. */
export function decodeImage(bytes: Uint8Array, name: string): { width: number; height: number; channels: 1 | 3; data: Uint8Array } {
  if (/\.png$/i.test(name)) {
    const png = decodePng(bytes, name);
    if (png.palette) {
      const rgb = new Uint8Array(png.width * png.height * 3);
      for (let i = 0; i < png.width * png.height; i++) rgb.set(png.palette.subarray(png.data[i] * 3, png.data[i] * 3 + 3), i * 3);
      return { width: png.width, height: png.height, channels: 3, data: rgb };
    }
    return png;
  }
  // Strict decoding: a damaged file is an error, not an image with missing blocks.
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
  if (!(img.width > 0 && img.height > 0)) throw new Error(`${name}: a JPEG of size ${img.width}x${img.height}.`);
  return { width: img.width, height: img.height, channels: 3, data: img.data as Uint8Array };
}

/**
 * One image as the pack stores it: grey by ITU-R 601 luma (`(299 R + 587 G + 114 B) / 1000`, rounded) when
 * `channels` is 1, the centred square of side min(width, height) (odd margins: one more pixel on the right or
 * bottom), area-average resized to `size` x `size`. Returns `[size, size, channels]`.
 */
export function convertImage(img: { width: number; height: number; channels: 1 | 3; data: Uint8Array }, size: number, channels: 1 | 3): Uint8Array {
  const { width, height } = img;
  let data = img.data;
  let c: number = img.channels;
  if (channels === 1 && c === 3) {
    const grey = new Uint8Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = Math.floor((299 * data[3 * i] + 587 * data[3 * i + 1] + 114 * data[3 * i + 2] + 500) / 1000);
    data = grey;
    c = 1;
  } else if (channels === 3 && c === 1) {
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) rgb.fill(data[i], 3 * i, 3 * i + 3);
    data = rgb;
    c = 3;
  }
  const side = Math.min(width, height);
  const x0 = Math.floor((width - side) / 2);
  const y0 = Math.floor((height - side) / 2);
  const square = new Uint8Array(side * side * c);
  for (let y = 0; y < side; y++) square.set(data.subarray(((y0 + y) * width + x0) * c, ((y0 + y) * width + x0 + side) * c), y * side * c);
  return resizeArea(square, side, side, c, size, size);
}

/**
 * Pool `name`'s packs from its original archive (a zip, read in place through `src`), named as `POOLS` names
 * them. Without `all`, the documented sample; the same archive gives the same arrays on every run. Errors name
 * the file in the archive and the fix.
 */
export function readPoolArchive(name: string, src: ByteSource, options: BuildPoolOptions = {}): PoolPacks {
  const r = recipeOf(name);
  const where = src.name.replace(/^.*[\\/]/, '');
  const { root, found, classes } = findImages(r, src, where, options.root);
  let items = options.all ? found : sampleImages(r, found, classes, where);
  if (r.shuffle) items = seededShuffle(items, 0);
  const side = r.size;
  const px = side * side * r.channels;
  const images = new Uint8Array(items.length * px);
  const orig = new Int32Array(items.length * 2);
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    let img;
    try {
      img = decodeImage(readZipEntry(src, it.entry), it.entry.name);
    } catch (e) {
      throw new Error(`${where}: ${it.entry.name} is not a readable image (${(e as Error).message}). The archive is damaged: download ${r.archive} again (${r.url}).`);
    }
    images.set(convertImage(img, side, r.channels), i * px);
    orig[2 * i] = img.width;
    orig[2 * i + 1] = img.height;
    options.onProgress?.(i + 1, items.length);
  }
  // Dealt into the files in order: the first `per` images, the next `per`, ...
  const per = Math.ceil(items.length / r.files.length);
  const packs = r.files.map((file, k) => {
    const from = Math.min(items.length, k * per);
    const to = Math.min(items.length, from + per);
    const n = to - from;
    const arrays: Array<[string, NpyToWrite]> = [
      ['images', { dtype: 'uint8', shape: r.channels === 1 ? [n, side, side] : [n, side, side, r.channels], data: images.subarray(from * px, to * px) }],
      ['labels', { dtype: 'int16', shape: [n], data: Int16Array.from(items.slice(from, to), (f) => f.label) }],
      ['class_names', { dtype: 'unicode', shape: [classes.length], strings: classes.map((c) => c.name) }],
      ['filenames', { dtype: 'unicode', shape: [n], strings: items.slice(from, to).map((f) => f.path) }],
    ];
    if (r.origSize) arrays.push(['orig_size', { dtype: 'int32', shape: [n, 2], data: orig.subarray(2 * from, 2 * to) }]);
    return { file, images: n, arrays };
  });
  const counts = classes.map((_, i) => items.filter((f) => f.label === i).length);
  return { name, root, classNames: classes.map((c) => c.name), counts, packs };
}
