/**
 * Results of `tpp-lab compare` as files a person can open: `results.csv` / `results.json` (one row per cell),
 * `summary.csv` (mean ± std per method, budget and arm, with the paired difference to no TPP), and
 * `report.html` (offline plotly charts: test AUC per arm, paired differences per seed, learning curves).
 *
 * Every row names the settings that produced it: the `settings` column holds the fingerprint of its run settings,
 * spelled out in results.json (`runs`) and in the report's header, beside the command. results.csv holds no
 * timing (wall times differ between runs; they are in results.json), so two runs of the same grid give the same
 * file byte for byte, however many processes or shards computed it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readPlotlyBundle } from '../io/plotly-bundle';
import { writeFileAtomic } from '../io/safetensors';
import { isSegmentationCells, type SegSummaryRow, summarize, summarizeLong, summarizeSegmentation, type SummaryRow } from '../grid/summary';
import type { CellResult } from '../grid/types';
import { figureHtml, pageHtml, type Figure } from '../viz/plotly';
import { chanceLine, withReferences } from '../viz/references';

// danfojs has no type declarations we rely on; it is used for the tables and CSV.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dfd = require('danfojs') as { DataFrame: new (rows: object[]) => object; toCSV: (df: object) => string };

/** Settings printed at the top of the report (data, backbone, epochs, backend, time...). */
export type ReportSettings = Record<string, string | number | boolean | null>;

const ARM_COLORS = ['#7f7f7f', '#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** A summary row's leading cells: method, labels, TPP arm, seeds. */
function groupCells(r: { method: string; budget: string; arm: string; n: number }): string {
  return `<td style="text-align:left">${esc(r.method)}</td><td>${esc(r.budget)}</td><td style="text-align:left">${esc(r.arm)}</td><td>${r.n}</td>`;
}

/** A summary row's paired cells against `none` (mean ± sd, 95 % CI, wins, verdict, MDE); blank for the `none` arm. */
function pairedCells(arm: string, d: { mean: number; std: number; low: number; high: number; wins: string; verdict: string; mde: number }): string {
  return `<td>${arm === 'none' ? '' : `${d.mean >= 0 ? '+' : ''}${fmt(d.mean)} ± ${fmt(d.std)}`}</td>` +
    `<td>${arm === 'none' || !Number.isFinite(d.low) ? '' : `${fmt(d.low)} to ${fmt(d.high)}`}</td><td>${d.wins}</td>` +
    `<td style="text-align:left">${esc(d.verdict)}</td><td>${arm === 'none' || !Number.isFinite(d.mde) ? '' : fmt(d.mde)}</td>`;
}

/** An HTML table of a header and rows of cells. */
function summaryTable(head: string[], rows: string[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r}</tr>`).join('')}</tbody></table>`;
}

/** The summary as an HTML table. */
export function summaryTableHtml(rows: SummaryRow[]): string {
  const head = ['method', 'labels', 'TPP arm', 'seeds', 'test AUC', 'test accuracy', 'balanced acc.', 'macro F1', 'Δ AUC vs none (paired, mean ± sd)', '95 % CI', 'wins', 'verdict', 'MDE'];
  return summaryTable(head, rows.map((r) => groupCells(r) +
    `<td>${fmt(r.auc_mean)} ± ${fmt(r.auc_std)}</td><td>${fmt(r.accuracy_mean)} ± ${fmt(r.accuracy_std)}</td><td>${fmt(r.balanced_accuracy_mean)}</td><td>${fmt(r.f1_mean)}</td>` +
    pairedCells(r.arm, { mean: r.delta_auc_mean, std: r.delta_auc_std, low: r.delta_auc_ci_low, high: r.delta_auc_ci_high, wins: r.wins, verdict: r.verdict, mde: r.mde })));
}

/** Bar chart: mean test AUC (± std) per method and arm, one panel per budget (as groups on the x axis); chance at 0.5. */
export function aucBarsFigure(rows: SummaryRow[]): Figure {
  const arms = [...new Set(rows.map((r) => r.arm))];
  return withReferences({
    data: arms.map((arm, i) => {
      const rs = rows.filter((r) => r.arm === arm);
      return {
        type: 'bar', name: `TPP: ${arm}`, x: rs.map((r) => `${r.method} · ${r.budget}`), y: rs.map((r) => r.auc_mean),
        error_y: { type: 'data', array: rs.map((r) => r.auc_std), visible: true }, marker: { color: ARM_COLORS[i % ARM_COLORS.length] },
      };
    }),
    layout: { title: 'Test AUC by TPP arm (mean ± std over seeds)', barmode: 'group', yaxis: { title: 'test AUC', rangemode: 'tozero' }, height: 380 },
  }, { lines: [chanceLine('auc')] });
}

/** The metric a report plots: test AUC for classification, test Dice for segmentation. */
interface PlotMetric {
  key: 'auc' | 'dice';
  label: string;
}

function plotMetric(cells: CellResult[]): PlotMetric {
  return isSegmentationCells(cells) ? { key: 'dice', label: 'Dice' } : { key: 'auc', label: 'AUC' };
}

/** The segmentation summary as an HTML table. */
export function segSummaryTableHtml(rows: SegSummaryRow[]): string {
  const hc = rows.some((r) => Number.isFinite(r.hc_error_mm_mean));
  const head = ['method', 'labels', 'TPP arm', 'seeds', 'test Dice', 'IoU', 'HD95', ...(hc ? ['HC error (mm)'] : []), 'Δ Dice vs none (paired, mean ± sd)', '95 % CI', 'wins', 'verdict', 'MDE'];
  return summaryTable(head, rows.map((r) => groupCells(r) +
    `<td>${fmt(r.dice_mean)} ± ${fmt(r.dice_std)}</td><td>${fmt(r.iou_mean)}</td><td>${fmt(r.hd95_mean, 2)}</td>${hc ? `<td>${fmt(r.hc_error_mm_mean, 1)}</td>` : ''}` +
    pairedCells(r.arm, { mean: r.delta_dice_mean, std: r.delta_dice_std, low: r.delta_dice_ci_low, high: r.delta_dice_ci_high, wins: r.wins, verdict: r.verdict, mde: r.mde })));
}

/** Bar chart: mean test Dice (± std) per method and arm, budgets as groups on the x axis. */
export function diceBarsFigure(rows: SegSummaryRow[]): Figure {
  const arms = [...new Set(rows.map((r) => r.arm))];
  return {
    data: arms.map((arm, i) => {
      const rs = rows.filter((r) => r.arm === arm);
      return {
        type: 'bar', name: `TPP: ${arm}`, x: rs.map((r) => `${r.method} · ${r.budget}`), y: rs.map((r) => r.dice_mean),
        error_y: { type: 'data', array: rs.map((r) => r.dice_std), visible: true }, marker: { color: ARM_COLORS[i % ARM_COLORS.length] },
      };
    }),
    layout: { title: 'Test Dice by TPP arm (mean ± std over seeds)', barmode: 'group', yaxis: { title: 'test Dice', range: [0, 1] }, height: 380 },
  };
}

/** Paired differences: metric(arm) − metric(none) per seed (AUC, or Dice for segmentation), for every method/budget/arm. */
export function pairedFigure(cells: CellResult[]): Figure {
  const metric = plotMetric(cells);
  const arms = [...new Set(cells.map((c) => c.arm))].filter((a) => a !== 'none');
  const value = (c: CellResult) => (c[metric.key] ?? NaN) as number;
  const none = new Map(cells.filter((c) => c.arm === 'none').map((c) => [`${c.method}|${c.budget}|${c.seed}`, value(c)]));
  return {
    data: arms.map((arm, i) => {
      const cs = cells.filter((c) => c.arm === arm && none.has(`${c.method}|${c.budget}|${c.seed}`));
      return {
        type: 'box', name: `${arm} − none`, x: cs.map((c) => `${c.method} · ${c.budget}`), y: cs.map((c) => value(c) - none.get(`${c.method}|${c.budget}|${c.seed}`)!),
        boxpoints: 'all', jitter: 0.3, pointpos: 0, text: cs.map((c) => `seed ${c.seed}`), marker: { color: ARM_COLORS[(i + 1) % ARM_COLORS.length] },
      };
    }),
    layout: {
      title: `Paired difference in test ${metric.label}: TPP arm minus no TPP (each point a seed)`, boxmode: 'group', height: 380,
      yaxis: { title: `Δ test ${metric.label}`, zeroline: true, zerolinewidth: 2, zerolinecolor: '#444' },
    },
  };
}

/** Learning curves: validation AUC (Dice for segmentation) per epoch, mean over seeds, one line per arm, for one method and budget. */
export function curvesFigure(cells: CellResult[], method: string, budget: string): Figure {
  const arms = [...new Set(cells.map((c) => c.arm))];
  const metric = plotMetric(cells);
  const figure: Figure = {
    data: arms.map((arm, i) => {
      const cs = cells.filter((c) => c.method === method && c.budget === budget && c.arm === arm);
      const len = Math.max(0, ...cs.map((c) => c.curve.length));
      const y = Array.from({ length: len }, (_, e) => {
        const vs = cs.map((c) => c.curve[e]).filter((v) => Number.isFinite(v));
        return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
      });
      return { type: 'scatter', mode: 'lines+markers', name: `TPP: ${arm}`, x: y.map((_, e) => e + 1), y, line: { color: ARM_COLORS[i % ARM_COLORS.length] } };
    }),
    layout: { title: `${method}, ${budget}: validation ${metric.label} while fine-tuning (mean over seeds)`, xaxis: { title: 'epoch' }, yaxis: { title: `validation ${metric.label}` }, height: 320 },
  };
  return metric.key === 'auc' ? withReferences(figure, { lines: [chanceLine('auc')] }) : figure;
}

/** Where the rows came from: the command that wrote the report and the settings behind each row's fingerprint. */
export interface ReportProvenance {
  /** The command line that wrote this report. */
  command: string;
  /** Run settings by fingerprint (the `settings` field of the cells). */
  runs: Record<string, Record<string, unknown>>;
  /** The command that computed each cell (same order as the cells; null when not recorded). */
  cellCommands?: (string | null)[];
}

/** Columns of results.csv: everything but the learning curve and the wall times. */
function csvRow(c: CellResult): object {
  const { curve: _c, seconds: _s, tppSeconds: _t, ...rest } = c;
  if (c.task !== 'segment') return rest;
  const { accuracy: _a, balanced_accuracy: _b, auc: _u, f1: _f, val_auc: _v, ...seg } = rest;
  return seg;
}

/** The header block: the command, the run settings per fingerprint, and rows computed by other commands. */
function provenanceHtml(p: ReportProvenance, cells: CellResult[]): string {
  const runs = Object.entries(p.runs).map(([fp, s]) => {
    const n = cells.filter((c) => c.settings === fp).length;
    return `<h3>Settings ${esc(fp)} (${n} row${n === 1 ? '' : 's'})</h3><pre style="white-space:pre-wrap">${esc(JSON.stringify(s, null, 1))}</pre>`;
  });
  const others = new Map<string, number>();
  for (const c of p.cellCommands ?? []) if (c && c !== p.command) others.set(c, (others.get(c) ?? 0) + 1);
  const otherHtml = others.size
    ? `<p>Rows computed earlier (same settings fingerprint) by: ${[...others].map(([c, n]) => `<code>${esc(c)}</code> (${n})`).join(', ')}.</p>`
    : '';
  return `<p>Command: <code>${esc(p.command)}</code></p>${otherHtml}${runs.join('')}`;
}

/** Write results.csv, results.json, summary.csv and report.html into `dir`; returns their paths. */
export async function writeCompareReport(dir: string, cells: CellResult[], settings: ReportSettings, sizes: { name: string; target: number; percent: number }[], provenance?: ReportProvenance): Promise<Record<string, string>> {
  fs.mkdirSync(dir, { recursive: true });
  const seg = isSegmentationCells(cells);
  const rows = seg ? summarizeSegmentation(cells) : summarize(cells);
  const flat = cells.map(csvRow);
  const files = {
    results_csv: path.join(dir, 'results.csv'),
    results_json: path.join(dir, 'results.json'),
    summary_csv: path.join(dir, 'summary.csv'),
    report_html: path.join(dir, 'report.html'),
  };
  await writeFileAtomic(files.results_csv, Buffer.from(dfd.toCSV(new dfd.DataFrame(flat))));
  await writeFileAtomic(files.results_json, Buffer.from(JSON.stringify({
    command: provenance?.command ?? null, settings, runs: provenance?.runs ?? {},
    cells: cells.map((c, i) => ({ ...c, command: provenance?.cellCommands?.[i] ?? null })), summary: rows,
  }, null, 1)));
  // summary.csv: one row per (method, budget, arm, metric) with the paired difference to no TPP, its 95 % CI,
  // verdict and minimum detectable effect (columns in docs/study.md).
  const context = { backbone: String(settings.backbone ?? ''), target: String(settings.target ?? ''), task: String(settings.task ?? (seg ? 'segmentation' : 'classification')) };
  await writeFileAtomic(files.summary_csv, Buffer.from(dfd.toCSV(new dfd.DataFrame(summarizeLong(cells, context) as unknown as object[]))));
  const settingsHtml = `<table>${Object.entries(settings).map(([k, v]) => `<tr><th style="text-align:left">${esc(k)}</th><td style="text-align:left">${esc(String(v))}</td></tr>`).join('')}</table>`;
  const sizeHtml = `<table><tr><th>method</th><th>target parameters</th><th>% of backbone</th></tr>${sizes.map((s) => `<tr><td style="text-align:left">${esc(s.name)}</td><td>${s.target.toLocaleString('en-US')}</td><td>${s.percent.toFixed(2)}</td></tr>`).join('')}</table>`;
  const curves = [...new Set(cells.map((c) => `${c.method}|${c.budget}`))].map((k) => figureHtml(curvesFigure(cells, k.split('|')[0], k.split('|')[1])));
  const body = [
    '<p>Each cell fine-tunes a PEFT method with a few labels, starting either from the usual initialisation (<b>none</b>) or from target parameters pre-trained with TPP on unlabelled images (the other arms). For a given seed every arm uses the same labelled subset, head initialisation and data order, so differences per seed are paired.</p>',
    '<h2>Settings</h2>', settingsHtml,
    ...(provenance ? ['<h2>Command and settings of every row</h2>', '<p>The <code>settings</code> column of results.csv names one of these.</p>', provenanceHtml(provenance, cells)] : []),
    '<h2>Summary</h2>', seg ? segSummaryTableHtml(rows as SegSummaryRow[]) : summaryTableHtml(rows as SummaryRow[]),
    figureHtml(seg ? diceBarsFigure(rows as SegSummaryRow[]) : aucBarsFigure(rows as SummaryRow[])),
    figureHtml(pairedFigure(cells)),
    '<h2>Learning curves</h2>', ...curves,
    '<h2>Parameter counts</h2>', sizeHtml,
  ].join('\n');
  await writeFileAtomic(files.report_html, Buffer.from(pageHtml(String(settings.title ?? 'TPP comparison'), body, readPlotlyBundle)));
  return files;
}
