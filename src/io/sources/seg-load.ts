/**
 * Load segmentation data as a `SegDataset`: an `.npz` pack (numpy arrays, as in `shared/seg/` and `data/`) or a
 * folder of PNG images and masks listed in a CSV (see `loadSegFolder` in seg-folder.ts).
 *
 * `.npz` keys (only `images` and `masks` are required):
 * - `images` `[N, H, W]` or `[N, H, W, C]` (C = 1 or 3), uint8 (0..255) or float32 (taken as they are);
 * - `masks` `[N, H, W]` with 0/1 (binary), 0/255 (binary, as images store them) or 0..K (K classes, 0 is
 *   background), or `[N, H, W, K]` 0/1 with at most one class per pixel;
 * - `labels` `[N]` or `[N, 1]` integer image-level classes (splits stratify on them), named by `label_names`;
 * - `mask_names` (foreground class names), `label_names`, `filenames` (ids): numpy unicode arrays;
 * - `pixel_size_mm_xy` `[N, 2]` (mm per pixel in x, then y);
 * - any other numeric `[N]` array is a per-image reference measurement (e.g. `head_circumference_mm`).
 */
import * as path from 'path';
import type { NpyArray } from '../../data/formats/npy';
import { listNpzKeys, readNpz, readNpzStrings } from '../../data/formats/npz';
import { Masks, SegDataset, validateSegDataset } from '../../data/sets/segmentation';
import { fileSource } from '../file-source';

/** Whether the `.npz` at `file` is a segmentation pack (has `images` and `masks`). Reads only the directory. */
export function isSegNpz(file: string): boolean {
  if (!file.endsWith('.npz')) return false;
  const keys = listNpzKeys(fileSource(file));
  return keys.includes('images') && keys.includes('masks');
}

/**
 * Masks from a `[N, H, W]` array of 0/1, 0/255 or class indices 0..K, or a `[N, H, W, K]` 0/1 array, as
 * `[N, H, W, K]` 0/1 (see the module comment). `where` starts error messages.
 */
export function masksFromArray(values: ArrayLike<number>, shape: readonly number[], where: string): Masks {
  if (shape.length === 4) {
    const data = Uint8Array.from(values as ArrayLike<number>);
    return { data, shape: [shape[0], shape[1], shape[2], shape[3]] };
  }
  if (shape.length !== 3) throw new Error(`${where}: masks must be [N, H, W] or [N, H, W, K], got [${shape.join(', ')}].`);
  const [n, h, w] = shape;
  const seen = new Set<number>();
  for (let i = 0; i < values.length; i++) seen.add(values[i]);
  const vals = [...seen].sort((a, b) => a - b);
  if (vals.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`${where}: mask values must be whole numbers ≥ 0 (0 = background); found ${vals.slice(0, 8).join(', ')}.`);
  const binary255 = vals.every((v) => v === 0 || v === 255);
  const k = binary255 ? 1 : Math.max(1, vals[vals.length - 1] ?? 1);
  if (k > 32) throw new Error(`${where}: mask values go up to ${k}; expected 0/1, 0/255 or class indices 0..K with a small K. Binarise or relabel the masks.`);
  const data = new Uint8Array(n * h * w * k);
  for (let p = 0; p < n * h * w; p++) {
    const v = values[p];
    if (v > 0) data[p * k + (binary255 ? 0 : v - 1)] = 1;
  }
  return { data, shape: [n, h, w, k] };
}

function intsOf(a: NpyArray, where: string): Int32Array {
  const out = Int32Array.from(a.data as ArrayLike<number>);
  if (out.some((v, i) => v !== a.data[i])) throw new Error(`${where}: labels must be whole numbers.`);
  return out;
}

/** Load a segmentation `.npz` (keys in the module comment). `name` replaces the file path in `source`. */
export function loadSegNpz(file: string, options: { name?: string; modality?: string } = {}): SegDataset {
  const where = `${file}`;
  const keys = listNpzKeys(fileSource(file));
  for (const k of ['images', 'masks']) {
    if (!keys.includes(k)) throw new Error(`${where}: a segmentation .npz needs arrays "images" and "masks"; it holds ${keys.join(', ') || 'none'}.`);
  }
  // Numeric arrays, and the numpy unicode arrays (names) apart: parseNpy refuses those, parseNpyUnicode reads them.
  const arrays: Record<string, NpyArray> = {};
  const text: Record<string, string[]> = {};
  for (const key of keys) {
    try {
      arrays[key] = readNpz(fileSource(file), { keys: [key] })[key];
    } catch (e) {
      if (!/numpy unicode strings/.test((e as Error).message)) throw e;
      text[key] = readNpzStrings(fileSource(file), key).strings;
    }
  }
  const img = arrays.images;
  const [n, h, w] = img.shape;
  const c = img.shape.length === 4 ? img.shape[3] : 1;
  if ((img.shape.length !== 3 && img.shape.length !== 4) || (c !== 1 && c !== 3)) {
    throw new Error(`${where}: images must be [N, H, W] (grey) or [N, H, W, C] with C = 1 or 3, got [${img.shape.join(', ')}].`);
  }
  let pixels: Uint8Array | Float32Array;
  if (img.dtype === 'uint8') pixels = img.data as Uint8Array;
  else if (img.dtype === 'float32' || img.dtype === 'float64') pixels = Float32Array.from(img.data as ArrayLike<number>);
  else throw new Error(`${where}: images are ${img.dtype}; use uint8 (0..255) or float32 images (e.g. (x / x.max() * 255).astype(np.uint8)).`);
  const m = arrays.masks;
  if (m.shape[0] !== n || m.shape[1] !== h || m.shape[2] !== w) throw new Error(`${where}: masks [${m.shape.join(', ')}] do not match images [${img.shape.join(', ')}].`);
  const masks = masksFromArray(m.data as ArrayLike<number>, m.shape, where);
  const strings = (key: string): string[] | undefined => text[key];
  const k = masks.shape[3];
  const maskNames = strings('mask_names') ?? (k === 1 ? ['foreground'] : Array.from({ length: k }, (_, i) => `class ${i + 1}`));
  const ds: SegDataset = {
    images: { data: pixels, shape: [n, h, w, c] }, masks, classNames: maskNames, source: options.name ?? file,
  };
  if (options.modality) ds.modality = options.modality;
  const used = new Set(['images', 'masks', 'labels', 'pixel_size_mm_xy']);
  if (arrays.labels) {
    const labels = intsOf(arrays.labels, where);
    if (labels.length !== n) throw new Error(`${where}: labels has ${labels.length} values for ${n} images (one image-level label each).`);
    const names = strings('label_names') ?? Array.from({ length: Math.max(...labels) + 1 }, (_, i) => `class ${i}`);
    ds.imageLabels = { data: labels, names };
  }
  if (arrays.pixel_size_mm_xy) ds.pixelSize = Float32Array.from(arrays.pixel_size_mm_xy.data as ArrayLike<number>);
  const measures: Record<string, Float32Array> = {};
  for (const key of Object.keys(arrays)) {
    const a = arrays[key];
    if (!used.has(key) && a.shape.length === 1 && a.shape[0] === n) measures[key] = Float32Array.from(a.data as ArrayLike<number>);
  }
  if (Object.keys(measures).length) ds.measures = measures;
  const ids = strings('filenames');
  if (ids) ds.ids = ids;
  return validateSegDataset(ds);
}

/** A short name for a pack: its file name without `.npz`. */
export function segPackName(file: string): string {
  return path.basename(file).replace(/\.npz$/, '');
}
