/**
 * The study's front page and tables: every target's summary rows in one `summary.csv`, the paired contrasts that
 * answer the two questions in `contrasts.csv`, and `index.html` linking each target's own compare report.
 *
 * Question 1 (does TPP help?): each TPP arm against `none`. Question 2 (does the modality matter?): the target's
 * own images (`same`) against each other pool, paired by seed. Every contrast is a paired difference with a 95 %
 * t interval, a verdict from it and the minimum detectable effect (analysis/paired.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { signed } from '../analysis/paired';
import { readPlotlyBundle } from '../io/plotly-bundle';
import { writeFileAtomic } from '../io/safetensors';
import { type CellMetric, isSegmentationCells, pairedColumns, type PairedColumns, pairedDelta, summarizeLong, type SummaryLongRow } from '../grid/summary';
import type { CellResult } from '../grid/types';
import { figureHtml, pageHtml, type Figure } from '../viz/plotly';

// danfojs writes the CSVs, as in compare-report.ts (loaded with require: it has no type declarations we use).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dfd = require('danfojs') as { DataFrame: new (rows: object[]) => object; toCSV: (df: object) => string };

/** One target's finished cells. */
export interface StudyTargetResult {
  target: string;
  /** The target's compare folder, relative to the study folder (its report.html is linked). */
  dir: string;
  cells: CellResult[];
}

/** A paired contrast of two arms (same seeds) on one metric. */
export interface ContrastRow extends PairedColumns {
  target: string;
  method: string;
  budget: string;
  metric: string;
  question: 'tpp-helps' | 'modality' | 'reference';
  arm: string;
  versus: string;
  n_seeds: number;
  /**
   * Mean difference per TPP seed (fine-tuning seeds that share a TPP run), e.g. `0:+0.010 1:-0.020 2:+0.030`: TPP's
   * own variance. The interval above treats fine-tuning seeds as independent, which these shared runs are not.
   */
  by_tpp_seed: string;
}

/** Mean of `a − b` per TPP seed of the pairs (the TPP seed of `a`'s cell, else of `b`'s). */
function byTppSeed(pairs: { a: CellResult; b: CellResult }[], metric: CellMetric): string {
  const groups = new Map<number, number[]>();
  const value = (c: CellResult) => (c[metric] ?? NaN) as number;
  for (const { a, b } of pairs) {
    const k = a.tppSeed ?? b.tppSeed;
    if (k === null || k === undefined) return '';
    groups.set(k, [...(groups.get(k) ?? []), value(a) - value(b)]);
  }
  return [...groups].sort((x, y) => x[0] - y[0]).map(([k, d]) => {
    const m = d.reduce((p, q) => p + q, 0) / d.length;
    return `${k}:${m >= 0 ? '+' : ''}${m.toFixed(3)}`;
  }).join(' ');
}

/** `a − b` per seed for every method and budget where both arms ran. */
export function contrast(cells: CellResult[], target: string, a: string, b: string, metric: CellMetric, question: ContrastRow['question']): ContrastRow[] {
  const rows: ContrastRow[] = [];
  const methods = [...new Set(cells.map((c) => c.method))];
  const budgets = [...new Set(cells.map((c) => c.budget))];
  for (const method of methods) {
    for (const budget of budgets) {
      const pick = (arm: string) => cells.filter((c) => c.method === method && c.budget === budget && c.arm === arm);
      const base = new Map(pick(b).map((c) => [c.seed, c]));
      const d = pairedDelta(pick(a), base, metric);
      if (!d.n) continue;
      const pairs = pick(a).filter((c) => base.has(c.seed)).map((c) => ({ a: c, b: base.get(c.seed)! }));
      rows.push({
        target, method, budget, metric, question, arm: a, versus: b, n_seeds: d.n, ...pairedColumns(d), by_tpp_seed: byTppSeed(pairs, metric),
      });
    }
  }
  return rows;
}

/** The metric a target's questions are answered on: test AUC, or test Dice for a segmentation target. */
export function primaryMetric(cells: readonly CellResult[]): 'auc' | 'dice' {
  return isSegmentationCells(cells) ? 'dice' : 'auc';
}

/** How tables and axes name a metric. */
const METRIC_NAMES: Record<string, string> = { auc: 'AUC', dice: 'Dice', iou: 'IoU', hd95: 'HD95', hc_error_mm: 'HC error (mm)', accuracy: 'accuracy', balanced_accuracy: 'balanced accuracy' };

/** `AUC`, `Dice`, or `AUC / Dice` for rows of several metrics. */
function metricNames(rows: readonly { metric: string }[]): string {
  return [...new Set(rows.map((r) => METRIC_NAMES[r.metric] ?? r.metric))].join(' / ') || 'AUC';
}

/** Arms that are not TPP but reference arms (compared with `none` only): MAE of the whole backbone continued. */
export const REFERENCE_ARMS = ['continued-mae'];

/**
 * Every contrast of a target: each TPP arm vs none (question 1), `same` vs each other TPP arm (question 2), each
 * reference arm vs none.
 */
export function studyContrasts(r: StudyTargetResult, metric: CellMetric = primaryMetric(r.cells)): ContrastRow[] {
  const arms = [...new Set(r.cells.map((c) => c.arm))];
  const tppArms = arms.filter((a) => a !== 'none' && !REFERENCE_ARMS.includes(a));
  return [
    ...tppArms.flatMap((a) => contrast(r.cells, r.target, a, 'none', metric, 'tpp-helps')),
    ...(arms.includes('same') ? tppArms.filter((a) => a !== 'same').flatMap((a) => contrast(r.cells, r.target, 'same', a, metric, 'modality')) : []),
    ...arms.filter((a) => REFERENCE_ARMS.includes(a)).flatMap((a) => contrast(r.cells, r.target, a, 'none', metric, 'reference')),
  ];
}

const f3 = (x: number) => (Number.isFinite(x) ? signed(x, 3) : '–');

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

function contrastTable(rows: ContrastRow[]): string {
  const head = ['target', 'method', 'labels', 'arm', 'versus', 'seeds', `Δ ${metricNames(rows)}`, '95 % CI', 'wins', 'verdict', 'MDE', 'Δ per TPP seed'];
  const colour = (v: string) => (v === 'helps' ? '#1a7f37' : v === 'hurts' ? '#b42318' : '#555');
  const body = rows.map((r) => `<tr><td>${esc(r.target)}</td><td>${esc(r.method)}</td><td>${esc(r.budget)}</td><td>${esc(r.arm)}</td><td>${esc(r.versus)}</td><td>${r.n_seeds}</td>` +
    `<td>${f3(r.delta_mean)}</td><td>${Number.isFinite(r.delta_ci_low) ? `${f3(r.delta_ci_low)} to ${f3(r.delta_ci_high)}` : ''}</td><td>${r.wins}</td>` +
    `<td style="color:${colour(r.verdict)};text-align:left">${esc(r.verdict)}</td><td>${Number.isFinite(r.mde) ? r.mde.toFixed(3) : ''}</td>` +
    `<td style="text-align:left">${esc(r.by_tpp_seed)}</td></tr>`);
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

/**
 * A forest plot of contrasts: one row per (target, method, labels), the mean paired difference with its 95 %
 * interval as a bar, one colour per compared arm, and the zero line (no effect).
 */
export function forestFigure(rows: ContrastRow[], title: string): Figure {
  const key = (r: ContrastRow) => `${r.target} · ${r.method} · ${r.budget}`;
  const keys = [...new Set(rows.map(key))];
  const arms = [...new Set(rows.map((r) => `${r.arm} − ${r.versus}`))];
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
  // Row k sits at y = -k (first row on top); the arms of a row are spread a little around it so none hides another.
  const y = (r: ContrastRow, i: number) => -keys.indexOf(key(r)) + (((arms.length - 1) / 2 - i) * 0.6) / Math.max(1, arms.length);
  return {
    data: arms.map((a, i) => {
      const rs = rows.filter((r) => `${r.arm} − ${r.versus}` === a && Number.isFinite(r.delta_ci_low));
      return {
        type: 'scatter', mode: 'markers', name: a, y: rs.map((r) => y(r, i)), x: rs.map((r) => r.delta_mean),
        error_x: { type: 'data', symmetric: false, array: rs.map((r) => r.delta_ci_high - r.delta_mean), arrayminus: rs.map((r) => r.delta_mean - r.delta_ci_low), thickness: 1.5, width: 3 },
        text: rs.map((r) => `${key(r)}: ${a}, ${r.verdict}; wins ${r.wins}; per TPP seed ${r.by_tpp_seed}`), hoverinfo: 'x+text',
        marker: { color: colours[i % colours.length], size: 8 },
      };
    }),
    layout: {
      title, height: 160 + 48 * keys.length, margin: { l: 230, t: 90 },
      xaxis: { title: `Δ test ${metricNames(rows)} (mean, 95 % CI)`, zeroline: true, zerolinewidth: 2, zerolinecolor: '#444' },
      yaxis: { tickvals: keys.map((_, k) => -k), ticktext: keys, range: [-keys.length + 0.5, 0.5], zeroline: false, automargin: true },
      legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' },
    },
  };
}

/** Verdict counts per (question, arm, versus) over targets, methods and budgets. */
export function verdictCounts(rows: ContrastRow[]): { question: string; arm: string; versus: string; helps: number; hurts: number; none: number; total: number }[] {
  const out = new Map<string, { question: string; arm: string; versus: string; helps: number; hurts: number; none: number; total: number }>();
  for (const r of rows) {
    const key = `${r.question}|${r.arm}|${r.versus}`;
    const e = out.get(key) ?? { question: r.question, arm: r.arm, versus: r.versus, helps: 0, hurts: 0, none: 0, total: 0 };
    if (r.verdict === 'helps') e.helps++;
    else if (r.verdict === 'hurts') e.hurts++;
    else e.none++;
    e.total++;
    out.set(key, e);
  }
  return [...out.values()];
}

/** A summary row as the report holds it (numbers) or as a committed summary.csv gives it back (strings). */
type BaselineSource = { target: string; budget: string; arm: string; metric: string; method: string; mean: number | string; sd: number | string };

/**
 * The no-TPP grid: one row per target and budget (targets in order of appearance, budgets ascending), one column per
 * method (the PEFT methods beside the reference methods that bracket them), each cell `mean ± sd` over seeds or null.
 */
export function baselineGrid(summary: readonly BaselineSource[], metric = 'auc'): { methods: string[]; rows: { target: string; budget: string; cells: (string | null)[] }[] } {
  const rows = summary.filter((r) => r.arm === 'none' && r.metric === metric);
  const methods = [...new Set(rows.map((r) => r.method))];
  const targets = [...new Set(rows.map((r) => r.target))];
  const keys = [...new Map(rows.map((r) => [`${r.target}|${r.budget}`, { target: r.target, budget: r.budget }])).values()];
  keys.sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target) || Number.parseFloat(a.budget) - Number.parseFloat(b.budget));
  return {
    methods,
    rows: keys.map(({ target, budget }) => ({
      target, budget,
      cells: methods.map((m) => {
        const r = rows.find((x) => x.target === target && x.budget === budget && x.method === m);
        return r ? `${Number(r.mean).toFixed(3)} ± ${Number(r.sd).toFixed(3)}` : null;
      }),
    })),
  };
}

/** Test AUC (or another metric) without TPP per target and budget, one column per method (`baselineGrid`), as an HTML table. */
export function baselineTable(summary: SummaryLongRow[], metric = 'auc'): string {
  const { methods, rows } = baselineGrid(summary, metric);
  const body = rows.map((r) => `<tr><td>${esc(r.target)}</td><td>${esc(r.budget)}</td>${r.cells.map((c) => `<td>${c ?? ''}</td>`).join('')}</tr>`);
  return `<table><thead><tr><th>target</th><th>labels</th>${methods.map((m) => `<th>${esc(m)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

/** How the front page and the READMEs name each question. */
export const QUESTION_TITLES: Record<string, string> = {
  'tpp-helps': '1: does TPP help?', modality: '2: does the modality matter?', reference: 'reference: whole-backbone MAE',
};

/** Write summary.csv, contrasts.csv and index.html of a study into `dir`; returns their paths. */
export async function writeStudyReport(dir: string, title: string, results: StudyTargetResult[], context: { backbone: string; task: string }, about: string): Promise<Record<string, string>> {
  fs.mkdirSync(dir, { recursive: true });
  const summary: SummaryLongRow[] = results.flatMap((r) => summarizeLong(r.cells, { backbone: context.backbone, target: r.target, task: isSegmentationCells(r.cells) ? 'segmentation' : context.task }));
  const metrics = [...new Set(results.map((r) => primaryMetric(r.cells)))];
  const metricText = metrics.map((m) => `test ${METRIC_NAMES[m]}`).join(' (classification targets) or ') + (metrics.length > 1 ? ' (segmentation targets)' : '');
  const contrasts = results.flatMap((r) => studyContrasts(r));
  const files = { summary_csv: path.join(dir, 'summary.csv'), contrasts_csv: path.join(dir, 'contrasts.csv'), index_html: path.join(dir, 'index.html') };
  await writeFileAtomic(files.summary_csv, Buffer.from(dfd.toCSV(new dfd.DataFrame(summary as unknown as object[]))));
  await writeFileAtomic(files.contrasts_csv, Buffer.from(dfd.toCSV(new dfd.DataFrame(contrasts as unknown as object[]))));
  const counts = verdictCounts(contrasts);
  const countTable = `<table><thead><tr><th>question</th><th>arm</th><th>versus</th><th>helps</th><th>hurts</th><th>no detectable effect</th><th>comparisons</th></tr></thead><tbody>${counts
    .map((c) => `<tr><td>${QUESTION_TITLES[c.question] ?? c.question}</td><td>${esc(c.arm)}</td><td>${esc(c.versus)}</td><td>${c.helps}</td><td>${c.hurts}</td><td>${c.none}</td><td>${c.total}</td></tr>`)
    .join('')}</tbody></table>`;
  const body = [
    `<p>${esc(about)}</p>`,
    `<p>Each row is a paired difference in ${metricText} over fine-tuning seeds (same labelled subset, head initialisation and data order per seed), with its 95 % Student-t interval. <b>helps</b>/<b>hurts</b>: the interval excludes 0; otherwise <b>no detectable effect</b>. MDE: the smallest true difference these seeds would detect 80 % of the time. Fine-tuning seeds share TPP runs (seed s starts from TPP seed s mod the number of TPP seeds), so the interval, which treats seeds as independent, understates TPP\'s own variance: the last column shows the mean difference per TPP seed; read a verdict as firm only where those agree.</p>`,
    '<h2>The answers in counts</h2>', countTable,
    '<h2>Question 1: does TPP help? (each TPP arm minus no TPP)</h2>',
    figureHtml(forestFigure(contrasts.filter((c) => c.question === 'tpp-helps'), 'Each TPP arm minus no TPP: right of the line, TPP helped')),
    contrastTable(contrasts.filter((c) => c.question === 'tpp-helps')),
    '<h2>Question 2: does the modality matter? (TPP on the target\'s own images minus TPP on another pool)</h2>',
    figureHtml(forestFigure(contrasts.filter((c) => c.question === 'modality'), 'TPP on the target\'s own images minus TPP on another pool')),
    contrastTable(contrasts.filter((c) => c.question === 'modality')),
    ...(contrasts.some((c) => c.question === 'reference') ? [
      '<h2>Reference: MAE of the whole backbone continued on the target\'s images, then the same PEFT (minus no TPP)</h2>',
      contrastTable(contrasts.filter((c) => c.question === 'reference')),
    ] : []),
    ...metrics.flatMap((m) => [`<h2>Without TPP: each method, and the references that bracket them (test ${METRIC_NAMES[m]}, mean ± sd over seeds)</h2>`, baselineTable(summary, m)]),
    '<h2>Per target</h2>', `<ul>${results.map((r) => `<li><a href="${esc(path.join(r.dir, 'report.html'))}">${esc(r.target)}</a> (${r.cells.length} cells)</li>`).join('')}</ul>`,
  ].join('\n');
  await writeFileAtomic(files.index_html, Buffer.from(pageHtml(title, body, readPlotlyBundle)));
  return files;
}
