/**
 * Plotly figures for training runs in the notebooks: overlaid curves, confusion matrices side by side, file
 * sizes on a log scale (a `barChart` from ./charts) and a rank sweep. Each returns a `Figure` (data + layout) and draws nothing itself.
 */
import { logAxis } from './axes';
import { barChart } from './charts';
import type { Figure } from './plotly';
import { withReferences, type References } from './references';

/** One line of a line chart. */
export interface Series {
  name: string;
  x: readonly number[];
  y: readonly (number | null)[];
  /** Hover text per point (optional). */
  text?: readonly string[];
  dash?: 'solid' | 'dash' | 'dot';
}

/** Axis titles and the chart title. */
export interface ChartLabels {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  height?: number;
  /** Log-scale y axis. */
  logY?: boolean;
  /** Chance lines and reference points (for metric charts; see `withReferences`). */
  references?: References;
}

/** Overlaid lines, one trace per series (learning curves, loss curves). */
export function lineFigure(series: readonly Series[], labels: ChartLabels = {}): Figure {
  const yTitle = { title: labels.yTitle ?? '' };
  return withReferences({
    data: series.map((s) => ({
      type: 'scatter', mode: s.x.length > 60 ? 'lines' : 'lines+markers', name: s.name, x: [...s.x], y: [...s.y],
      ...(s.text ? { text: [...s.text], hovertemplate: '%{text}<extra>%{fullData.name}</extra>' } : {}), line: { dash: s.dash ?? 'solid' },
    })),
    layout: {
      title: labels.title ?? '', height: labels.height ?? 340, hovermode: 'x unified',
      xaxis: { title: labels.xTitle ?? '' },
      yaxis: labels.logY ? logAxis(series.flatMap((s) => s.y.filter((v): v is number => v !== null)), yTitle) : yTitle,
    },
  }, labels.references);
}

/** One confusion matrix: `matrix[t][p]` counts of true class t predicted as p. */
export interface ConfusionPanel {
  title: string;
  matrix: readonly (readonly number[])[];
}

/** Text colour of a count on the confusion heatmap: white on the dark half of the scale, near-black on the light half. */
export function countColour(count: number, max: number): string {
  return max > 0 && count / max > 0.5 ? '#fff' : '#111';
}

/**
 * Confusion matrices side by side (one heatmap trace per panel, shared colour scale per panel), rows = true
 * class, columns = predicted class, counts written in the cells (white on dark cells, black on light ones).
 */
export function confusionFigure(panels: readonly ConfusionPanel[], classNames: readonly string[], title = 'Confusion matrices (test set)'): Figure {
  const n = panels.length;
  const gap = 0.08;
  const w = (1 - gap * (n - 1)) / Math.max(1, n);
  const layout: Record<string, unknown> = { title, height: 380, margin: { t: 70, r: 20, b: 60, l: 120 }, annotations: [] as object[] };
  const annotations = layout.annotations as object[];
  const data = panels.map((p, i) => {
    const ax = i === 0 ? '' : String(i + 1);
    layout[`xaxis${ax}`] = { domain: [i * (w + gap), i * (w + gap) + w], title: 'predicted', tickvals: classNames.map((_, k) => k), ticktext: [...classNames] };
    layout[`yaxis${ax}`] = { anchor: `x${ax}`, autorange: 'reversed', title: i === 0 ? 'true' : '', tickvals: classNames.map((_, k) => k), ticktext: [...classNames] };
    annotations.push({ text: `<b>${p.title}</b>`, xref: 'paper', yref: 'paper', x: i * (w + gap) + w / 2, y: 1.08, showarrow: false });
    const max = Math.max(1, ...p.matrix.flat());
    p.matrix.forEach((row, t) => row.forEach((v, c) => annotations.push({
      x: c, y: t, xref: `x${ax}`, yref: `y${ax}`, text: String(v), showarrow: false, font: { size: 16, color: countColour(v, max) },
    })));
    return {
      type: 'heatmap', name: p.title, z: p.matrix.map((r) => [...r]), x: classNames.map((_, k) => k), y: classNames.map((_, k) => k),
      xaxis: `x${ax}`, yaxis: `y${ax}`, colorscale: 'Blues', reversescale: true, showscale: false,
      hovertemplate: `${p.title}<br>true %{y}, predicted %{x}: %{z}<extra></extra>`,
    };
  });
  return { data, layout };
}

/** A file or model part and its size in bytes. */
export interface SizeItem {
  name: string;
  bytes: number;
  group?: string;
}

/** Bar chart of sizes on a log scale (bytes shown in KiB), one trace per group (default one trace): a `barChart`. */
export function sizeBarsFigure(items: readonly SizeItem[], title = 'File sizes'): Figure {
  const groups = [...new Set(items.map((i) => i.group ?? ''))];
  const series = groups.map((g) => {
    const its = items.filter((i) => (i.group ?? '') === g);
    return { name: g || 'size', x: its.map((i) => i.name), y: its.map((i) => i.bytes / 1024) };
  });
  return barChart(items.map((i) => i.name), series, { title, yTitle: 'KiB (log scale)', logY: true, format: 1, unit: ' KiB' });
}

/** One point of a rank sweep. */
export interface SweepPoint {
  rank: number;
  parameters: number;
  /** The metric per seed or run (its mean is plotted, every value shown as a point). */
  values: readonly number[];
}

/**
 * Rank sweep: target parameters (x, log scale) against a metric; the mean line plus one marker per run, each
 * labelled with its rank. Two traces.
 */
export function rankSweepFigure(points: readonly SweepPoint[], metric = 'validation AUC', title = 'LoRA rank sweep', references?: References): Figure {
  const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  return withReferences({
    data: [
      {
        type: 'scatter', mode: 'lines+markers+text', name: 'mean', x: points.map((p) => p.parameters), y: points.map((p) => mean(p.values)),
        text: points.map((p) => `r=${p.rank}`), textposition: 'top center', hovertemplate: 'rank %{text}: %{x} params, mean %{y:.3f}<extra></extra>',
      },
      {
        type: 'scatter', mode: 'markers', name: 'runs', x: points.flatMap((p) => p.values.map(() => p.parameters)), y: points.flatMap((p) => [...p.values]),
        marker: { size: 7, opacity: 0.5 }, hovertemplate: '%{x} params: %{y:.3f}<extra>run</extra>',
      },
    ],
    layout: { title, height: 360, xaxis: logAxis(points.map((p) => p.parameters), { title: 'target parameters (log scale)' }), yaxis: { title: metric } },
  }, references);
}
