/**
 * The study's answer as Markdown tables, built only from its committed `summary.csv` and `contrasts.csv`, so the
 * README, the study's own README and notebook 06 show the same numbers (scripts/study-tables.ts writes them into
 * marked blocks of the READMEs; a test checks that the blocks still equal what the CSVs give).
 *
 * Pooled answer: for each comparison (e.g. `same − none`), the mean paired differences of every (target, method,
 * budget) group are averaged, with a 95 % t interval over the groups. The group is the unit, not the seed: groups
 * differ in data and method, so this asks "is there an effect on average over the settings studied", and its
 * interval is wider than a seed-level one would be.
 */
import * as fs from 'fs';
import { meanStd, pairedSummary, signed } from '../analysis/paired';
import { baselineGrid, type ContrastRow, QUESTION_TITLES } from './study-report';
import { deltaText, parseCsvRows, type CsvRow } from './study-csv';

export { contrastRows, longerDose, parseCsvRows, LONGER_DOSE_ARMS, type CsvRow, type LongerDose } from './study-csv';

/** Read one of the study's CSVs. */
export function readCsvRows(file: string): CsvRow[] {
  return parseCsvRows(fs.readFileSync(file, 'utf8'), file);
}

/** TPP arms in the order the tables show them (others follow in the order they appear). */
export const ARM_ORDER = ['same', 'same-modality', 'other-modality', 'natural', 'continued-mae'];

const ARM_TITLES: Record<string, string> = {
  same: 'TPP on own images', 'same-modality': 'same modality, other pool', 'other-modality': 'other modality', natural: 'natural images',
  'continued-mae': 'reference: whole backbone MAE',
};

const signed3 = (x: number) => signed(x, 3);
const short = (v: string) => (v === 'no detectable effect' ? 'n.d.e.' : `**${v}**`);

function orderArms(arms: string[]): string[] {
  return [...ARM_ORDER.filter((a) => arms.includes(a)), ...arms.filter((a) => !ARM_ORDER.includes(a))];
}

/** Question 1 per target, method and budget: no-TPP AUC (mean ± sd) and each arm minus none. */
export function questionOneTable(summary: CsvRow[], contrasts: CsvRow[], metric = 'auc'): string {
  const q1 = contrasts.filter((r) => (r.question === 'tpp-helps' || r.question === 'reference') && r.metric === metric);
  const arms = orderArms([...new Set(q1.map((r) => r.arm))]);
  const head = `| target | method | labels/class | no TPP (${metric.toUpperCase()}, mean ± sd) | ${arms.map((a) => ARM_TITLES[a] ?? a).join(' | ')} |`;
  const lines = [head, `|${' --- |'.repeat(4 + arms.length)}`];
  for (const g of stableGroups(q1)) {
    const none = summary.find((r) => r.target === g.target && r.method === g.method && r.budget === g.budget && r.arm === 'none' && r.metric === metric);
    const cells = arms.map((a) => deltaText(q1.find((r) => r.target === g.target && r.method === g.method && r.budget === g.budget && r.arm === a)));
    lines.push(`| ${g.target} | ${g.method} | ${g.budget.replace('/class', '')} | ${none ? `${Number(none.mean).toFixed(3)} ± ${Number(none.sd).toFixed(3)}` : '—'} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Question 2 per target, method and budget: TPP on the target's own images minus TPP on each other pool. */
export function questionTwoTable(contrasts: CsvRow[], metric = 'auc'): string {
  const q2 = contrasts.filter((r) => r.question === 'modality' && r.metric === metric);
  const versus = orderArms([...new Set(q2.map((r) => r.versus))]);
  const lines = [`| target | method | labels/class | ${versus.map((v) => `same − ${v}`).join(' | ')} |`, `|${' --- |'.repeat(3 + versus.length)}`];
  for (const g of stableGroups(q2)) {
    const cells = versus.map((v) => deltaText(q2.find((r) => r.target === g.target && r.method === g.method && r.budget === g.budget && r.versus === v)));
    lines.push(`| ${g.target} | ${g.method} | ${g.budget.replace('/class', '')} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** (target, method, budget) groups in the order they first appear, budgets ascending within a target and method. */
function stableGroups(rows: CsvRow[]): { target: string; method: string; budget: string }[] {
  const order: { target: string; method: string; budget: string }[] = [];
  for (const r of rows) if (!order.some((g) => g.target === r.target && g.method === r.method && g.budget === r.budget)) order.push({ target: r.target, method: r.method, budget: r.budget });
  const targets = [...new Set(order.map((g) => g.target))];
  const methods = [...new Set(order.map((g) => g.method))];
  return order.sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target) || methods.indexOf(a.method) - methods.indexOf(b.method) || Number.parseFloat(a.budget) - Number.parseFloat(b.budget));
}

/** One pooled comparison: mean over groups of their mean paired difference, t interval over groups. */
export interface PooledRow {
  question: string;
  comparison: string;
  groups: number;
  helps: number;
  hurts: number;
  nde: number;
  mean: number;
  low: number;
  high: number;
  verdict: string;
}

/** Verdict counts and the pooled difference of every comparison of the contrasts. */
export function pooledRows(contrasts: CsvRow[], metric = 'auc'): PooledRow[] {
  const rows = contrasts.filter((r) => r.metric === metric);
  const keys = [...new Set(rows.map((r) => `${r.question}|${r.arm}|${r.versus}`))];
  return keys.map((k) => {
    const [question, arm, versus] = k.split('|');
    const rs = rows.filter((r) => r.question === question && r.arm === arm && r.versus === versus);
    const s = pairedSummary(rs.map((r) => Number(r.delta_mean)));
    return {
      question, comparison: `${arm} − ${versus}`, groups: rs.length, helps: rs.filter((r) => r.verdict === 'helps').length,
      hurts: rs.filter((r) => r.verdict === 'hurts').length, nde: rs.filter((r) => r.verdict === 'no detectable effect').length,
      mean: s.mean, low: s.low, high: s.high, verdict: s.verdict,
    };
  });
}

/** The pooled table: per comparison, verdict counts over groups and the pooled mean difference with its interval. */
export function pooledTable(contrasts: CsvRow[], metric = 'auc'): string {
  const lines = ['| question | comparison | settings | helps | no detectable effect | hurts | pooled Δ [95 % CI over settings] |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of pooledRows(contrasts, metric)) {
    const q = QUESTION_TITLES[r.question] ?? r.question;
    const pooled = Number.isFinite(r.low) ? `${signed3(r.mean)} [${signed3(r.low)}, ${signed3(r.high)}] ${short(r.verdict)}` : signed3(r.mean);
    lines.push(`| ${q} | ${r.comparison} | ${r.groups} | ${r.helps} | ${r.nde} | ${r.hurts} | ${pooled} |`);
  }
  return lines.join('\n');
}

/** Without TPP: each method's and each reference method's test metric (mean ± sd) per target and budget. */
export function baselineMarkdown(summary: CsvRow[], metric = 'auc'): string {
  const { methods, rows } = baselineGrid(summary as unknown as Parameters<typeof baselineGrid>[0], metric);
  return [
    `| target | labels/class | ${methods.join(' | ')} |`, `|${' --- |'.repeat(2 + methods.length)}`,
    ...rows.map((r) => `| ${r.target} | ${r.budget.replace('/class', '')} | ${r.cells.map((c) => c ?? '—').join(' | ')} |`),
  ].join('\n');
}

/**
 * The diagnostics (`tpp-lab diagnose`'s diagnostics.csv) per target, method and TPP arm: means over TPP seeds of
 * the frozen-feature probe changes (with the range of the linear one), CKA, the MAE loss change and the update sizes.
 */
export function diagnosticsMarkdown(rows: CsvRow[]): string {
  const adapters = rows.filter((r) => r.arm !== 'none');
  const keys: string[] = [];
  for (const r of adapters) if (!keys.includes(`${r.target}|${r.method}|${r.arm}`)) keys.push(`${r.target}|${r.method}|${r.arm}`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const lines = ['| target | method | TPP arm | Δ linear probe [range] | Δ kNN | CKA | Δ MAE loss | TPP update | fine-tuning shift |', `|${' --- |'.repeat(9)}`];
  for (const k of keys) {
    const [target, method, arm] = k.split('|');
    const rs = adapters.filter((r) => r.target === target && r.method === method && r.arm === arm);
    const col = (c: string) => rs.map((r) => Number(r[c]));
    const lin = col('linear_delta');
    lines.push(`| ${target} | ${method} | ${arm} | ${signed3(mean(lin))} [${signed3(Math.min(...lin))}, ${signed3(Math.max(...lin))}] | ${signed3(mean(col('knn_delta')))} | ` +
      `${mean(col('cka')).toFixed(3)} | ${signed3(mean(col('mae_loss_delta')))} | ${mean(col('tpp_update')).toFixed(2)} | ${mean(col('ft_shift_mean')).toFixed(2)} |`);
  }
  const none = rows.filter((r) => r.arm === 'none');
  const targets = [...new Set(none.map((r) => r.target))];
  lines.push('', 'Without TPP (`none`): ' + targets.map((t) => {
    const rs = none.filter((r) => r.target === t);
    return `${t} linear ${rs[0].metric} ${Number(rs[0].linear).toFixed(3)}, kNN ${Number(rs[0].knn).toFixed(3)}, MAE loss ${Number(rs[0].mae_loss).toFixed(3)}, ` +
      `fine-tuning shift ${rs.map((r) => `${Number(r.ft_shift_mean).toFixed(2)} (${r.method})`).join(', ')}`;
  }).join('; ') + '.');
  return lines.join('\n');
}

/** Every block the READMEs carry, by name (the `<!-- study:NAME -->` markers). */
export function studyBlocks(summary: CsvRow[], contrasts: CsvRow[], diagnostics: CsvRow[] = []): Record<string, string> {
  return {
    q1: questionOneTable(summary, contrasts), q2: questionTwoTable(contrasts), pooled: pooledTable(contrasts), baselines: baselineMarkdown(summary),
    ...(diagnostics.length ? { diagnostics: diagnosticsMarkdown(diagnostics) } : {}),
  };
}

/**
 * `text` with each `<!-- PREFIX:NAME -->` … `<!-- /PREFIX:NAME -->` block's body replaced by `blocks[NAME]`
 * (prefix `study` for the TPP study, `seg` for the segmentation results). Throws when a marker names no block, so
 * a typo cannot leave a stale table in place.
 */
export function fillBlocks(text: string, blocks: Record<string, string>, prefix = 'study'): string {
  const re = new RegExp(`<!-- ${prefix}:([\\w-]+) -->\\n[\\s\\S]*?<!-- \\/${prefix}:\\1 -->`, 'g');
  return text.replace(re, (_m, name: string) => {
    if (!(name in blocks)) throw new Error(`a <!-- ${prefix}:${name} --> block has no table of that name (known: ${Object.keys(blocks).join(', ')}).`);
    return `<!-- ${prefix}:${name} -->\n${blocks[name]}\n<!-- /${prefix}:${name} -->`;
  });
}

/**
 * The segmentation results table from the targets' summary.csv rows: per target, method and budget, test Dice
 * without TPP (mean ± sd) and each TPP arm's paired Δ Dice [95 % CI] and verdict, then HD95 and (HC18) the head
 * circumference error without and with TPP on own images.
 */
export function segResultsTable(summary: CsvRow[]): string {
  const dice = summary.filter((r) => r.metric === 'dice');
  const arms = orderArms([...new Set(dice.map((r) => r.arm))].filter((a) => a !== 'none'));
  const hc = summary.some((r) => r.metric === 'hc_error_mm');
  const head = `| target | method | labelled images | no TPP: Dice (mean ± sd) | ${arms.map((a) => `${ARM_TITLES[a] ?? a}: Δ Dice`).join(' | ')} | HD95 no TPP / own images | ${hc ? 'HC error mm no TPP / own images | ' : ''}seeds |`;
  const lines = [head, `|${' --- |'.repeat(6 + arms.length + (hc ? 1 : 0))}`];
  const groups = [...new Map(dice.map((r) => [`${r.target}|${r.method}|${r.budget}`, r])).values()];
  for (const g of groups) {
    const pick = (arm: string, metric: string) => summary.find((r) => r.target === g.target && r.method === g.method && r.budget === g.budget && r.arm === arm && r.metric === metric);
    const none = pick('none', 'dice');
    const pair = (metric: string, digits: number) => {
      const a = pick('none', metric);
      const b = pick('same', metric);
      return a ? `${Number(a.mean).toFixed(digits)} / ${b ? Number(b.mean).toFixed(digits) : '—'}` : '—';
    };
    const hcCell = hc ? ` ${pair('hc_error_mm', 1)} |` : '';
    lines.push(`| ${g.target} | ${g.method} | ${g.budget.replace(' images', '')} | ${none ? `${Number(none.mean).toFixed(3)} ± ${Number(none.sd).toFixed(3)}` : '—'} | ` +
      `${arms.map((a) => deltaText(pick(a, 'dice'))).join(' | ')} | ${pair('hd95', 1)} |${hcCell} ${none?.n_seeds ?? '—'} |`);
  }
  return lines.join('\n');
}

/**
 * The head comparison from cells of grids that differ only in the head (`results.csv` rows with a `head` added):
 * per target and head, validation Dice (what chooses the default) and test Dice, mean ± sd over seeds, and the
 * mean wall time of a cell.
 */
export function segHeadsTable(cells: CsvRow[]): string {
  const lines = ['| target | head | labelled images | validation Dice (mean ± sd) | test Dice (mean ± sd) | seeds | s per cell |', '| --- | --- | --- | --- | --- | --- | --- |'];
  const groups = [...new Map(cells.map((c) => [`${c.target}|${c.head}|${c.budget}`, c])).values()];
  for (const g of groups) {
    const cs = cells.filter((c) => c.target === g.target && c.head === g.head && c.budget === g.budget);
    const ms = (k: string) => {
      const v = meanStd(cs.map((c) => Number(c[k])));
      return `${v.mean.toFixed(3)} ± ${v.std.toFixed(3)}`;
    };
    lines.push(`| ${g.target} | ${g.head} | ${g.budget.replace(' images', '')} | ${ms('val_dice')} | ${ms('dice')} | ${cs.length} | ${Math.round(meanStd(cs.map((c) => Number(c.seconds))).mean)} |`);
  }
  return lines.join('\n');
}

/**
 * Wall time per target and budget: the mean seconds of a fine-tuning cell, and of a TPP run (each counted once),
 * from the targets' results.json cells (`seconds`, `tppSeconds`, `budget`, `method`, `arm`).
 */
export function segTimesTable(cellsByTarget: Record<string, { budget: string; method: string; arm: string; seconds: number; tppSeconds: number | null }[]>): string {
  const lines = ['| target | labelled images | cells | s per fine-tuning cell (mean) | TPP runs | s per TPP run (mean) |', '| --- | --- | --- | --- | --- | --- |'];
  for (const [target, cells] of Object.entries(cellsByTarget)) {
    const tpp = [...new Map(cells.filter((c) => c.tppSeconds !== null).map((c) => [`${c.method}|${c.arm}|${c.tppSeconds}`, c.tppSeconds as number])).values()];
    for (const budget of [...new Set(cells.map((c) => c.budget))]) {
      const cs = cells.filter((c) => c.budget === budget);
      lines.push(`| ${target} | ${budget.replace(' images', '')} | ${cs.length} | ${Math.round(meanStd(cs.map((c) => c.seconds)).mean)} | ${tpp.length} | ${tpp.length ? Math.round(meanStd(tpp).mean) : '—'} |`);
    }
  }
  return lines.join('\n');
}
