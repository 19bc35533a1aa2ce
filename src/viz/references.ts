/**
 * Chance lines and reference points for metric charts: a metric means little without "what would guessing
 * score" and "what does a known method score" beside it. Every metric chart of the library (`barChart`,
 * `lineFigure`, `rankSweepFigure`, the compare report's AUC charts) takes a `references` option and draws it
 * with `withReferences`; `chanceLine` gives the guessing level of the usual metrics.
 */
import type { Figure } from './plotly';

/** A horizontal line across the plot at `y`, named in the legend (e.g. `chance (AUC 0.5)`). */
export interface ReferenceLine {
  y: number;
  label: string;
  /** Line style (default `dash`). */
  dash?: 'dash' | 'dot' | 'dashdot' | 'solid';
  /** Line colour (default a mid grey). */
  color?: string;
}

/**
 * A named reference result, e.g. `{ label: 'all labels', y: 0.86 }` or `{ label: 'linear probe', x: 'LoRA', y: 0.71 }`.
 * With `x` it is a marker at that position (a category or a number) with its label beside it; without `x` it
 * applies to the whole chart and is drawn as a dotted line like a `ReferenceLine`.
 */
export interface ReferencePoint {
  label: string;
  y: number;
  x?: number | string;
  color?: string;
}

/** The `references` option of the metric charts. */
export interface References {
  lines?: readonly ReferenceLine[];
  points?: readonly ReferencePoint[];
}

/** Metrics `chanceLine` knows the guessing level of. */
export type ChanceMetric = 'auc' | 'balanced-accuracy' | 'accuracy';

/**
 * The score of guessing, as a reference line: AUC 0.5 (a random ranking), balanced accuracy 1 / classes
 * (0.5 for two classes), accuracy of always answering the majority class (`majorityShare` is that class's share of the
 * evaluated images, e.g. 0.73 on BreastMNIST's test split: it must be given, accuracy's chance depends on the data).
 */
export function chanceLine(metric: ChanceMetric, options: { classes?: number; majorityShare?: number } = {}): ReferenceLine {
  if (metric === 'auc') return { y: 0.5, label: 'chance (AUC 0.5)' };
  if (metric === 'balanced-accuracy') {
    const k = options.classes ?? 2;
    if (!Number.isInteger(k) || k < 2) throw new Error(`chanceLine: classes must be an integer ≥ 2, got ${k}.`);
    const y = 1 / k;
    return { y, label: `chance (balanced accuracy ${Number(y.toFixed(3))})` };
  }
  if (metric === 'accuracy') {
    const s = options.majorityShare;
    if (s === undefined || !(s > 0 && s <= 1)) {
      throw new Error('chanceLine: accuracy\'s chance level is the majority class\'s share: pass { majorityShare } (a number in (0, 1]).');
    }
    return { y: s, label: `always the majority class (accuracy ${s.toFixed(2)})` };
  }
  throw new Error(`chanceLine: unknown metric "${metric as string}"; use auc, balanced-accuracy or accuracy.`);
}

const GREY = '#555';
const POINT_COLOURS = ['#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function checkFinite(what: string, label: string, y: number): void {
  if (!Number.isFinite(y)) throw new Error(`withReferences: ${what} "${label}" has y = ${y}; give a finite number.`);
}

/**
 * `fig` with reference lines (layout shapes across the plot at their y, in plot coordinates so the y axis'
 * autorange includes them, each named in the legend) and reference points (one marker trace each, named in the
 * legend; points without `x` become dotted lines). The legend is switched on. Returns a new figure; `fig` is not
 * modified. No references: `fig` itself.
 */
export function withReferences(fig: Figure, references: References | undefined): Figure {
  const lines = references?.lines ?? [];
  const points = references?.points ?? [];
  if (lines.length === 0 && points.length === 0) return fig;
  const asLines: ReferenceLine[] = [...lines];
  const traces: object[] = [];
  points.forEach((p, i) => {
    checkFinite('reference point', p.label, p.y);
    const color = p.color ?? POINT_COLOURS[i % POINT_COLOURS.length];
    if (p.x === undefined) {
      asLines.push({ y: p.y, label: `${p.label} (${Number(p.y.toFixed(3))})`, dash: 'dot', color });
      return;
    }
    traces.push({
      type: 'scatter', mode: 'markers+text', x: [p.x], y: [p.y], name: p.label, text: [p.label], textposition: 'middle right',
      marker: { symbol: 'diamond', size: 12, color, line: { color: '#fff', width: 1 } }, textfont: { color, size: 11 },
      hovertemplate: `${p.label}: %{y:.3f}<extra></extra>`, cliponaxis: false,
    });
  });
  const layout = { ...(fig.layout ?? {}) };
  const shapes = [...((layout.shapes as object[] | undefined) ?? [])];
  for (const l of asLines) {
    checkFinite('reference line', l.label, l.y);
    // named in the legend (plotly >= 2.31 draws shapes there), not written on the plot where bars and labels sit
    shapes.push({
      type: 'line', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: l.y, y1: l.y, layer: 'above',
      line: { color: l.color ?? GREY, width: 1.5, dash: l.dash ?? 'dash' }, showlegend: true, name: l.label,
    });
  }
  layout.shapes = shapes;
  layout.showlegend = true;
  // an unnamed series (a one-series bar chart) would be an empty legend entry
  const data = fig.data.map((t) => ((t as { name?: string }).name ? t : { ...t, showlegend: false }));
  return { ...fig, data: [...data, ...traces], layout };
}
