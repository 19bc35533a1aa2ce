/**
 * The demo beside the study it is a slice of (grid/demo.ts): whether the demo's cells reproduced the study's, and
 * the study's verdicts (10 seeds) beside the demo's own (3 seeds), so a reader sees how far 3 seeds are from an answer.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pairedSummary } from '../analysis/paired';
import { DEMO_TARGET, OFFLINE_ARMS } from '../grid/demo';
import type { CellResult } from '../grid/types';
import { longerDose, readCsvRows } from './study-tables';

/**
 * Lines that set the demo beside the study: how many demo cells reproduced the study's test AUC (same settings
 * fingerprint, same seed), and the study's verdicts for the same comparisons with all its seeds.
 */
export function studyComparison(cells: CellResult[], studyDir: string, doseDir?: string): string[] {
  const rows = readCsvRows(path.join(studyDir, DEMO_TARGET, 'results.csv'));
  const key = (c: { method: string; arm: string; budget: string; seed: string | number }) => `${c.method}|${c.arm}|${c.budget}|${c.seed}`;
  const study = new Map(rows.map((r) => [key({ method: r.method, arm: r.arm, budget: r.budget, seed: r.seed }), r]));
  let same = 0;
  const differ: string[] = [];
  for (const c of cells) {
    const r = study.get(key(c));
    if (!r) continue;
    if (r.settings === c.settings && Math.abs(Number(r.auc) - c.auc) < 1e-9) same++;
    else differ.push(`${c.method}/${c.arm}/${c.budget}/seed ${c.seed}: demo ${c.auc.toFixed(4)}, study ${Number(r.auc).toFixed(4)}${r.settings === c.settings ? '' : ' (other settings)'}`);
  }
  const out = [`${same} of ${cells.length} demo cells reproduced the study's test AUC exactly (same settings, same seed).`];
  if (differ.length) out.push(`Differ: ${differ.slice(0, 5).join('; ')}${differ.length > 5 ? ` and ${differ.length - 5} more` : ''}.`);
  const groups = new Set(cells.map((c) => `${c.method}|${c.budget}`));
  const contrasts = readCsvRows(path.join(studyDir, 'contrasts.csv')).filter((r) => r.target === DEMO_TARGET && r.metric === 'auc' && groups.has(`${r.method}|${r.budget}`) &&
    OFFLINE_ARMS.includes(r.arm) && OFFLINE_ARMS.includes(r.versus));
  if (contrasts.length) {
    const f = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
    const text = (mean: number, low: number, high: number, verdict: string) => `${f(mean)} [${f(low)}, ${f(high)}] ${verdict}`;
    out.push(`The same comparisons, this demo (${new Set(cells.map((c) => c.seed)).size} seeds) beside the full study (${contrasts[0].n_seeds} seeds; ${path.relative(process.cwd(), studyDir)}):`);
    let disagree = 0;
    for (const r of contrasts) {
      const pick = (arm: string) => new Map(cells.filter((c) => c.method === r.method && c.budget === r.budget && c.arm === arm).map((c) => [c.seed, c.auc]));
      const [a, b] = [pick(r.arm), pick(r.versus)];
      const d = pairedSummary([...a].filter(([seed]) => b.has(seed)).map(([seed, auc]) => auc - b.get(seed)!));
      if (d.verdict !== r.verdict) disagree++;
      out.push(`  ${r.method} ${r.budget} ${r.arm} − ${r.versus}: demo ${text(d.mean, d.low, d.high, d.verdict)}; study ${text(Number(r.delta_mean), Number(r.delta_ci_low), Number(r.delta_ci_high), r.verdict)}`);
    }
    if (disagree) {
      out.push(`In ${disagree} of ${contrasts.length} comparisons the demo's few seeds reach another verdict than the study's: with 3 seeds the spread is itself a guess, so an interval ` +
        'can come out narrow by chance. Trust the study\'s verdict; the demo shows how the numbers are made.');
    }
  }
  // One setting is the least informative answer: point to the whole map, counted from the study's own contrasts.
  const all = readCsvRows(path.join(studyDir, 'contrasts.csv')).filter((r) => r.question === 'tpp-helps' && r.versus === 'none');
  const n = (v: string) => all.filter((r) => r.verdict === v).length;
  // The study's TPP dose was one choice: what the regime map's dose axis found with longer TPP on a target's own images.
  const dose = doseDir ? path.join(doseDir, 'contrasts.csv') : '';
  if (dose && fs.existsSync(dose)) {
    const longer = longerDose(readCsvRows(dose));
    out.push(`The study trained TPP briefly (546 images, 40 epochs). Trained longer on the target's own images (more images or more epochs), ` +
      `TPP helped in ${longer.helps} of ${longer.rows.length} settings and hurt in ${longer.hurts} ` +
      `(${longer.targets.join(', ')}; ${path.relative(process.cwd(), doseDir!) || '.'}).`);
  }
  out.push(`One setting says little: over the study's ${all.length} settings (targets x TPP images x methods x budgets), TPP helped in ${n('helps')}, ` +
    `hurt in ${n('hurts')} and showed no detectable effect in ${n('no detectable effect')}. For your own data, \`tpp-lab predict --data YOURS\` ` +
    'computes where it sits on that map in seconds and says what the map can and cannot tell (docs/results/regime-2026-12-06, notebook 11).');
  return out;
}

