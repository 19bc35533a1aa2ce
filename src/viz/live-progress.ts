/**
 * A live training display for notebooks: one output that is replaced in place (tslab's `newDisplay()`), at most
 * about twice a second, with the stage, epoch, step, loss, the latest metrics and a small loss sparkline (inline
 * SVG, so it needs no script). Plug it into any training function's `onProgress`.
 */
import type { TrainProgress } from '../train/loop';

/** The state a live display draws: what the events said so far. */
export class ProgressLog {
  /** Loss of every step event, in order. */
  readonly stepLosses: number[] = [];
  /** Every epoch event. */
  readonly epochs: TrainProgress[] = [];
  last: TrainProgress | null = null;
  /** A note shown with the progress line (e.g. which run of a grid is training). */
  note = '';

  /** Record one event. A step number lower than the last one starts a new run: the step losses restart. */
  add(p: TrainProgress, note?: string): void {
    if (p.kind === 'step' && this.last && (p.step < this.last.step || p.stage !== this.last.stage)) {
      this.stepLosses.length = 0;
      this.epochs.length = 0;
    }
    this.last = p;
    if (note !== undefined) this.note = note;
    if (p.kind === 'step') this.stepLosses.push(p.loss);
    if (p.kind === 'epoch') this.epochs.push(p);
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** An SVG polyline of `values` (`width` x `height` px), one point per value (at most `maxPoints`, evenly thinned). */
export function sparklineSvg(values: readonly number[], width = 240, height = 40, maxPoints = 300): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2) return `<svg class="tpp-spark" width="${width}" height="${height}"></svg>`;
  const step = Math.max(1, Math.ceil(finite.length / maxPoints));
  const pts = finite.filter((_, i) => i % step === 0 || i === finite.length - 1);
  const lo = Math.min(...pts);
  const hi = Math.max(...pts);
  const span = hi - lo || 1;
  const xy = pts.map((v, i) => `${((i / (pts.length - 1)) * (width - 2) + 1).toFixed(1)},${(height - 1 - ((v - lo) / span) * (height - 2)).toFixed(1)}`);
  return `<svg class="tpp-spark" width="${width}" height="${height}" style="vertical-align:middle;background:#fafafa"><polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${xy.join(' ')}"/></svg>`;
}

/** The HTML a live display shows for `log` (a title, a progress line, the sparkline). */
export function progressHtml(log: ProgressLog, title = ''): string {
  const p = log.last;
  if (!p) return `<div class="tpp-progress"><b>${esc(title)}</b> waiting for the first step…</div>`;
  const pct = Math.round((100 * p.step) / Math.max(1, p.totalSteps));
  const lastEpoch = log.epochs[log.epochs.length - 1];
  const metrics = lastEpoch?.metrics ? Object.entries(lastEpoch.metrics).map(([k, v]) => `${esc(k)} ${v.toFixed(3)}`).join(' · ') : '';
  const line = `${esc(p.stage)} · epoch ${p.epoch + 1}/${p.epochs} · step ${p.step}/${p.totalSteps} (${pct} %) · loss ${p.loss.toFixed(4)}` +
    (lastEpoch?.epochLoss !== undefined ? ` · last epoch ${lastEpoch.epochLoss.toFixed(4)}` : '') + (metrics ? ` · ${metrics}` : '') +
    (p.kind === 'step' && Number.isFinite(p.etaSeconds) ? ` · about ${Math.round(p.etaSeconds)} s left` : '');
  return `<div class="tpp-progress" style="font-family:monospace;font-size:12px">${title ? `<b>${esc(title)}</b>` : ''}${log.note ? ` ${esc(log.note)}` : ''}${title || log.note ? '<br>' : ''}` +
    `<progress max="100" value="${pct}" style="width:240px"></progress> ${line}<br>${sparklineSvg(log.stepLosses)} <span style="color:#666">loss per step</span></div>`;
}

/** A live display: `onProgress` for a training call, `log` for what it saw. */
export interface LiveProgress {
  /** Record an event (with an optional note, e.g. the grid cell) and redraw if due. */
  onProgress: (p: TrainProgress, note?: string) => void;
  log: ProgressLog;
  /** Draw the final state (call after the training call returns). */
  finish(): void;
}

interface TslabNewDisplay {
  html(s: string): void;
}

/**
 * A live progress display in the current notebook cell (redrawn at most every `intervalMs`, default 500 ms).
 * Outside the tslab kernel it only records events.
 */
export function liveProgress(title = '', intervalMs = 500): LiveProgress {
  let display: TslabNewDisplay | null = null;
  try {
    // tslab exists only inside the kernel process; elsewhere the log still works.
    display = (require('tslab') as { newDisplay(): TslabNewDisplay }).newDisplay();
  } catch {
    display = null;
  }
  const log = new ProgressLog();
  let lastDraw = 0;
  const draw = () => display?.html(progressHtml(log, title));
  draw();
  return {
    log,
    onProgress: (p, note) => {
      log.add(p, note);
      const now = Date.now();
      if (now - lastDraw < intervalMs) return;
      lastDraw = now;
      draw();
    },
    finish: draw,
  };
}
