/**
 * Log axes with readable ticks. Plotly's own log ticks label the minor ticks by their first digit only
 * ("1000, 2, 3 … 9"), which reads as nonsense; every log axis in `src/viz` gets its ticks from `logAxis`:
 * 1-2-5 steps (`…, 10, 20, 50, 100, …`) when the data span a few decades, decades only (`1, 10, 100, …`) when
 * they span many, 1-2-3-5 within one decade, every digit (`20, 30, 40, …`) within half a decade, each tick
 * labelled in full.
 */

/** Which tick steps a log axis uses: `auto` (by the span of the data), `125` or `decades`. */
export type LogTickSteps = 'auto' | '125' | 'decades';

/** Options of `logTicks` / `logAxis`. */
export interface LogTickOptions {
  /** Tick steps (default `auto`: every digit within half a decade, 1-2-3-5 within one, 1-2-5 up to 4, decades beyond). */
  steps?: LogTickSteps;
}

/** Tick positions and their labels, as plotly's `tickvals` / `ticktext` take them. */
export interface LogTicks {
  tickvals: number[];
  ticktext: string[];
}

/**
 * A tick label written in full: `0.002`, `5`, `1,000`, `20k`, `3M`; below 0.001 in exponent form (`1e-5`).
 * Values are 1-2-5 (or digit) multiples of a power of ten, so one significant digit is exact.
 */
export function formatLogTick(v: number): string {
  if (!(v > 0) || !Number.isFinite(v)) throw new Error(`formatLogTick: a log-axis tick must be a positive finite number, got ${v}.`);
  const clean = Number(v.toPrecision(6));
  if (clean >= 1e6) return `${Number((clean / 1e6).toPrecision(6))}M`;
  if (clean >= 1e4) return `${Number((clean / 1e3).toPrecision(6))}k`;
  if (clean >= 1) return clean.toLocaleString('en-US', { maximumFractionDigits: 6 });
  if (clean >= 1e-3) return String(clean);
  const e = Math.floor(Math.log10(clean) + 1e-9);
  const m = Number((clean / 10 ** e).toPrecision(6));
  return `${m}e${e}`;
}

function decadeTicks(lo: number, hi: number, mantissas: readonly number[]): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; e++) {
    for (const m of mantissas) out.push(Number((m * 10 ** e).toPrecision(6)));
  }
  return out;
}

/**
 * Ticks for a log axis over the positive values of `values` (zeros, negatives and non-finite values are ignored;
 * with none left, the range 1 to 100 is used). The ticks cover the data's range plus one tick step
 * beyond each end, so plotly's padded autorange still shows labelled ticks at both ends.
 */
export function logTicks(values: Iterable<number> | ArrayLike<number>, options: LogTickOptions = {}): LogTicks {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of Array.from(values as ArrayLike<number>)) {
    if (v > 0 && Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo === Infinity) {
    lo = 1;
    hi = 100;
  }
  const decades = Math.log10(hi) - Math.log10(lo);
  const steps = options.steps ?? 'auto';
  const mantissas = steps === 'decades' || (steps === 'auto' && decades > 4) ? [1]
    : steps === '125' || decades > 1 ? [1, 2, 5]
    : decades > 0.5 ? [1, 2, 3, 5]
    : [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const all = decadeTicks(lo, hi, mantissas);
  // keep the ticks inside [lo, hi] plus the nearest one outside each end
  const first = Math.max(0, all.findIndex((t) => t >= lo * (1 - 1e-9)) - 1);
  const after = all.findIndex((t) => t > hi * (1 + 1e-9));
  const tickvals = all.slice(first, after === -1 ? all.length : after + 1);
  return { tickvals, ticktext: tickvals.map(formatLogTick) };
}

/**
 * A plotly axis spec of type `log` with `logTicks(values)` as its ticks, merged with `extra` (title, range …):
 * `yaxis: logAxis(counts, { title: 'images' })`. The one way the library draws a log axis.
 */
export function logAxis(values: Iterable<number> | ArrayLike<number>, extra: Record<string, unknown> = {}, options: LogTickOptions = {}): Record<string, unknown> {
  const { tickvals, ticktext } = logTicks(values, options);
  return { ...extra, type: 'log', tickmode: 'array', tickvals, ticktext };
}
