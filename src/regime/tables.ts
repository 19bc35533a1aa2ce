/**
 * The regime map's tables as Markdown, built only from its committed files (distance tables, the frozen predictor,
 * its prospective predictions and the grids that test them), so the README, docs and the results README show the
 * same numbers; scripts/study-tables.ts writes them into `<!-- regime:NAME -->` blocks and checks them.
 */
import { meanStd, type PairedSummary, pairedSummary, signed } from '../analysis/paired';
import { type CsvRow, deltaText } from '../report/study-csv';
import type { PredictionRow } from './predict';
import type { FrozenPredictor } from './predictor';
import type { MeasuredSetting } from './settings';

/** A figure with 3 decimals and a true minus sign. */
const num = (x: number) => (x < 0 ? `−${(-x).toFixed(3)}` : x.toFixed(3));

/** `0.123 [0.100, 0.150]`. */
const est = (e: { value: number; low: number; high: number }) => `${num(e.value)} [${num(e.low)}, ${num(e.high)}]`;

/** Arm names of a distance table in words. */
function armTitle(arm: string, pool: string): string {
  return arm === 'same' ? 'own images' : `${arm} (${pool.replace(/^data\//, '')})`;
}

/** One row per (target, TPP images): the cheap numbers. */
export function distanceTable(rows: readonly CsvRow[]): string {
  const lines = ['| target | TPP images | MAE loss on target | FD pre-training pool → target | FD TPP images → target |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${r.target} | ${armTitle(r.arm, r.pool)} | ${Number(r.surprise).toFixed(3)} | ${Number(r.fd_backbone).toFixed(2)} | ${Math.abs(Number(r.fd_pool)) < 5e-4 ? '0.000' : Number(r.fd_pool).toFixed(3)} |`);
  return lines.join('\n');
}

/** A frozen predictor's held-out predictions (its `loto-v<N>.csv`). */
export interface HeldOutRow {
  target: string;
  predicted: number;
  trivial: number;
  delta: number;
}

/** How the table names a version's model. */
const MODEL_WORDS: Readonly<Record<number, string>> = { 1: 'ridge on the cheap numbers', 2: 'ridge on the cheap numbers and the TPP dose, no extrapolation' };

/**
 * Each predictor's leave-one-target-out figures beside those of the trivial predictor on the same settings (newest
 * first), then per version the gain over the trivial predictor, the verdict in words and the errors per target.
 */
export function validationTable(versions: readonly { predictor: FrozenPredictor; heldOut: readonly HeldOutRow[] }[]): string {
  const sorted = [...versions].sort((a, b) => b.predictor.version - a.predictor.version);
  const lines = ['| predictor | settings | Spearman (predicted vs measured Δ) | sign agreement | mean absolute error |', '| --- | --- | --- | --- | --- |'];
  for (const { predictor: p } of sorted) {
    const v = p.validation;
    const where = `${v.settings} of ${v.targets.length} targets`;
    lines.push(`| v${p.version}: ${MODEL_WORDS[p.version] ?? 'ridge'} | ${where} | ${est(v.spearman)} | ${est(v.signAgreement)} | ${est(v.meanAbsError)} |`);
    lines.push(`| trivial (the mean Δ of the other targets), same settings | ${where} | ${Number.isFinite(v.trivial.spearman) ? num(v.trivial.spearman) : '—'} | ${est(v.trivial.signAgreement)} | ${est(v.trivial.meanAbsError)} |`);
  }
  for (const { predictor: p, heldOut } of sorted) {
    const v = p.validation;
    const perTarget = v.targets.map((t) => {
      const xs = heldOut.filter((h) => h.target === t);
      const mae = (f: (h: HeldOutRow) => number) => (xs.reduce((a, h) => a + Math.abs(f(h) - h.delta), 0) / xs.length).toFixed(3);
      return `${t} ${mae((h) => h.predicted)} (trivial ${mae((h) => h.trivial)})`;
    });
    lines.push('', `**v${p.version}** (${v.settings} settings of ${v.targets.join(', ')}). Gain over the trivial predictor (its absolute error minus the predictor's): ` +
      `${signed(v.gainOverTrivial.value, 3)} [${signed(v.gainOverTrivial.low, 3)}, ${signed(v.gainOverTrivial.high, 3)}]: **${v.verdict}**. ` +
      `Mean absolute error per held-out target: ${perTarget.join('; ')}. Interval of a prediction: ± ${v.intervalHalfWidth.toFixed(3)}.`);
  }
  return lines.join('\n');
}

/** The knee grid's arm names → the pools of its prospective prediction (`knee-plan.json`, `knee-prediction-v1.json`). */
export const KNEE_POOL_OF_ARM: Readonly<Record<string, string>> = Object.freeze({ same: 'own images', 'chest-xray': 'kermany', natural: 'tinyimagenet' });

/** A prospective prediction file's row (`tpp-lab predict --json`): a prediction without its nearest settings. */
export type PredictedRow = Pick<PredictionRow, 'pool' | 'method' | 'budget' | 'delta' | 'low' | 'high'>;

/**
 * The prospective test: each predicted setting with, once measured, the measured Δ [95 % CI], its verdict and the
 * error. `poolOfArm` maps the measuring grid's arm names to the prediction's pool names.
 */
export function prospectiveTable(predicted: readonly PredictedRow[], measured: readonly MeasuredSetting[], poolOfArm: Readonly<Record<string, string>>, trivial?: number): string {
  const lines = ['| TPP images | method | labels/class | predicted Δ (interval) | measured Δ [95 % CI] | error |', '| --- | --- | --- | --- | --- | --- |'];
  const armOfPool = Object.fromEntries(Object.entries(poolOfArm).map(([a, p]) => [p, a]));
  const errors: number[] = [];
  const trivialErrors: number[] = [];
  for (const p of predicted) {
    const m = measured.find((s) => s.arm === armOfPool[p.pool] && s.method === p.method && s.budget === p.budget);
    if (!m && measured.length) continue;
    const err = m ? Math.abs(p.delta - m.delta) : NaN;
    if (m) errors.push(err);
    if (m && trivial !== undefined) trivialErrors.push(Math.abs(trivial - m.delta));
    lines.push(`| ${p.pool} | ${p.method} | ${p.budget} | ${signed(p.delta, 3)} [${signed(p.low, 3)}, ${signed(p.high, 3)}] | ` +
      `${m ? `${signed(m.delta, 3)} [${signed(m.ciLow, 3)}, ${signed(m.ciHigh, 3)}] ${m.verdict === 'no detectable effect' ? 'n.d.e.' : `**${m.verdict}**`}` : 'not measured yet'} | ${m ? err.toFixed(3) : '—'} |`);
  }
  const mean = (xs: number[]) => (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3);
  if (errors.length) {
    lines.push('', `Mean absolute error of the frozen predictions: ${mean(errors)} over ${errors.length} measured settings` +
      (trivialErrors.length ? `; the trivial predictor (the mean Δ of the training settings, ${signed(trivial!, 3)}) errs by ${mean(trivialErrors)}.` : '.'));
  }
  return lines.join('\n');
}

/** What a TPP arm of the dose or mix grids trained on: its unlabelled images and TPP epochs. */
export interface ArmDose {
  images: number;
  epochs: number;
  /** The images in words, e.g. `546`, `4,708 (all)` or `1,092 (breastmnist + hc18_64)`. */
  label: string;
}

/** `a − b` of a contrast row read the other way round (`b − a`): the sign, the interval and the verdict flip. */
function flipped(r: CsvRow): CsvRow {
  const verdict = r.verdict === 'helps' ? 'hurts' : r.verdict === 'hurts' ? 'helps' : r.verdict;
  return { ...r, delta_mean: String(-Number(r.delta_mean)), delta_ci_low: String(-Number(r.delta_ci_high)), delta_ci_high: String(-Number(r.delta_ci_low)), verdict };
}

/**
 * The dose axis (and the mix arms) from a study's contrasts.csv: per target, method and labels per class, each TPP
 * arm's images and epochs, its Δ against no TPP and against TPP on 546 own images (`same`), both paired over the
 * same fine-tuning seeds with 95 % intervals. `doses` gives each arm's images and epochs per target.
 */
export function doseTable(contrasts: readonly CsvRow[], doses: Readonly<Record<string, Readonly<Record<string, ArmDose>>>>, metric = 'auc'): string {
  const lines = ['| target | method | labels/class | TPP arm | TPP images | TPP epochs | Δ AUC vs no TPP [95 % CI] | Δ AUC vs 546 own images, 40 epochs [95 % CI] |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  const rows = contrasts.filter((r) => r.metric === metric);
  const groups = [...new Set(rows.map((r) => `${r.target}|${r.method}|${r.budget}`))];
  for (const g of groups) {
    const [target, method, budget] = g.split('|');
    const here = rows.filter((r) => r.target === target && r.method === method && r.budget === budget);
    for (const arm of Object.keys(doses[target] ?? {})) {
      const d = doses[target][arm];
      const vsNone = here.find((r) => r.question === 'tpp-helps' && r.arm === arm && r.versus === 'none');
      const vsSame = arm === 'same' ? undefined : here.find((r) => r.question === 'modality' && r.arm === 'same' && r.versus === arm);
      if (!vsNone) continue;
      lines.push(`| ${target} | ${method} | ${budget} | ${arm === 'same' ? 'own images' : arm} | ${d.label} | ${d.epochs} | ${deltaText(vsNone)} | ${arm === 'same' ? '(reference)' : deltaText(vsSame && flipped(vsSame))} |`);
    }
  }
  return lines.join('\n');
}

/** A fine-tuning cell of a grid's `results.csv`, with the target it belongs to. */
export type TargetCell = CsvRow & { target: string };

/**
 * Per-seed `arm − none` of one (target, method, budget, arm) in one backbone's cells, keyed by fine-tuning seed.
 * The first cell of each (target, method, budget, arm, seed) counts, so a grid that repeats another's cells (the dose
 * grid's `same` and `none` are the study's) can be concatenated after it.
 */
function armDeltas(cells: readonly TargetCell[], key: { target: string; method: string; budget: string; arm: string }, metric: string): Map<number, number> {
  const at = (arm: string) => {
    const m = new Map<number, number>();
    for (const c of cells) {
      if (c.target === key.target && c.method === key.method && c.budget === key.budget && c.arm === arm && !m.has(Number(c.seed))) m.set(Number(c.seed), Number(c[metric]));
    }
    return m;
  };
  const none = at('none');
  const out = new Map<number, number>();
  for (const [seed, v] of at(key.arm)) if (none.has(seed)) out.set(seed, v - none.get(seed)!);
  return out;
}

/**
 * `+0.012 [−0.010, +0.034] n.d.e.` of paired differences (`—` for fewer than two). `words` renames the verdicts
 * where helps/hurts would misread (a change between backbones is higher or lower, not good or bad).
 */
function pairedText(s: PairedSummary, words?: { helps: string; hurts: string }): string {
  if (s.n < 2) return '—';
  const verdict = words && (s.verdict === 'helps' || s.verdict === 'hurts') ? words[s.verdict] : s.verdict;
  return deltaText({ delta_mean: String(s.mean), delta_ci_low: String(s.low), delta_ci_high: String(s.high), verdict });
}

/** One TPP arm of the capacity axis: its effect on each backbone and how it moved. */
export interface CapacityRow {
  target: string;
  method: string;
  budget: string;
  arm: string;
  /** The arm's TPP images in words (`4,708 (all)`). */
  images: string;
  /** Mean test metric without TPP on each backbone (NaN where it has no cells). */
  noTpp: { base: number; larger: number };
  /** `arm − none` per seed on each backbone, and `larger − base` of those per seed. */
  base: PairedSummary;
  larger: PairedSummary;
  change: PairedSummary;
}

/**
 * The capacity axis: each TPP arm's effect against no TPP on the larger backbone beside the same setting on the base
 * backbone, and how the effect moved (larger − base), paired by fine-tuning seed: a seed draws the same labelled images
 * whatever the backbone (finetune's subsample depends on the data and the seed only), so the difference of the two
 * per-seed effects is a paired difference. Rows follow the larger grid's arms (`doses`: its TPP images); a setting the
 * base backbone never ran has `base.n` 0.
 */
export function capacityRows(larger: readonly TargetCell[], base: readonly TargetCell[], doses: Readonly<Record<string, Readonly<Record<string, ArmDose>>>>, metric = 'auc'): CapacityRow[] {
  const out: CapacityRow[] = [];
  const groups = [...new Set(larger.filter((c) => c.arm === 'none').map((c) => `${c.target}|${c.method}|${c.budget}`))];
  for (const g of groups) {
    const [target, method, budget] = g.split('|');
    const noTpp = (cells: readonly TargetCell[]) => meanStd(cells.filter((c) => c.target === target && c.method === method && c.budget === budget && c.arm === 'none').map((c) => Number(c[metric]))).mean;
    for (const [arm, d] of Object.entries(doses[target] ?? {})) {
      const key = { target, method, budget, arm };
      const l = armDeltas(larger, key, metric);
      if (!l.size) continue;
      const b = armDeltas(base, key, metric);
      const change = [...l.keys()].filter((s) => b.has(s)).map((s) => l.get(s)! - b.get(s)!);
      out.push({ target, method, budget, arm, images: d.label, noTpp: { base: noTpp(base), larger: noTpp(larger) }, base: pairedSummary([...b.values()]), larger: pairedSummary([...l.values()]), change: pairedSummary(change) });
    }
  }
  return out;
}

/** The capacity rows as a Markdown table (the regime README's `capacity` block, notebook 11). */
export function capacityTable(rows: readonly CapacityRow[], names: { larger: string; base: string }, metric = 'auc'): string {
  const m = metric.toUpperCase();
  const n = (x: number) => (Number.isFinite(x) ? num(x) : '—');
  return [
    `| target | method | labels/class | TPP arm | TPP images | ${m} without TPP, ${names.base} → ${names.larger} | Δ ${m} vs no TPP, ${names.base} [95 % CI] | Δ ${m} vs no TPP, ${names.larger} [95 % CI] | ${names.larger} − ${names.base}, paired by seed [95 % CI] |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.target} | ${r.method} | ${r.budget} | ${r.arm === 'same' ? 'own images' : r.arm} | ${r.images} | ${n(r.noTpp.base)} → ${n(r.noTpp.larger)} | ${pairedText(r.base)} | ${pairedText(r.larger)} | ${pairedText(r.change, { helps: 'higher', hurts: 'lower' })} |`),
  ].join('\n');
}
