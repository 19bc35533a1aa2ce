/**
 * A live training display for notebooks: plug `display.onProgress` into a training loop's `onProgress` and one
 * cell output is redrawn in place (via `tslab.newDisplay()`) at most every `intervalMs` (default 500 ms, about
 * twice a second) with a progress line, a bar and a small SVG loss curve. SVG, not plotly: the redraws stay a
 * few kB each and need no script on the page. After training, `lossCurve(display.history())` gives the
 * interactive plotly chart. One display can follow several runs in a row (a grid, TPP then fine-tuning): a step
 * number lower than the last one, or another stage, starts a new run, and the curve and `history()` restart.
 */
import type { TrainProgress } from '../train/loop';
import type { LossHistory, LossPoint } from './charts';
import { escapeHtml } from './images';

/** Where the display writes: `tslab.newDisplay()` by default. */
export interface HtmlSink {
  html(s: string): void;
}

/** Options of `trainingDisplay`. */
export interface TrainingDisplayOptions {
  /** A heading (default: the stage name of the first event). */
  title?: string;
  /** Minimum time between redraws in ms (default 500). Epoch events and `done()` always redraw. */
  intervalMs?: number;
  /** Size of the SVG curve in pixels (default 520 x 160). */
  width?: number;
  height?: number;
  /** Output to draw into (default: a new tslab display; needs the tslab kernel). */
  sink?: HtmlSink;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
}

/** A live display bound to one cell output. */
export interface TrainingDisplay {
  /**
   * Pass to a loop: `pretrainMAE({ ..., onProgress: display.onProgress })`. `note` (e.g. which run of a grid is
   * training) is shown next to the title until another note replaces it.
   */
  readonly onProgress: (p: TrainProgress, note?: string) => void;
  /** Redraw with the last event (call after training; also marks the run finished). */
  done(): void;
  /** Every event received, in order. */
  readonly events: readonly TrainProgress[];
  /** Per-step losses and per-epoch summaries of the current (last) run, for `lossCurve`. */
  history(): LossHistory;
  /** Number of redraws so far. */
  readonly redraws: number;
}

/** `12 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** One line describing a progress event, e.g. `epoch 2/4 · step 120/330 (36%) · loss 0.4123 · lr 1.20e-3 · 310 img/s · 40 s left`. */
export function progressLine(p: TrainProgress): string {
  const pct = p.totalSteps > 0 ? Math.round((100 * p.step) / p.totalSteps) : 0;
  const parts = [`epoch ${Math.min(p.epoch + 1, p.epochs)}/${p.epochs}`, `step ${p.step}/${p.totalSteps} (${pct}%)`, `loss ${p.loss.toFixed(4)}`, `lr ${p.lr.toExponential(2)}`, `${Math.round(p.imagesPerSecond)} img/s`];
  parts.push(p.step >= p.totalSteps ? 'done' : `${formatSeconds(p.etaSeconds)} left`);
  return parts.join(' · ');
}

/** The steps' losses and the epoch summaries of a list of progress events. */
export function historyOf(events: readonly TrainProgress[]): LossHistory {
  return {
    steps: events.filter((e) => e.kind === 'step').map((e) => ({ step: e.step, loss: e.loss })),
    epochs: events.filter((e) => e.kind === 'epoch').map((e) => ({ step: e.step, epochLoss: e.epochLoss, metrics: e.metrics })),
  };
}

/**
 * A small SVG line chart of loss against step (at most `width` points: longer curves are thinned by taking
 * every k-th point plus the last), with the y range printed. An empty history gives an empty frame.
 */
export function lossSvg(points: readonly LossPoint[], options: { width?: number; height?: number } = {}): string {
  const width = options.width ?? 520;
  const height = options.height ?? 160;
  const pad = { l: 52, r: 8, t: 8, b: 20 };
  const frame = `<rect x="${pad.l}" y="${pad.t}" width="${width - pad.l - pad.r}" height="${height - pad.t - pad.b}" fill="none" stroke="#ccc"/>`;
  if (points.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${frame}</svg>`;
  const k = Math.max(1, Math.ceil(points.length / (width - pad.l - pad.r)));
  const shown = points.filter((_, i) => i % k === 0 || i === points.length - 1);
  const xs = shown.map((p) => p.step);
  const ys = shown.map((p) => p.loss);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => pad.l + (x1 > x0 ? ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r) : 0);
  const sy = (y: number) => pad.t + (y1 > y0 ? (1 - (y - y0) / (y1 - y0)) * (height - pad.t - pad.b) : (height - pad.t - pad.b) / 2);
  const coords = shown.map((p) => `${sx(p.step).toFixed(1)},${sy(p.loss).toFixed(1)}`).join(' ');
  const text = (x: number, y: number, s: string, anchor = 'end') => `<text x="${x}" y="${y}" font-size="11" font-family="sans-serif" text-anchor="${anchor}" fill="#555">${escapeHtml(s)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${frame}` +
    `<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${coords}"/>` +
    text(pad.l - 4, pad.t + 10, y1.toPrecision(3)) + text(pad.l - 4, height - pad.b, y0.toPrecision(3)) +
    text(width - pad.r, height - 5, `step ${x1}`) + text(pad.l, height - 5, `step ${x0}`, 'start') + '</svg>';
}

/** `last epoch: loss 0.4123 · val_auc 0.750` for the last epoch event in `events` (empty if there is none). */
export function epochLine(events: readonly TrainProgress[]): string {
  const e = [...events].reverse().find((p) => p.kind === 'epoch');
  if (!e) return '';
  const parts = [`last epoch: epoch ${e.epoch + 1}`];
  if (e.epochLoss !== undefined) parts.push(`loss ${e.epochLoss.toFixed(4)}`);
  for (const [k, v] of Object.entries(e.metrics ?? {})) parts.push(`${k} ${v.toFixed(3)}`);
  return parts.join(' · ');
}

/**
 * The HTML the display shows for the events of one run (title and note, progress line, bar, last epoch's loss and
 * metrics, loss curve).
 */
export function progressHtml(events: readonly TrainProgress[], options: { title?: string; note?: string; width?: number; height?: number; finished?: boolean } = {}): string {
  const last = events[events.length - 1];
  const title = options.title ?? (last ? `Training: ${last.stage}` : 'Training');
  const frac = last && last.totalSteps > 0 ? Math.min(1, last.step / last.totalSteps) : 0;
  const line = last ? progressLine(last) : 'waiting for the first step…';
  const bar = `<div style="width:${options.width ?? 520}px;height:8px;background:#eee;border-radius:4px"><div style="width:${(100 * frac).toFixed(1)}%;height:8px;background:${options.finished ? '#2ca02c' : '#1f77b4'};border-radius:4px"></div></div>`;
  const note = options.note ? ` <span style="font-weight:400">${escapeHtml(options.note)}</span>` : '';
  const epoch = epochLine(events);
  return `<div class="tpp-progress" style="font:13px system-ui,sans-serif"><div style="font-weight:600">${escapeHtml(title)}${options.finished ? ' (finished)' : ''}${note}</div>` +
    `<div style="margin:2px 0 4px">${escapeHtml(line)}</div>${bar}${epoch ? `<div style="margin:4px 0 0;color:#555">${escapeHtml(epoch)}</div>` : ''}` +
    `${lossSvg(historyOf(events).steps, options)}</div>`;
}

const NO_KERNEL = 'trainingDisplay() needs the tslab notebook kernel; outside a notebook pass { sink: { html(s) {...} } } or use onProgress directly.';

function tslabSink(): HtmlSink {
  let display: HtmlSink;
  try {
    display = require('tslab').newDisplay() as HtmlSink;
  } catch {
    throw new Error(NO_KERNEL);
  }
  // outside a running kernel tslab's display methods throw "Not ready"
  return {
    html: (s: string) => {
      try {
        display.html(s);
      } catch {
        throw new Error(NO_KERNEL);
      }
    },
  };
}

/** A live training display (see the file comment). Create it in the cell that trains, then `await` the training. */
export function trainingDisplay(options: TrainingDisplayOptions = {}): TrainingDisplay {
  const events: TrainProgress[] = [];
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 500;
  let sink: HtmlSink | null = options.sink ?? null;
  let lastDraw = -Infinity;
  let redraws = 0;
  let runStart = 0;
  let note = '';
  const run = () => events.slice(runStart);
  const draw = (finished: boolean) => {
    sink ??= tslabSink();
    sink.html(progressHtml(run(), { title: options.title, note, width: options.width, height: options.height, finished }));
    lastDraw = now();
    redraws++;
  };
  return {
    onProgress: (p: TrainProgress, newNote?: string) => {
      const last = events[events.length - 1];
      if (p.kind === 'step' && last && (p.step < last.step || p.stage !== last.stage)) runStart = events.length;
      if (newNote !== undefined) note = newNote;
      events.push(p);
      if (p.kind === 'epoch' || now() - lastDraw >= interval) draw(false);
    },
    done: () => draw(true),
    events,
    history: () => historyOf(run()),
    get redraws() {
      return redraws;
    },
  };
}
