/**
 * Percentile bootstrap over the items of a sample (test images, settings): resample n of the n items with
 * replacement, recompute a statistic, and take the 2.5th and 97.5th percentiles of it. Seeded, so an interval is
 * the same on every run. Paired comparisons resample one index set for both sides, so what they share cancels.
 */
import { mulberry32 } from '../data/sets/random';

/** A figure with its bootstrap 95% interval (percentile method). */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

/** Options of `bootstrap`. */
export interface BootstrapOptions {
  /** Resamples (default 2,000). */
  reps?: number;
  /** Seed of the resampling (default 0). */
  seed?: number;
}

/**
 * `stat` on all `n` items (indices 0..n-1 in order) and its percentile interval over resamples of them. Resamples
 * whose statistic is not finite (e.g. an AUC with one class drawn) are left out of the interval.
 */
export function bootstrap(n: number, stat: (indices: readonly number[]) => number, options: BootstrapOptions = {}): Estimate {
  if (!Number.isInteger(n) || n < 1) throw new Error(`bootstrap: needs at least one item, got ${n}.`);
  const { reps = 2000, seed = 0 } = options;
  const rand = mulberry32(seed);
  const values: number[] = [];
  for (let r = 0; r < reps; r++) {
    const sample = Array.from({ length: n }, () => Math.floor(rand() * n));
    const v = stat(sample);
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const q = (p: number) => (values.length ? values[Math.min(values.length - 1, Math.floor(p * values.length))] : NaN);
  return { value: stat(Array.from({ length: n }, (_, i) => i)), low: q(0.025), high: q(0.975) };
}
