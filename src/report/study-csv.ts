/**
 * The study's committed CSVs (danfojs writes plain fields, no quoted commas) parsed from their text, so Node reads
 * them from disk (`readCsvRows` in ./study-tables) and a web page from a fetch, with the same rows.
 */
import { signed } from '../analysis/paired';
import type { ContrastRow } from './study-report';

/** A row of one of the study's CSVs, as strings. */
export type CsvRow = Record<string, string>;

/** The rows of CSV `text` (`name` for errors): the header's fields as keys. */
export function parseCsvRows(text: string, name: string): CsvRow[] {
  const [head, ...lines] = text.trim().split('\n');
  const keys = head.split(',');
  return lines.map((l) => {
    const v = l.split(',');
    if (v.length !== keys.length) throw new Error(`${name}: a row has ${v.length} fields, the header ${keys.length}: ${l.slice(0, 80)}`);
    return Object.fromEntries(keys.map((k, i) => [k, v[i]]));
  });
}

/** Rows of a committed contrasts.csv as the report's contrast rows (numbers parsed), e.g. for `forestFigure`. */
export function contrastRows(rows: CsvRow[]): ContrastRow[] {
  return rows.map((r) => ({
    target: r.target, method: r.method, budget: r.budget, metric: r.metric, question: r.question as ContrastRow['question'], arm: r.arm, versus: r.versus,
    n_seeds: Number(r.n_seeds), delta_mean: Number(r.delta_mean), delta_ci_low: Number(r.delta_ci_low), delta_ci_high: Number(r.delta_ci_high),
    wins: r.wins, verdict: r.verdict, mde: Number(r.mde), by_tpp_seed: r.by_tpp_seed,
  }));
}

/** `+0.012 [−0.010, +0.034] n.d.e.` from a contrast or summary row (helps and hurts in bold; `—` for none). */
export function deltaText(r: CsvRow | undefined): string {
  if (!r) return '—';
  const v = r.verdict === 'no detectable effect' ? 'n.d.e.' : `**${r.verdict}**`;
  return `${signed(Number(r.delta_mean), 3)} [${signed(Number(r.delta_ci_low), 3)}, ${signed(Number(r.delta_ci_high), 3)}] ${v}`;
}


/**
 * The dose grid's TPP arms that train longer than the study's 546 own images for 40 epochs
 * (docs/results/regime-2026-12-06/dose-plan.json): 2,000 own images, all of them, 546 for 4x the epochs.
 */
export const LONGER_DOSE_ARMS: readonly string[] = ['own-2000', 'own-all', 'own-546-4x'];

/** The longer-TPP rows of a dose grid's contrasts against no TPP, their targets and how their verdicts fell. */
export interface LongerDose {
  /** Each longer arm − none, in the file's order. */
  rows: CsvRow[];
  /** The targets among `rows`, in order of first appearance. */
  targets: string[];
  helps: number;
  hurts: number;
  noEffect: number;
}

/**
 * What longer TPP on a target's own images did against no TPP, from a dose grid's contrasts (`question` tpp-helps,
 * `versus` none, one of `LONGER_DOSE_ARMS`; the study's own dose, `same`, and any other arm left out), for `metric`.
 * The demo's printout, the workshop page and notebook 11 all count from here.
 */
export function longerDose(contrasts: readonly CsvRow[], metric = 'auc'): LongerDose {
  const rows = contrasts.filter((r) => r.metric === metric && r.question === 'tpp-helps' && r.versus === 'none' && LONGER_DOSE_ARMS.includes(r.arm));
  const n = (v: string) => rows.filter((r) => r.verdict === v).length;
  return { rows, targets: [...new Set(rows.map((r) => r.target))], helps: n('helps'), hurts: n('hurts'), noEffect: n('no detectable effect') };
}
