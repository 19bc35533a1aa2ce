/**
 * Pictures of segmentation results: images with mask outlines drawn in colour (an `ImageBatch` that `imageGrid`
 * lays out), strips that put an image, its reference mask and a predicted mask side by side, a histogram of
 * per-image scores shared by several runs, and a scatter of predicted against reference values with the identity
 * line (HC18's head circumference in mm). Pure functions on plain arrays, like ./images.
 */
import { surface } from '../train/seg-metrics';
import { binCounts } from './charts';
import { type ImageBatch, imageGrid, type ImageGridOptions } from './images';
import type { Figure } from './plotly';

/** Masks `[N, H, W, K]` 0/1 (a `Masks` of src/data/sets/segmentation.ts, or predicted masks). */
export interface MaskBatch {
  data: ArrayLike<number>;
  shape: readonly [number, number, number, number];
}

/** One set of masks drawn over the images. */
export interface MaskLayer {
  masks: MaskBatch;
  /** RGB colour 0..255. */
  color: readonly [number, number, number];
  /** `outline` (default): the mask's surface pixels; `fill`: every mask pixel, blended with `opacity`. */
  style?: 'outline' | 'fill';
  /** Blend of a `fill` layer over the image, 0..1 (default 0.45); outlines are opaque. */
  opacity?: number;
}

/** Colours of the usual layers: the reference mask in green, a prediction in magenta. */
export const MASK_COLORS = Object.freeze({ truth: [0, 200, 80] as const, prediction: [235, 40, 200] as const });

/** Grey levels 0..255 of image `i`'s pixel `p` (RGB images: their mean), from uint8 data or the batch's min..max. */
function greyLevels(images: ImageBatch): (i: number, p: number) => number {
  const [n, h, w, c] = images.shape;
  const d = images.data;
  let lo = 0;
  let span = 1;
  if (!(d instanceof Uint8Array || d instanceof Uint8ClampedArray)) {
    let min = Infinity;
    let max = -Infinity;
    for (let q = 0; q < n * h * w * c; q++) {
      if (d[q] < min) min = d[q];
      if (d[q] > max) max = d[q];
    }
    lo = min;
    span = max > min ? 255 / (max - min) : 0;
  }
  return (i, p) => {
    let s = 0;
    for (let ch = 0; ch < c; ch++) s += d[(i * h * w + p) * c + ch];
    return Math.max(0, Math.min(255, ((s / c) - lo) * span));
  };
}

/**
 * The images `[N, H, W, C]` as RGB 0..255 with each layer drawn over them in order (later layers on top). A pixel
 * belongs to a layer's mask when any of its K channels is 1. Masks must have the images' N, H and W.
 */
export function overlayMasks(images: ImageBatch, layers: readonly MaskLayer[]): ImageBatch {
  const [n, h, w] = images.shape;
  const grey = greyLevels(images);
  const out = new Uint8Array(n * h * w * 3);
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) out.fill(Math.round(grey(i, p)), (i * h * w + p) * 3, (i * h * w + p) * 3 + 3);
  const plane = new Uint8Array(h * w);
  for (const layer of layers) {
    const [mn, mh, mw, k] = layer.masks.shape;
    if (mn !== n || mh !== h || mw !== w) throw new Error(`overlayMasks: masks [${layer.masks.shape.join(', ')}] do not match images [${images.shape.join(', ')}] (need the same N, H, W).`);
    const alpha = layer.style === 'fill' ? Math.max(0, Math.min(1, layer.opacity ?? 0.45)) : 1;
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < h * w; p++) {
        let any = 0;
        for (let c = 0; c < k; c++) any |= layer.masks.data[(i * h * w + p) * k + c] > 0 ? 1 : 0;
        plane[p] = any;
      }
      const drawn = layer.style === 'fill' ? plane : surface(plane, h, w);
      for (let p = 0; p < h * w; p++) {
        if (!drawn[p]) continue;
        for (let ch = 0; ch < 3; ch++) {
          const q = (i * h * w + p) * 3 + ch;
          out[q] = Math.round((1 - alpha) * out[q] + alpha * layer.color[ch]);
        }
      }
    }
  }
  return { data: out, shape: [n, h, w, 3] };
}

/** One row of `maskStrips`: which image, and a caption (e.g. its Dice). */
export interface MaskCase {
  index: number;
  caption?: string;
}

/**
 * For each case, a PNG strip of four panels, left to right: the image with the reference outline, the reference
 * mask, the predicted mask (white on black), and the image with both outlines (reference green, prediction
 * magenta). `truth` and `prediction` are `[N, H, W, K]` masks of the same images. Returns one PNG per case, for a
 * `gallery`.
 */
export function maskStrips(images: ImageBatch, truth: MaskBatch, prediction: MaskBatch, cases: readonly MaskCase[], options: Pick<ImageGridOptions, 'scale' | 'gap'> = {}): Uint8Array[] {
  const [n, h, w, c] = images.shape;
  const k = truth.shape[3];
  const per = h * w;
  const binary = (m: MaskBatch, i: number): Uint8Array => {
    const out = new Uint8Array(per);
    for (let p = 0; p < per; p++) for (let q = 0; q < m.shape[3]; q++) if (m.data[(i * per + p) * m.shape[3] + q] > 0) out[p] = 255;
    return out;
  };
  return cases.map(({ index: i }) => {
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error(`maskStrips: case index ${i} is outside 0..${n - 1}.`);
    const one = { data: sliceOf(images.data, i * per * c, (i + 1) * per * c), shape: [1, h, w, c] as const };
    const t = { data: sliceOf(truth.data, i * per * k, (i + 1) * per * k), shape: [1, h, w, k] as const };
    const pk = prediction.shape[3];
    const pr = { data: sliceOf(prediction.data, i * per * pk, (i + 1) * per * pk), shape: [1, h, w, pk] as const };
    const withTruth = overlayMasks(one, [{ masks: t, color: MASK_COLORS.truth }]);
    const both = overlayMasks(one, [{ masks: t, color: MASK_COLORS.truth }, { masks: pr, color: MASK_COLORS.prediction }]);
    const panels = new Uint8Array(4 * per * 3);
    panels.set(withTruth.data as Uint8Array, 0);
    panels.set(rgb(binary(truth, i)), per * 3);
    panels.set(rgb(binary(prediction, i)), 2 * per * 3);
    panels.set(both.data as Uint8Array, 3 * per * 3);
    return imageGrid({ data: panels, shape: [4, h, w, 3] }, { cols: 4, range: [0, 255], scale: options.scale ?? 3, gap: options.gap ?? 3 });
  });
}

function sliceOf(data: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  const d = data as { subarray?: (a: number, b: number) => ArrayLike<number> } & ArrayLike<number>;
  return typeof d.subarray === 'function' ? d.subarray(start, end) : Array.prototype.slice.call(data, start, end);
}

function rgb(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 3);
  for (let p = 0; p < grey.length; p++) out.fill(grey[p], 3 * p, 3 * p + 3);
  return out;
}

/** One run's per-image values for `scoreHistogram`. */
export interface ScoreSeries {
  name: string;
  values: ArrayLike<number>;
}

/**
 * Per-image scores of several runs as grouped bars over shared bins of `[0, 1]` (Dice, IoU): how many images
 * fall in each bin, run by run. A dotted vertical line marks each run's mean (named in the legend). Non-finite
 * values are left out.
 */
export function scoreHistogram(series: readonly ScoreSeries[], options: { title?: string; xTitle?: string; bins?: number; height?: number } = {}): Figure {
  const bins = Math.max(1, Math.floor(options.bins ?? 20));
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd'];
  const data: object[] = [];
  const shapes: object[] = [];
  series.forEach((s, i) => {
    const finite = Array.from(s.values).filter(Number.isFinite);
    const { edges, counts } = binCounts(finite, bins, [0, 1]);
    const colour = colours[i % colours.length];
    data.push({
      type: 'bar', name: s.name, x: counts.map((_, b) => (edges[b] + edges[b + 1]) / 2), y: counts, marker: { color: colour },
      hovertemplate: `${s.name}: %{y} images<extra></extra>`,
    });
    const mean = finite.reduce((a, v) => a + v, 0) / (finite.length || 1);
    shapes.push({ type: 'line', xref: 'x', yref: 'paper', x0: mean, x1: mean, y0: 0, y1: 1, line: { color: colour, width: 2, dash: 'dot' }, showlegend: true, name: `${s.name}: mean ${mean.toFixed(3)}` });
  });
  return {
    data,
    layout: {
      title: options.title ?? '', barmode: 'group', bargap: 0.1, shapes, showlegend: true,
      xaxis: { title: options.xTitle ?? 'score', range: [0, 1] }, yaxis: { title: 'images', rangemode: 'tozero' }, height: options.height ?? 340,
    },
  };
}

/** One run's points for `identityScatter`; `text` labels each point on hover. */
export interface ScatterSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  text?: readonly string[];
}

/**
 * Predicted (`y`) against reference (`x`) values, one marker trace per run, with the identity line y = x across
 * the range of every finite value (a perfect prediction lies on it; the line is drawn even when no run predicted
 * anything). Points with a non-finite coordinate (no prediction) are left out.
 */
export function identityScatter(series: readonly ScatterSeries[], options: { title?: string; xTitle?: string; yTitle?: string; height?: number } = {}): Figure {
  let lo = Infinity;
  let hi = -Infinity;
  const data: object[] = series.map((s) => {
    if (s.x.length !== s.y.length) throw new Error(`identityScatter: series "${s.name}" has ${s.x.length} x values and ${s.y.length} y values.`);
    const keep = Array.from({ length: s.x.length }, (_, i) => i).filter((i) => Number.isFinite(s.x[i]) && Number.isFinite(s.y[i]));
    for (const v of [...Array.from(s.x), ...Array.from(s.y)].filter(Number.isFinite)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return {
      type: 'scatter', mode: 'markers', name: s.name, x: keep.map((i) => s.x[i]), y: keep.map((i) => s.y[i]), marker: { size: 6, opacity: 0.75 },
      ...(s.text ? { text: keep.map((i) => s.text![i]), hovertemplate: '%{text}: x %{x:.1f}, y %{y:.1f}<extra>%{fullData.name}</extra>' } : {}),
    };
  });
  // Both axes over the same range, so that the identity line is the diagonal of the plot.
  const pad = hi > lo ? 0.05 * (hi - lo) : 1;
  const range = hi >= lo ? { range: [lo - pad, hi + pad] } : {};
  if (hi >= lo) data.push({ type: 'scatter', mode: 'lines', name: 'identity (y = x)', x: [lo, hi], y: [lo, hi], line: { color: '#555', dash: 'dash', width: 1.5 }, hoverinfo: 'skip' });
  return {
    data,
    layout: {
      title: options.title ?? '', height: options.height ?? 420, showlegend: true,
      xaxis: { title: options.xTitle ?? 'reference', ...range }, yaxis: { title: options.yTitle ?? 'predicted', ...range },
    },
  };
}
