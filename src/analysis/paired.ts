/**
 * An honest reading of paired differences (e.g. test AUC with TPP minus without, same seed): mean ± std, wins,
 * a 95 % confidence interval from Student's t, and a verdict that is allowed to be "no detectable effect" or "hurts".
 */

// Two-sided 95 % critical values of Student's t for 1..30 degrees of freedom (standard tables).
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

// One-sided 80 % quantiles of Student's t (for 80 % power) for 1..30 degrees of freedom (standard tables).
const T80 = [1.376, 1.061, 0.978, 0.941, 0.92, 0.906, 0.896, 0.889, 0.883, 0.879, 0.876, 0.873, 0.87, 0.868, 0.866,
  0.865, 0.863, 0.862, 0.861, 0.86, 0.859, 0.858, 0.858, 0.857, 0.856, 0.856, 0.855, 0.855, 0.854, 0.854];

/** Two-sided 95 % critical value of Student's t with `df` degrees of freedom (1.96 beyond 30). */
export function tCritical95(df: number): number {
  if (!(Number.isInteger(df) && df >= 1)) throw new Error(`tCritical95: degrees of freedom must be a whole number ≥ 1, got ${df}.`);
  return df <= 30 ? T95[df - 1] : 1.96;
}

/** What paired differences say. */
export interface PairedSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (0 for one value). */
  std: number;
  /** How many differences are > 0. */
  wins: number;
  /** 95 % confidence interval of the mean difference (NaN bounds with fewer than 2 values). */
  low: number;
  high: number;
  /**
   * Minimum detectable effect: the smallest true mean difference this many pairs with this spread would find
   * (excluding 0 from the 95 % interval) 80 % of the time, `(t_0.975 + t_0.80) * std / sqrt(n)` with n − 1
   * degrees of freedom. NaN below 2 values.
   */
  mde: number;
  /** `helps` / `hurts` when the interval excludes 0, `no detectable effect` otherwise, `too few runs` below 2. */
  verdict: 'helps' | 'hurts' | 'no detectable effect' | 'too few runs';
}

/** Mean and sample standard deviation of the finite values (std 0 for fewer than two). */
export function meanStd(xs: readonly number[]): { mean: number; std: number; n: number } {
  const ok = xs.filter((x) => Number.isFinite(x));
  const n = ok.length;
  const mean = n ? ok.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(ok.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/**
 * Summarise paired differences (non-finite values are dropped). `lowerIsBetter` (errors, distances such as HD95):
 * a win is a negative difference, and an interval below 0 `helps`.
 */
export function pairedSummary(differences: readonly number[], lowerIsBetter = false): PairedSummary {
  const { mean, std, n } = meanStd(differences);
  const wins = differences.filter((x) => Number.isFinite(x) && (lowerIsBetter ? x < 0 : x > 0)).length;
  if (n < 2) return { n, mean, std, wins, low: NaN, high: NaN, mde: NaN, verdict: 'too few runs' };
  const se = std / Math.sqrt(n);
  const half = tCritical95(n - 1) * se;
  const low = mean - half;
  const high = mean + half;
  const mde = (tCritical95(n - 1) + (n - 1 <= 30 ? T80[n - 2] : 0.842)) * se;
  const better = lowerIsBetter ? high < 0 : low > 0;
  const worse = lowerIsBetter ? low > 0 : high < 0;
  return { n, mean, std, wins, low, high, mde, verdict: better ? 'helps' : worse ? 'hurts' : 'no detectable effect' };
}

/** `+0.012` / `−0.034`: a difference with its sign always written (a minus sign, not a hyphen). */
export function signed(x: number, digits: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
}

/**
 * One sentence for a notebook, e.g. "TPP on ultrasound changed test AUC by +0.021 ± 0.015 (mean ± std over 5
 * seeds; better in 5/5; 95 % CI +0.002 to +0.040): it helps here." Built only from the numbers given.
 */
export function pairedSentence(what: string, metric: string, s: PairedSummary, digits = 3): string {
  if (s.n === 0) return `${what}: no paired runs to compare.`;
  const base = `${what} changed ${metric} by ${signed(s.mean, digits)} ± ${s.std.toFixed(digits)} (mean ± std over ${s.n} seed${s.n === 1 ? '' : 's'}; better in ${s.wins}/${s.n}`;
  switch (s.verdict) {
    case 'too few runs': return `${base}): one seed cannot separate an effect from run-to-run noise; run more seeds before concluding anything.`;
    case 'helps': return `${base}; 95 % CI ${signed(s.low, digits)} to ${signed(s.high, digits)}): it helps in this setting.`;
    case 'hurts': return `${base}; 95 % CI ${signed(s.low, digits)} to ${signed(s.high, digits)}): it hurts in this setting.`;
    default: return `${base}; 95 % CI ${signed(s.low, digits)} to ${signed(s.high, digits)}): the interval includes zero, so these runs show no detectable effect.`;
  }
}
