/**
 * Image grids as PNG files and small HTML galleries, for notebooks and reports. Pure functions on plain arrays
 * (no tensors), so they run anywhere and are easy to test; `tensorImages` reads a tensor into that form.
 *
 * ```ts
 * const png = imageGrid(await tensorImages(x), { cols: 8, scale: 3 });
 * showHtml(gallery([{ png, caption: 'inputs' }]));
 * ```
 */
import type * as tf from '@tensorflow/tfjs';
import { encodePng } from '../data/formats/png-write';

/** A batch of images `[N, H, W, C]` channels last, flattened (C = 1 grey or 3 RGB). */
export interface ImageBatch {
  data: ArrayLike<number>;
  shape: readonly [number, number, number, number];
}

/** An 8-bit image `[height, width, channels]` flattened, as `encodePng` takes it. */
export interface Pixels8 {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** Options of `gridPixels` / `imageGrid`. */
export interface ImageGridOptions {
  /** Images per row (default: min(N, 8)). */
  cols?: number;
  /** Rows (default: enough for all images; extra images are left out). */
  rows?: number;
  /** Integer nearest-neighbour upscaling of every pixel (default 1). */
  scale?: number;
  /** Pixels between cells and around the grid, not scaled (default 2). */
  gap?: number;
  /** Grey level of the gaps and empty cells, 0..255 (default 255, white). */
  background?: number;
  /**
   * Value range mapped to 0..255: `[lo, hi]`; `'batch'` (min and max over all images, the default for float
   * data: keeps images comparable); `'image'` (each image its own min and max). Default for `Uint8Array` data:
   * `[0, 255]`. Values outside the range are clipped; a constant image is drawn black.
   */
  range?: [number, number] | 'batch' | 'image';
}

function minMax(data: ArrayLike<number>, start: number, end: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < end; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Copy of tensor `x` `[N, H, W, C]` as an `ImageBatch` (reads with `await data()`, works on every backend). */
export async function tensorImages(x: tf.Tensor4D | tf.Tensor): Promise<ImageBatch> {
  if (x.rank !== 4) throw new Error(`tensorImages: expected a [N, H, W, C] tensor, got shape [${x.shape.join(', ')}]. Add a batch axis with expandDims(0).`);
  const [n, h, w, c] = x.shape;
  return { data: (await x.data()) as Float32Array, shape: [n, h, w, c] };
}

/** Images `first..first+count-1` of a batch (a view when the data is a typed array). */
export function sliceImages(batch: ImageBatch, first: number, count: number): ImageBatch {
  const [n, h, w, c] = batch.shape;
  const end = Math.min(n, first + count);
  const size = h * w * c;
  const data = batch.data as { subarray?: (a: number, b: number) => ArrayLike<number> } & ArrayLike<number>;
  const part = typeof data.subarray === 'function' ? data.subarray(first * size, end * size) : Array.prototype.slice.call(batch.data, first * size, end * size);
  return { data: part, shape: [Math.max(0, end - first), h, w, c] };
}

/**
 * The images of `batch` `[N, H, W, C]` laid out in a grid, as 8-bit pixels (grey for C = 1, RGB for C = 3).
 * Cell (r, c) holds image `r * cols + c`. Size: `cols * (W*scale + gap) + gap` by `rows * (H*scale + gap) + gap`.
 */
export function gridPixels(batch: ImageBatch, options: ImageGridOptions = {}): Pixels8 {
  const [n, h, w, c] = batch.shape;
  if (c !== 1 && c !== 3) throw new Error(`imageGrid: images need 1 or 3 channels, got ${c}.`);
  if (batch.data.length !== n * h * w * c) throw new Error(`imageGrid: data holds ${batch.data.length} values, shape [${batch.shape.join(', ')}] needs ${n * h * w * c}.`);
  if (n === 0) throw new Error('imageGrid: no images to draw (N = 0).');
  const cols = Math.max(1, Math.floor(options.cols ?? Math.min(n, 8)));
  const rows = Math.max(1, Math.floor(options.rows ?? Math.ceil(n / cols)));
  const scale = Math.max(1, Math.floor(options.scale ?? 1));
  const gap = Math.max(0, Math.floor(options.gap ?? 2));
  const bg = Math.max(0, Math.min(255, Math.round(options.background ?? 255)));
  const cellW = w * scale;
  const cellH = h * scale;
  const width = cols * (cellW + gap) + gap;
  const height = rows * (cellH + gap) + gap;
  const out = new Uint8Array(width * height * c).fill(bg);
  const size = h * w * c;
  const isBytes = batch.data instanceof Uint8Array || batch.data instanceof Uint8ClampedArray;
  const spec = options.range ?? (isBytes ? ([0, 255] as [number, number]) : 'batch');
  const batchRange = spec === 'batch' ? minMax(batch.data, 0, n * size) : null;
  for (let k = 0; k < Math.min(n, rows * cols); k++) {
    const [lo, hi] = Array.isArray(spec) ? spec : spec === 'image' ? minMax(batch.data, k * size, (k + 1) * size) : (batchRange as [number, number]);
    const span = hi > lo ? 255 / (hi - lo) : 0;
    const x0 = gap + (k % cols) * (cellW + gap);
    const y0 = gap + Math.floor(k / cols) * (cellH + gap);
    for (let y = 0; y < cellH; y++) {
      const sy = Math.floor(y / scale);
      for (let x = 0; x < cellW; x++) {
        const src = k * size + (sy * w + Math.floor(x / scale)) * c;
        const dst = ((y0 + y) * width + x0 + x) * c;
        for (let ch = 0; ch < c; ch++) {
          const v = (batch.data[src + ch] - lo) * span; // a constant image (span 0) is drawn black
          out[dst + ch] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
        }
      }
    }
  }
  return { width, height, channels: c as 1 | 3, data: out };
}

/** `gridPixels` encoded as a PNG file. */
export function imageGrid(batch: ImageBatch, options: ImageGridOptions = {}): Uint8Array {
  return encodePng(gridPixels(batch, options));
}

/** A `data:image/png;base64,...` URL for a PNG file. */
export function pngDataUrl(png: Uint8Array): string {
  let text = '';
  for (let i = 0; i < png.length; i += 0x8000) text += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(text)}`; // btoa: the same base64 in Node and in a page
}

/** HTML-escape text for element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
}

/** One picture of a gallery. */
export interface GalleryItem {
  png: Uint8Array;
  caption?: string;
  /** Display width in CSS pixels (default: `GalleryOptions.width`, else the PNG's own width). */
  width?: number;
}

/** Options of `gallery`. */
export interface GalleryOptions {
  /** A heading above the pictures. */
  title?: string;
  /** Display width of every picture in CSS pixels (pixels stay sharp: `image-rendering: pixelated`). */
  width?: number;
}

/**
 * Pictures side by side with captions, as an HTML fragment (images inlined as data URLs, nothing to fetch).
 * Use it for per-class grids, windowing presets, original / masked / reconstruction rows.
 */
export function gallery(items: readonly GalleryItem[], options: GalleryOptions = {}): string {
  const figures = items.map((it) => {
    const w = it.width ?? options.width;
    const style = `image-rendering:pixelated;${w ? `width:${w}px;` : ''}border:1px solid #ddd`;
    const cap = it.caption ? `<figcaption style="font:13px system-ui,sans-serif;text-align:center;overflow-wrap:anywhere;max-width:${w ? `${w}px` : 'none'}">${escapeHtml(it.caption)}</figcaption>` : '';
    return `<figure style="margin:0 12px 8px 0"><img src="${pngDataUrl(it.png)}" style="${style}" alt="${escapeHtml(it.caption ?? 'image')}">${cap}</figure>`;
  });
  const title = options.title ? `<div style="font:600 14px system-ui,sans-serif;margin:4px 0">${escapeHtml(options.title)}</div>` : '';
  return `<div class="tpp-gallery">${title}<div style="display:flex;flex-wrap:wrap;align-items:flex-end">${figures.join('')}</div></div>`;
}
