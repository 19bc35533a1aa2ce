/**
 * A folder of PNG images and masks as a `SegDataset`, listed by `<folder>/masks.csv` (header row required):
 *
 * | column | meaning |
 * |---|---|
 * | `image` | image path relative to the folder (PNG: grey, RGB or palette; alpha is dropped) |
 * | `mask` | mask path (PNG; 0 background, any other grey value foreground for a binary mask; class indices 0..K, or a palette PNG's indices, for K classes) |
 * | `label` | optional image-level class (text or number): splits stratify on it |
 * | `pixel_size_mm` or `pixel_size_x_mm` + `pixel_size_y_mm` | optional pixel size |
 * | any other column with numbers in every row | a per-image reference measurement (e.g. `head_circumference_mm`) |
 *
 * Images and masks must have the same size as each other; images of different sizes are resized to `size`
 * (default: the first image's), images bilinearly and masks nearest-neighbour (pixel sizes rescaled).
 */
import * as fs from 'fs';
import * as path from 'path';
import { decodePng } from '../../data/formats/png-read';
import { readLabelsCsv } from '../dicom-dataset';
import { resizeBilinear } from '../../data/sets/resize';
import { masksFromArray } from './seg-load';
import { resizeMasksNearest, validateSegDataset, type SegDataset } from '../../data/sets/segmentation';

/** Options of `loadSegFolder`. */
export interface SegFolderOptions {
  /** Side of the square images returned (default: the first image's height; it must then be square). */
  size?: number;
  /** Colour channels returned: 1 (RGB averaged) or 3 (grey replicated). Default: 3 when any image is RGB, else 1. */
  channels?: 1 | 3;
}

function readPng(file: string, folder: string) {
  const full = path.resolve(folder, file);
  if (!fs.existsSync(full)) throw new Error(`${path.join(folder, 'masks.csv')}: ${file} does not exist (paths are relative to the folder).`);
  return decodePng(new Uint8Array(fs.readFileSync(full)), full);
}

/** Load the folder (see the module comment). Async because the CSV reader is. */
export async function loadSegFolder(folder: string, options: SegFolderOptions = {}): Promise<SegDataset> {
  const csvPath = path.join(folder, 'masks.csv');
  const csv = await readLabelsCsv(csvPath);
  for (const col of ['image', 'mask']) if (!csv[col]) throw new Error(`${csvPath} has no "${col}" column (columns: ${Object.keys(csv).join(', ')}); it needs image,mask[,label,...].`);
  const n = csv.image.length;
  if (n === 0) throw new Error(`${csvPath} lists no images.`);
  const images = csv.image.map((f) => readPng(f, folder));
  const masks = csv.mask.map((f) => readPng(f, folder));
  const channels = options.channels ?? (images.some((p) => p.channels === 3 || p.palette) ? 3 : 1);
  const size = options.size ?? images[0].height;
  const pixels = new Uint8Array(n * size * size * channels);
  const maskValues = new Uint8Array(n * size * size);
  const pixelSize = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const img = images[i];
    const m = masks[i];
    if (m.width !== img.width || m.height !== img.height) throw new Error(`${csvPath}: mask ${csv.mask[i]} is ${m.width}x${m.height} but image ${csv.image[i]} is ${img.width}x${img.height}.`);
    // Palette images become RGB; then grey ↔ RGB as asked.
    let rgb = img.data;
    let c: number = img.channels;
    if (img.palette) {
      rgb = new Uint8Array(img.width * img.height * 3);
      for (let p = 0; p < img.width * img.height; p++) rgb.set(img.palette.subarray(3 * img.data[p], 3 * img.data[p] + 3), 3 * p);
      c = 3;
    }
    const plane = new Float32Array(img.width * img.height * channels);
    for (let p = 0; p < img.width * img.height; p++) {
      for (let k = 0; k < channels; k++) {
        plane[p * channels + k] = c === channels ? rgb[p * c + k] : c === 1 ? rgb[p] : (rgb[p * 3] + rgb[p * 3 + 1] + rgb[p * 3 + 2]) / 3;
      }
    }
    const resized = img.width === size && img.height === size ? plane : resizeBilinear(plane, img.height, img.width, channels, size, size);
    for (let q = 0; q < resized.length; q++) pixels[i * size * size * channels + q] = Math.max(0, Math.min(255, Math.round(resized[q])));
    // Grey masks: 0 background; 255 (or any value when the mask is 0/x) foreground; small integers are classes.
    const mm = resizeMasksNearest({ data: m.data.subarray(0, m.width * m.height), shape: [1, m.height, m.width, 1] }, size);
    maskValues.set(mm.data, i * size * size);
    pixelSize[2 * i] = (img.width / size) * Number(csv.pixel_size_x_mm?.[i] ?? csv.pixel_size_mm?.[i] ?? NaN);
    pixelSize[2 * i + 1] = (img.height / size) * Number(csv.pixel_size_y_mm?.[i] ?? csv.pixel_size_mm?.[i] ?? NaN);
  }
  // A binary mask saved as 0/x (x > 1, e.g. 255) is foreground wherever it is not 0.
  const distinct = [...new Set(maskValues)].sort((a, b) => a - b);
  const binary = distinct.length <= 2 && masks.every((m) => !m.palette);
  const values = binary ? maskValues.map((v) => (v > 0 ? 1 : 0)) : maskValues;
  const ds: SegDataset = {
    images: { data: pixels, shape: [n, size, size, channels] },
    masks: masksFromArray(values, [n, size, size], csvPath),
    classNames: [],
    source: folder,
    ids: csv.image,
  };
  ds.classNames = ds.masks.shape[3] === 1 ? ['foreground'] : Array.from({ length: ds.masks.shape[3] }, (_, k) => `class ${k + 1}`);
  if (csv.label) {
    const names = [...new Set(csv.label)].sort((a, b) => (Number.isFinite(Number(a)) && Number.isFinite(Number(b)) ? Number(a) - Number(b) : a.localeCompare(b)));
    ds.imageLabels = { data: Int32Array.from(csv.label, (l) => names.indexOf(l)), names };
  }
  if (pixelSize.every((v) => v > 0)) ds.pixelSize = pixelSize;
  const reserved = new Set(['image', 'mask', 'label', 'pixel_size_mm', 'pixel_size_x_mm', 'pixel_size_y_mm']);
  const measures: Record<string, Float32Array> = {};
  for (const [col, vals] of Object.entries(csv)) {
    if (!reserved.has(col) && vals.every((v) => v !== '' && Number.isFinite(Number(v)))) measures[col] = Float32Array.from(vals, Number);
  }
  if (Object.keys(measures).length) ds.measures = measures;
  return validateSegDataset(ds);
}
