/**
 * Summaries of a grid's cells: per (method, budget, arm) the mean and sd of each metric over seeds and
 * the paired difference to the `none` arm (same seed) with its 95 % t interval, wins, verdict and minimum detectable
 * effect. Classification summarises AUC, balanced accuracy and accuracy; segmentation Dice, IoU, HD95 and (HC18) the
 * head-circumference error, where lower is better for the last two.
 */
import { meanStd, pairedSummary, type PairedSummary } from '../analysis/paired';
import type { CellResult } from './types';

/** A summary row per (method, budget, arm): mean ± std of the test metrics and the paired difference to `none`. */
export interface SummaryRow {
  method: string;
  budget: string;
  arm: string;
  n: number;
  auc_mean: number;
  auc_std: number;
  accuracy_mean: number;
  accuracy_std: number;
  balanced_accuracy_mean: number;
  f1_mean: number;
  /** Mean and std over seeds of (this arm's AUC - the none arm's AUC, same seed); NaN for `none`. */
  delta_auc_mean: number;
  delta_auc_std: number;
  /** Seeds where this arm beat `none` on AUC, as "k/n". */
  wins: string;
  /** 95 % confidence interval of the mean paired AUC difference (Student's t over seeds); NaN for `none`. */
  delta_auc_ci_low: number;
  delta_auc_ci_high: number;
  /** `helps`, `hurts`, `no detectable effect` or `too few runs` (from the interval); empty for `none`. */
  verdict: string;
  /** Smallest AUC difference these seeds could detect (80 % power); NaN for `none`. */
  mde: number;
}

/** A paired difference as table columns: mean, 95 % t interval, wins "k/n", verdict and minimum detectable effect. */
export interface PairedColumns {
  delta_mean: number;
  delta_ci_low: number;
  delta_ci_high: number;
  wins: string;
  verdict: string;
  mde: number;
}

/** The columns of a paired difference; empty (NaN, '') where there is none (the `none` arm itself). */
export function pairedColumns(d: PairedSummary | null): PairedColumns {
  if (!d) return { delta_mean: NaN, delta_ci_low: NaN, delta_ci_high: NaN, wins: '', verdict: '', mde: NaN };
  return { delta_mean: d.mean, delta_ci_low: d.low, delta_ci_high: d.high, wins: `${d.wins}/${d.n}`, verdict: d.verdict, mde: d.mde };
}

/** One row of summary.csv: one metric of one (method, budget, arm) cell group, with its paired difference to `none`. */
export interface SummaryLongRow extends PairedColumns {
  backbone: string;
  target: string;
  task: string;
  method: string;
  budget: string;
  arm: string;
  n_seeds: number;
  metric: string;
  mean: number;
  sd: number;
}

/** Metrics summarised in summary.csv for classification. */
export const SUMMARY_METRICS = ['auc', 'balanced_accuracy', 'accuracy'] as const;
/** Metrics summarised for segmentation (`hc_error_mm` too where the cells have it). */
export const SEG_SUMMARY_METRICS = ['dice', 'iou', 'hd95'] as const;
/** A metric of a cell that summaries pair across arms. */
export type CellMetric = (typeof SUMMARY_METRICS)[number] | (typeof SEG_SUMMARY_METRICS)[number] | 'hc_error_mm';
/** Metrics where a smaller value is better (a paired difference below 0 helps). */
export const LOWER_IS_BETTER: ReadonlySet<CellMetric> = new Set(['hd95', 'hc_error_mm']);

/** Whether the cells are segmentation cells. */
export function isSegmentationCells(cells: readonly CellResult[]): boolean {
  return cells.length > 0 && cells.every((c) => c.task === 'segment');
}

/** The metrics summary.csv holds for these cells. */
export function summaryMetrics(cells: readonly CellResult[]): CellMetric[] {
  if (!isSegmentationCells(cells)) return [...SUMMARY_METRICS];
  return [...SEG_SUMMARY_METRICS, ...(cells.some((c) => Number.isFinite(c.hc_error_mm)) ? ['hc_error_mm' as const] : [])];
}

/** A (method, budget, arm) group of cells, in the order they first appear, with the group's `none` cells by seed. */
interface CellGroup {
  method: string;
  budget: string;
  arm: string;
  cells: CellResult[];
  none: Map<number, CellResult>;
}

function cellGroups(cells: CellResult[]): CellGroup[] {
  const order = <K extends keyof CellResult>(k: K) => [...new Set(cells.map((c) => String(c[k])))];
  const groups: CellGroup[] = [];
  for (const method of order('method')) {
    for (const budget of order('budget')) {
      const none = new Map(cells.filter((c) => c.method === method && c.budget === budget && c.arm === 'none').map((c) => [c.seed, c]));
      for (const arm of order('arm')) {
        const cs = cells.filter((c) => c.method === method && c.budget === budget && c.arm === arm);
        if (cs.length) groups.push({ method, budget, arm, cells: cs, none });
      }
    }
  }
  return groups;
}

/** The paired differences `cells − base` of `metric` over the seeds both have (see analysis/paired.ts). */
export function pairedDelta(cells: CellResult[], base: Map<number, CellResult>, metric: CellMetric): PairedSummary {
  const value = (c: CellResult) => (c[metric] ?? NaN) as number;
  return pairedSummary(cells.filter((c) => base.has(c.seed)).map((c) => value(c) - value(base.get(c.seed)!)), LOWER_IS_BETTER.has(metric));
}

/**
 * summary.csv's rows: per (method, budget, arm) and metric, mean and sd over seeds and the paired difference to
 * the `none` arm (same seed) with its 95 % t interval, wins, verdict and minimum detectable effect.
 */
export function summarizeLong(cells: CellResult[], context: { backbone: string; target: string; task: string }): SummaryLongRow[] {
  const metrics = summaryMetrics(cells);
  return cellGroups(cells).flatMap((g) => metrics.map((metric) => {
    const m = meanStd(g.cells.map((c) => (c[metric] ?? NaN) as number));
    const d = g.arm === 'none' ? null : pairedDelta(g.cells, g.none, metric);
    return { ...context, method: g.method, budget: g.budget, arm: g.arm, n_seeds: g.cells.length, metric, mean: m.mean, sd: m.std, ...pairedColumns(d) };
  }));
}

/**
 * One row per (method, budget, arm), in the order they first appear: `<metric>_mean` and `<metric>_std` over seeds
 * for each of `metrics`, and the paired difference of `primary` to the `none` arm (`delta_<primary>_mean`, `_std`,
 * `_ci_low`, `_ci_high`, wins, verdict, mde; NaN and '' for `none` itself). `summarize` and `summarizeSegmentation`
 * are this with their metrics.
 */
function summaryRows(cells: CellResult[], metrics: readonly (keyof CellResult)[], primary: CellMetric): Record<string, string | number>[] {
  return cellGroups(cells).map((g) => {
    const row: Record<string, string | number> = { method: g.method, budget: g.budget, arm: g.arm, n: g.cells.length };
    for (const m of metrics) {
      const s = meanStd(g.cells.map((c) => (c[m] ?? NaN) as number));
      row[`${m}_mean`] = s.mean;
      row[`${m}_std`] = s.std;
    }
    const d = g.arm === 'none' ? null : pairedDelta(g.cells, g.none, primary);
    const cols = pairedColumns(d);
    row[`delta_${primary}_mean`] = cols.delta_mean;
    row[`delta_${primary}_std`] = d ? d.std : NaN;
    row.wins = cols.wins;
    row[`delta_${primary}_ci_low`] = cols.delta_ci_low;
    row[`delta_${primary}_ci_high`] = cols.delta_ci_high;
    row.verdict = cols.verdict;
    row.mde = cols.mde;
    return row;
  });
}

/** Aggregate cells into summary rows (test AUC and accuracy, Δ AUC against none), in the order they first appear. */
export function summarize(cells: CellResult[]): SummaryRow[] {
  return summaryRows(cells, ['auc', 'accuracy', 'balanced_accuracy', 'f1'], 'auc') as unknown as SummaryRow[];
}

/** A segmentation summary row per (method, budget, arm): mean ± sd of Dice, IoU, HD95 (and HC error) and Δ Dice vs none. */
export interface SegSummaryRow {
  method: string;
  budget: string;
  arm: string;
  n: number;
  dice_mean: number;
  dice_std: number;
  iou_mean: number;
  hd95_mean: number;
  /** NaN where the data carry no reference head circumference. */
  hc_error_mm_mean: number;
  delta_dice_mean: number;
  delta_dice_std: number;
  wins: string;
  delta_dice_ci_low: number;
  delta_dice_ci_high: number;
  verdict: string;
  mde: number;
}

/** Aggregate segmentation cells into summary rows (Δ Dice paired with `none` by seed), in the order they first appear. */
export function summarizeSegmentation(cells: CellResult[]): SegSummaryRow[] {
  return summaryRows(cells, ['dice', 'iou', 'hd95', 'hc_error_mm'], 'dice') as unknown as SegSummaryRow[];
}
