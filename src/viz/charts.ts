/**
 * Plotly figure specs for the notebooks: loss curves, bar charts, heatmap grids. Each function returns a plain
 * `Figure` (traces + layout); `show(fig)` from ./notebook draws it, `figureHtml` from ./plotly embeds it in a page.
 */
import { logAxis } from './axes';
import type { Figure } from './plotly';
import { withReferences, type References } from './references';

/** One point of a loss curve: the global step (1-based) and the loss there. */
export interface LossPoint {
  step: number;
  loss: number;
}

/** An epoch's summary on a loss curve: where it ended and its mean loss / metrics (e.g. `val_loss`). */
export interface EpochPoint {
  step: number;
  epochLoss?: number;
  metrics?: Record<string, number>;
}

/** What `lossCurve` draws: per-step losses and, optionally, per-epoch summaries. */
export interface LossHistory {
  steps: readonly LossPoint[];
  epochs?: readonly EpochPoint[];
}

/** Options of `lossCurve`. */
export interface LossCurveOptions {
  title?: string;
  /** Moving-average window over steps for a smoothed trace (default 20; 0 or 1 draws no smoothed trace). */
  smooth?: number;
  /** Log-scale loss axis (default false). */
  logY?: boolean;
  height?: number;
}

/** Trailing moving average with window `k` (the first values average what is there). */
export function movingAverage(values: readonly number[], k: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= k) sum -= values[i - k];
    out.push(sum / Math.min(i + 1, k));
  }
  return out;
}

/**
 * A loss curve: the raw per-step loss (thin), its moving average, the epoch mean loss (markers at each epoch's
 * last step) and every epoch metric whose name contains `loss` (e.g. `val_loss`), one trace each.
 * Accepts the events of `trainingDisplay` (`display.history()`) or any `LossHistory`.
 */
export function lossCurve(history: LossHistory, options: LossCurveOptions = {}): Figure {
  const x = history.steps.map((p) => p.step);
  const y = history.steps.map((p) => p.loss);
  const smooth = Math.floor(options.smooth ?? 20);
  const data: object[] = [{ x, y, type: 'scatter', mode: 'lines', name: 'loss per step', line: { width: 1, color: 'rgba(31,119,180,0.35)' } }];
  if (smooth > 1 && y.length > smooth) {
    data.push({ x, y: movingAverage(y, smooth), type: 'scatter', mode: 'lines', name: `moving average (${smooth} steps)`, line: { width: 2, color: '#1f77b4' } });
  }
  const epochs = history.epochs ?? [];
  const withLoss = epochs.filter((e) => typeof e.epochLoss === 'number');
  if (withLoss.length > 0) {
    data.push({ x: withLoss.map((e) => e.step), y: withLoss.map((e) => e.epochLoss), type: 'scatter', mode: 'markers+lines', name: 'epoch mean', marker: { size: 8, color: '#ff7f0e' }, line: { dash: 'dot', color: '#ff7f0e' } });
  }
  const metricNames = [...new Set(epochs.flatMap((e) => Object.keys(e.metrics ?? {})))].filter((m) => m.includes('loss')).sort();
  for (const m of metricNames) {
    const pts = epochs.filter((e) => typeof e.metrics?.[m] === 'number');
    data.push({ x: pts.map((e) => e.step), y: pts.map((e) => e.metrics![m]), type: 'scatter', mode: 'markers+lines', name: m, marker: { size: 8, symbol: 'diamond' } });
  }
  return {
    data,
    layout: {
      title: options.title ?? 'Training loss',
      xaxis: { title: 'step' },
      yaxis: options.logY ? logAxis(data.flatMap((t) => (t as { y: number[] }).y), { title: 'loss' }) : { title: 'loss', type: 'linear' },
      height: options.height ?? 360,
      legend: { orientation: 'h', y: -0.25 },
    },
  };
}

/** One named series of a bar chart. */
export interface BarSeries {
  name: string;
  y: readonly number[];
  /** This series' own categories (default: the chart's `x`), for groups that cover different bars. */
  x?: readonly string[];
}

/** Options of `barChart`. */
export interface BarChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Log-scale value axis (for counts spanning orders of magnitude). Default false. */
  logY?: boolean;
  /** Print each value above its bar (default true). */
  labels?: boolean;
  /** Value format for the labels: `int` (thousands separators, the default) or a number of decimals. */
  format?: 'int' | number;
  /** A unit written after each label and hover value, e.g. ` KiB` (default none). */
  unit?: string;
  height?: number;
  /** Chance lines and reference points on the value axis (for metric charts; see `withReferences`). */
  references?: References;
}

function formatValue(v: number, format: 'int' | number): string {
  return format === 'int' ? Math.round(v).toLocaleString('en-US') : v.toFixed(format);
}

/**
 * A bar chart over the categories `x`: one series (`y` numbers) or several grouped series (`{ name, y }[]`).
 * Every series must have one value per category (its own `x` when it has one).
 */
export function barChart(x: readonly string[], y: readonly number[] | readonly BarSeries[], options: BarChartOptions = {}): Figure {
  const series: BarSeries[] = typeof y[0] === 'number' || y.length === 0 ? [{ name: '', y: y as readonly number[] }] : [...(y as readonly BarSeries[])];
  for (const s of series) {
    const n = (s.x ?? x).length;
    if (s.y.length !== n) throw new Error(`barChart: series "${s.name}" has ${s.y.length} values for ${n} categories; give one value per category.`);
  }
  const format = options.format ?? 'int';
  const unit = options.unit ?? '';
  const data = series.map((s) => ({
    type: 'bar', x: [...(s.x ?? x)], y: [...s.y], name: s.name,
    ...(options.labels === false ? {} : { text: s.y.map((v) => formatValue(v, format) + unit), textposition: 'outside', cliponaxis: false }),
    ...(unit ? { hovertemplate: `%{x}: %{y:${format === 'int' ? ',.0f' : `.${format}f`}}${unit}<extra></extra>` } : {}),
  }));
  return withReferences({
    data,
    layout: {
      title: options.title,
      barmode: 'group',
      showlegend: series.length > 1,
      xaxis: { title: options.xTitle ?? '', automargin: true },
      yaxis: options.logY ? logAxis(series.flatMap((s) => [...s.y]), { title: options.yTitle ?? '', automargin: true }) : { title: options.yTitle ?? '', type: 'linear', automargin: true },
      height: options.height ?? 360,
    },
  }, options.references);
}

/** Options of `heatmapGrid`. */
export interface HeatmapGridOptions {
  title?: string;
  /** One title per heatmap (shown as annotations above them). */
  titles?: readonly string[];
  /** Heatmaps per row (default: min(count, 4)). */
  cols?: number;
  /** Plotly colour scale (default `Viridis`). */
  colorscale?: string;
  /** Shared colour range (default: min and max over all heatmaps). */
  zmin?: number;
  zmax?: number;
  /** Height of one row in pixels (default 220). */
  rowHeight?: number;
}

/**
 * Several matrices (`[rows][cols]` each) as a grid of heatmaps sharing one colour scale, row 0 at the top
 * (like an image). One trace per matrix; used for attention maps (one per head or layer).
 */
export function heatmapGrid(matrices: readonly (readonly (readonly number[])[])[], options: HeatmapGridOptions = {}): Figure {
  if (matrices.length === 0) throw new Error('heatmapGrid: no matrices to draw.');
  const cols = Math.max(1, Math.min(matrices.length, Math.floor(options.cols ?? 4)));
  const rows = Math.ceil(matrices.length / cols);
  const all = matrices.flatMap((m) => m.flatMap((r) => [...r]));
  const zmin = options.zmin ?? Math.min(...all);
  const zmax = options.zmax ?? Math.max(...all);
  const gapX = 0.04;
  const gapY = 0.12 / rows;
  const w = (1 - gapX * (cols - 1)) / cols;
  const h = (1 - gapY * (rows - 1)) / rows;
  const layout: Record<string, unknown> = { title: options.title, height: (options.rowHeight ?? 220) * rows + 60, annotations: [] as object[] };
  const data = matrices.map((z, i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const suffix = i === 0 ? '' : String(i + 1);
    const x0 = c * (w + gapX);
    const y1 = 1 - r * (h + gapY);
    layout[`xaxis${suffix}`] = { domain: [x0, x0 + w], showticklabels: false, ticks: '', anchor: `y${suffix}` };
    layout[`yaxis${suffix}`] = { domain: [y1 - h, y1], autorange: 'reversed', showticklabels: false, ticks: '', scaleanchor: `x${suffix}`, anchor: `x${suffix}` };
    if (options.titles?.[i]) {
      (layout.annotations as object[]).push({ text: options.titles[i], x: x0 + w / 2, y: y1, xref: 'paper', yref: 'paper', xanchor: 'center', yanchor: 'bottom', showarrow: false, font: { size: 12 } });
    }
    return {
      type: 'heatmap', z: z.map((row) => [...row]), xaxis: `x${suffix}`, yaxis: `y${suffix}`,
      zmin, zmax, colorscale: options.colorscale ?? 'Viridis', showscale: i === 0,
    };
  });
  return { data, layout };
}

/** A value range marked on a histogram (e.g. a CT window). */
export interface HistogramBand {
  name: string;
  from: number;
  to: number;
}

/** Options of `histogram`. */
export interface HistogramOptions {
  title?: string;
  xTitle?: string;
  /** Number of bins (default 80). */
  bins?: number;
  /** Log-scale count axis (default true: a few huge bins, e.g. air in CT, would hide the rest). */
  logY?: boolean;
  /**
   * Ranges to mark, one bracket each in its own row above the bars (ranges may overlap: nothing is shaded, so no
   * colour mixes), with dotted guides down to the axis and a legend entry naming the range.
   */
  bands?: readonly HistogramBand[];
  height?: number;
}

/**
 * Counts of `values` in `bins` equal bins over [min, max], or over `range` `[lo, hi]` when given (fixed edges, so
 * that several series share their bins; values outside it are not counted): `{ edges (bins + 1), counts (bins) }`.
 * The last bin includes its upper edge.
 */
export function binCounts(values: ArrayLike<number>, bins: number, range?: readonly [number, number]): { edges: number[]; counts: number[] } {
  let lo = Infinity;
  let hi = -Infinity;
  if (range) {
    [lo, hi] = range;
    if (!(hi > lo)) throw new Error(`binCounts: range must be [lo, hi] with hi > lo, got [${range.join(', ')}].`);
  } else {
    for (let i = 0; i < values.length; i++) {
      if (values[i] < lo) lo = values[i];
      if (values[i] > hi) hi = values[i];
    }
    if (values.length === 0) return { edges: [], counts: [] };
  }
  const width = hi > lo ? (hi - lo) / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (range && !(v >= lo && v <= hi)) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  }
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * width), counts };
}

const BAND_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/** Height of one bracket row above a histogram, as a fraction of the figure's plot area. */
const BRACKET_ROW = 0.07;

/**
 * A histogram of `values`, binned here (the figure holds `bins` bars, not the raw values, so it stays small),
 * with optional ranges marked by brackets: band i is a horizontal bracket in row i above the bars (the bars take
 * the lower part of the plot), with dotted guides at its ends and one legend entry `name (from to to)`.
 */
export function histogram(values: ArrayLike<number>, options: HistogramOptions = {}): Figure {
  const { edges, counts } = binCounts(values, Math.max(1, Math.floor(options.bins ?? 80)));
  const centres = counts.map((_, i) => (edges[i] + edges[i + 1]) / 2);
  const bands = options.bands ?? [];
  const top = 1 - BRACKET_ROW * bands.length;
  const data: object[] = [{ type: 'bar', x: centres, y: counts, width: edges[1] - edges[0], name: 'pixels', marker: { color: '#555' } }];
  const shapes: object[] = [];
  bands.forEach((b, i) => {
    const color = BAND_COLOURS[i % BAND_COLOURS.length];
    const y = 1 - BRACKET_ROW * (i + 0.35);
    const tick = BRACKET_ROW * 0.35;
    const line = { color, width: 2.5 };
    shapes.push(
      { type: 'line', xref: 'x', yref: 'paper', x0: b.from, x1: b.to, y0: y, y1: y, line },
      { type: 'line', xref: 'x', yref: 'paper', x0: b.from, x1: b.from, y0: y, y1: y - tick, line },
      { type: 'line', xref: 'x', yref: 'paper', x0: b.to, x1: b.to, y0: y, y1: y - tick, line },
      { type: 'line', xref: 'x', yref: 'paper', x0: b.from, x1: b.from, y0: 0, y1: top, line: { color, width: 1, dash: 'dot' }, opacity: 0.6 },
      { type: 'line', xref: 'x', yref: 'paper', x0: b.to, x1: b.to, y0: 0, y1: top, line: { color, width: 1, dash: 'dot' }, opacity: 0.6 },
    );
    data.push({ type: 'scatter', mode: 'lines', x: [null], y: [null], name: `${b.name} (${b.from} to ${b.to})`, line: { color, width: 3 } });
  });
  const annotations = bands.map((b, i) => ({
    xref: 'x', yref: 'paper', x: (b.from + b.to) / 2, y: 1 - BRACKET_ROW * (i + 0.35), yanchor: 'bottom', showarrow: false,
    text: b.name, font: { size: 11, color: BAND_COLOURS[i % BAND_COLOURS.length] },
  }));
  const yTitle = { title: 'pixels', domain: [0, top] };
  return {
    data,
    layout: {
      title: options.title, bargap: 0, shapes, annotations,
      xaxis: { title: options.xTitle ?? 'value' },
      yaxis: options.logY === false ? { ...yTitle, type: 'linear' } : logAxis(counts, yTitle),
      height: (options.height ?? 340) + 24 * bands.length,
    },
  };
}
