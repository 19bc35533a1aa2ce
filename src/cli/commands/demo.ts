/**
 * `tpp-lab demo`: a slice of the committed TPP study that runs offline on the bundled data in a few minutes.
 *
 * The demo's settings are read from the study's own plan (STUDY_PLAN), restricted to what ships with the
 * repository: BreastMNIST with the arms none, same (its own images) and same-modality (HC18 fetal-head
 * ultrasound), LoRA, 10 labels per class, fine-tuning seeds 0-2 (one TPP run each). Every demo cell is therefore
 * a cell of the study: the demo checks that it got the study's numbers, and prints the study's verdicts (10 seeds)
 * beside its own (3 seeds), so a reader sees how far 3 seeds are from an answer.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pairedSummary } from '../../analysis/paired';
import type { CellResult } from '../../train/compare';
import { readCsvRows } from '../../report/study-tables';
import { readStudyPlan } from '../../train/study-plan';
import { Command } from '../command';
import { type CompareSettings, jobsFrom, RUN_FLAGS, runComparison } from './compare';
import { targetSettings } from './study';

/** The committed study the demo is a slice of (plan.json, results and contrasts). */
export const STUDY_DIR = path.resolve(__dirname, '..', '..', '..', 'docs', 'results', 'study-2026-11-28');
const TARGET = 'breastmnist';
/** Arms whose images ship with the repository (Kermany and Tiny-ImageNet are pools in ../shared). */
const OFFLINE_ARMS = ['none', 'same', 'same-modality'];

/** The demo's compare settings: the study's BreastMNIST grid, restricted to the bundled arms (quick or --full). */
export function demoSettings(full: boolean, out: string): CompareSettings {
  const plan = readStudyPlan(path.join(STUDY_DIR, 'plan.json'));
  const target = plan.targets.find((t) => t.name === TARGET);
  if (!target) throw new Error(`${STUDY_DIR}/plan.json has no ${TARGET} target; the demo is a slice of it.`);
  // Data paths in the plan are relative to the repository root.
  const root = path.resolve(STUDY_DIR, '..', '..', '..');
  const arms = Object.fromEntries(Object.entries(target.arms).map(([n, d]) => [n, d.startsWith('data/') ? path.join(root, d) : d]));
  const s = targetSettings(plan, { ...target, arms }, out);
  return {
    ...s, out, arms: s.arms.filter((a) => OFFLINE_ARMS.includes(a)), other: s.other.filter((o) => OFFLINE_ARMS.includes(o.split('=')[0])),
    ...(full ? {} : { methods: ['lora'], budgets: [{ perClass: 10 }], seeds: [0, 1, 2] }),
    title: full ? 'TPP on BreastMNIST: the study\'s offline slice (demo --full)' : 'TPP on BreastMNIST: a 3-seed slice of the study (demo)',
  };
}

/**
 * Lines that set the demo beside the study: how many demo cells reproduced the study's test AUC (same settings
 * fingerprint, same seed), and the study's verdicts for the same comparisons with all its seeds.
 */
export function studyComparison(cells: CellResult[], studyDir = STUDY_DIR): string[] {
  const rows = readCsvRows(path.join(studyDir, TARGET, 'results.csv'));
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
  const contrasts = readCsvRows(path.join(studyDir, 'contrasts.csv')).filter((r) => r.target === TARGET && r.metric === 'auc' && groups.has(`${r.method}|${r.budget}`) &&
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
  return out;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'A 3-seed slice of the TPP study (BreastMNIST, LoRA, TPP on its own images and on HC18), offline, with a report',
  usage: 'demo [--full] [--out out/demo]',
  description: 'The settings are the committed study\'s (docs/results/study-2026-11-28/plan.json), restricted to the bundled data:\n' +
    'arms none / same (BreastMNIST) / same-modality (HC18), LoRA, 10 labels per class, seeds 0-2; each cell is a cell of the study, and\n' +
    'the demo prints the study\'s 10-seed verdicts beside its own. --full: both methods, 1/5/10 labels per class, 10 seeds (about an hour).',
  flags: [
    { name: 'full', type: 'boolean', help: 'the study\'s whole offline BreastMNIST slice (takes much longer)' },
    { name: 'out', type: 'string', value: 'DIR', help: 'output folder', default: 'out/demo' },
    ...RUN_FLAGS,
  ],
  async run({ flags }) {
    const full = !!flags.full;
    const out = path.resolve(String(flags.out) + (full && flags.out === 'out/demo' ? '-full' : ''));
    const code = await runComparison(demoSettings(full, out), { json: !!flags.json, quiet: !!flags.quiet, jobs: jobsFrom(flags), recompute: !!flags.recompute });
    if (code !== 0) return code;
    const cells = (JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as { cells: CellResult[] }).cells;
    const lines = studyComparison(cells);
    // --json keeps stdout to one JSON line; the comparison goes to stderr then.
    for (const l of lines) (flags.json ? console.error : console.log)(l);
    return 0;
  },
};
