/**
 * The regime map's measured settings: a study's paired contrasts (TPP arm − none) joined with the cheap numbers of
 * the same (target, arm) from a distance table. The predictor is fitted on these; the notebook and the figures
 * draw them. Pure: the caller reads the CSVs (report/study-tables.ts `readCsvRows`).
 */
import type { CsvRow } from '../report/study-tables';
import type { ContrastRow } from '../report/study-report';
import type { RegimeSetting } from './predictor';

/** A measured setting with its interval and verdict, as the study reported them. */
export interface MeasuredSetting extends RegimeSetting {
  delta: number;
  ciLow: number;
  ciHigh: number;
  verdict: string;
  metric: string;
}

/** Labels per class of a budget label (`10/class` → 10). */
function perClass(budget: string): number {
  const m = /^(\d+)\/class$/.exec(budget);
  if (!m) throw new Error(`regime settings: budget "${budget}" is not labels per class (e.g. 10/class); the predictor covers classification grids.`);
  return Number(m[1]);
}

/** Every `tpp-helps` contrast against `none` in `contrasts`, with the cheap numbers of its (target, arm) in `distances`. */
export function regimeSettings(contrasts: readonly ContrastRow[], distances: readonly CsvRow[]): MeasuredSetting[] {
  const byKey = new Map(distances.map((r) => [`${r.target}/${r.arm}`, r]));
  return contrasts
    .filter((r) => r.question === 'tpp-helps' && r.versus === 'none')
    .map((r) => {
      const d = byKey.get(`${r.target}/${r.arm}`);
      if (!d) throw new Error(`the distance table has no row for ${r.target} / ${r.arm}: compute it first (scripts/regime-distances.ts).`);
      return {
        target: r.target, arm: r.arm, method: r.method, budget: perClass(r.budget), metric: r.metric,
        fdPool: Number(d.fd_pool), fdBackbone: Number(d.fd_backbone), surprise: Number(d.surprise),
        delta: r.delta_mean, ciLow: r.delta_ci_low, ciHigh: r.delta_ci_high, verdict: r.verdict,
      };
    });
}
