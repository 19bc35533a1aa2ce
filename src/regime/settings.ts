/**
 * The regime map's measured settings: a study's paired contrasts (TPP arm − none) joined with the cheap numbers of
 * the same (target, arm) from a distance table, and the arm's TPP dose where the grid gave it one. The predictor is
 * fitted on these; the notebook and the figures draw them. Pure: the caller reads the CSVs (report/study-tables.ts
 * `readCsvRows`) and the doses (open.ts `readArmDoses`).
 */
import type { CsvRow } from '../report/study-tables';
import type { ContrastRow } from '../report/study-report';
import { type RegimeSetting, STUDY_DOSE } from './predictor';

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

/** TPP images and epochs per target and arm (`{ target: { arm: dose } }`, as `readArmDoses` reads them). */
export type ArmDoses = Readonly<Record<string, Readonly<Record<string, { images: number; epochs: number }>>>>;

/**
 * Every `tpp-helps` contrast against `none` in `contrasts`, with the cheap numbers of its (target, arm) in
 * `distances`. With `doses`, every setting carries its TPP images and epochs (an arm not in `doses`: the study's).
 */
export function regimeSettings(contrasts: readonly ContrastRow[], distances: readonly CsvRow[], doses?: ArmDoses): MeasuredSetting[] {
  const byKey = new Map(distances.map((r) => [`${r.target}/${r.arm}`, r]));
  return contrasts
    .filter((r) => r.question === 'tpp-helps' && r.versus === 'none')
    .map((r) => {
      const d = byKey.get(`${r.target}/${r.arm}`);
      if (!d) throw new Error(`the distance table has no row for ${r.target} / ${r.arm}: compute it first (scripts/regime-distances.ts).`);
      const dose = doses && (doses[r.target]?.[r.arm] ?? STUDY_DOSE);
      return {
        target: r.target, arm: r.arm, method: r.method, budget: perClass(r.budget), metric: r.metric,
        fdPool: Number(d.fd_pool), fdBackbone: Number(d.fd_backbone), surprise: Number(d.surprise),
        ...(dose ? { tppImages: dose.images, tppEpochs: dose.epochs } : {}),
        delta: r.delta_mean, ciLow: r.delta_ci_low, ciHigh: r.delta_ci_high, verdict: r.verdict,
      };
    });
}

/**
 * One setting per (target, arm, method, budget), the first of each: grids that rerun another grid's cells (the dose
 * and mix grids' `none` and own-546 cells) measure the same setting again.
 */
export function firstOfEach<T extends RegimeSetting>(settings: readonly T[]): T[] {
  const seen = new Set<string>();
  return settings.filter((s) => {
    const key = `${s.target}|${s.arm}|${s.method}|${s.budget}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
