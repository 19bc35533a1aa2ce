/**
 * Figures of the regime map: measured effects against a distance (each a paired Δ with its interval), and
 * predicted against measured effects. Both draw the zero line: a point whose bar crosses it is "no detectable effect".
 */
import type { Figure } from './plotly';

/** One measured effect: where it sits on the x axis, its Δ and 95% interval, its group (a trace) and a hover label. */
export interface EffectPoint {
  x: number;
  y: number;
  low: number;
  high: number;
  group: string;
  label: string;
  /** Interval on x too (a prediction's), drawn as a horizontal bar. */
  xLow?: number;
  xHigh?: number;
}

/** Options of the regime figures. */
export interface EffectFigureOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  height?: number;
  /** Draw y = x (for predicted against measured). */
  diagonal?: boolean;
  /** A log x axis (e.g. TPP images or optimiser steps, which grow by factors). */
  logX?: boolean;
  /** Join each group's points in order of x (a dose curve). */
  lines?: boolean;
}

const SYMBOLS = ['circle', 'diamond', 'square', 'triangle-up', 'x', 'star'];

/** Measured Δs with their intervals, one trace per group, against `x` (e.g. the TPP pool's distance to the target). */
export function effectScatter(points: readonly EffectPoint[], options: EffectFigureOptions = {}): Figure {
  const groups = [...new Set(points.map((p) => p.group))];
  const data: object[] = groups.map((g, i) => {
    const ps = points.filter((p) => p.group === g);
    if (options.lines) ps.sort((a, b) => a.x - b.x);
    const xBars = ps.some((p) => p.xLow !== undefined);
    return {
      type: 'scatter', mode: options.lines ? 'lines+markers' : 'markers', name: g, x: ps.map((p) => p.x), y: ps.map((p) => p.y), text: ps.map((p) => p.label),
      marker: { symbol: SYMBOLS[i % SYMBOLS.length], size: 8 },
      error_y: { type: 'data', symmetric: false, array: ps.map((p) => p.high - p.y), arrayminus: ps.map((p) => p.y - p.low), thickness: 1, width: 2 },
      ...(xBars ? { error_x: { type: 'data', symmetric: false, array: ps.map((p) => (p.xHigh ?? p.x) - p.x), arrayminus: ps.map((p) => p.x - (p.xLow ?? p.x)), thickness: 1, width: 2 } } : {}),
      hovertemplate: '%{text}<br>Δ %{y:+.3f}<extra></extra>',
    };
  });
  const xs = points.flatMap((p) => [p.xLow ?? p.x, p.xHigh ?? p.x]);
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  const shapes: object[] = [{ type: 'line', xref: 'paper', x0: 0, x1: 1, y0: 0, y1: 0, line: { dash: 'dash', width: 1, color: '#555' } }];
  if (options.diagonal) {
    const ys = points.flatMap((p) => [p.low, p.high]);
    const a = Math.min(lo, ...ys);
    const b = Math.max(hi, ...ys);
    shapes.push({ type: 'line', x0: a, x1: b, y0: a, y1: b, line: { dash: 'dot', width: 1, color: '#999' } });
  }
  return {
    data,
    layout: {
      title: options.title, height: options.height ?? 420, shapes,
      xaxis: { title: options.xTitle ?? '', zeroline: false, automargin: true, ...(options.logX ? { type: 'log' } : {}) },
      yaxis: { title: options.yTitle ?? 'Δ (TPP − none)', zeroline: false, automargin: true },
      legend: { orientation: 'h', y: -0.2 },
    },
  };
}
