/**
 * `tpp-lab diagnose`: why TPP helps or not. For a finished study, per target, method, TPP arm and TPP seed against
 * the backbone without an adapter: linear probe and kNN on frozen features, CKA of the features without vs with
 * the adapter, the MAE loss on the test images, and the sizes of the TPP update and of fine-tuning's (see
 * grid/diagnose.ts). Writes `<study>/diagnostics.csv` (or into `--out`) and prints a table.
 */
import * as fs from 'fs';
import * as path from 'path';
import { type DiagnosticRow, diagnoseTarget, type TppAdapterFile } from '../../grid/diagnose';
import { limit } from '../../data/sets/dataset';
import { openBackbone } from '../../io/backbone';
import { writeDiagnosticsCsv } from '../../report/diagnostics';
import { normalizationFrom } from '../../train/common';
import { gridBackbone, loadTarget } from '../../grid/build';
import { readCell } from '../../grid/run';
import { tppSeedOf, tppTaskKey } from '../../grid/plan';
import { targetCells, targetSettings } from '../../grid/study';
import type { StudyPlan } from '../../grid/study-plan';
import { readStudyPlan } from '../../grid/study-plan-file';
import { nodeGridSources } from '../../io/grid-sources';
import { type CellResult, cellResult } from '../../grid/types';
import { folderStore } from '../../io/folder-store';
import { UsageError } from '../args';
import { Command } from '../command';
import { startBackend } from '../train-shared';

/** The command that makes a study's folder (or one target's part of it), for error messages. */
function studyCommand(planFile: string, study: string, target?: string): string {
  return `tpp-lab study --plan ${planFile} --out ${study}${target ? ` --targets ${target}` : ''}`;
}

/** The fine-tuning cells of a target folder: results.json when the grid finished, else the cells written so far. */
function cellsOf(dir: string): { cells: CellResult[]; from: string } {
  const store = folderStore(dir);
  if (store.exists('results.json')) return { cells: targetCells(store), from: 'results.json' };
  if (!store.exists('cells')) return { cells: [], from: 'no cells' };
  const files = store.list('cells').filter((f) => f.endsWith('.json'));
  return { cells: files.map((f) => cellResult(readCell(store, `cells/${f}`))), from: `${files.length} files in cells/` };
}

/** The TPP adapters the plan's grid of one target makes (method x arm x TPP seed), in grid order. */
function expectedAdapters(plan: StudyPlan, dir: string, arms: readonly string[]): TppAdapterFile[] {
  const tppSeeds = [...new Set(plan.seeds.map((s) => tppSeedOf(s, plan.tppSeeds)))];
  return plan.methods.flatMap((method) => arms.filter((a) => a !== 'none').flatMap((arm) => tppSeeds.map((tppSeed) => ({
    method, arm, tppSeed, path: path.join(dir, 'tpp', tppTaskKey(method, arm, tppSeed), 'adapter.safetensors'),
  }))));
}

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(3)}` : '');

/** The table on stdout: one line per row. */
function printTable(rows: readonly DiagnosticRow[]): void {
  const pad = (x: string, n: number) => x.padEnd(n);
  console.log(`\n${pad('target', 16)}${pad('method', 9)}${pad('TPP arm', 16)}${pad('seed', 6)}${pad('linear (Δ)', 17)}${pad('kNN (Δ)', 17)}${pad('CKA', 7)}${pad('MAE loss (Δ)', 18)}${pad('TPP |θ| / update', 18)}fine-tuning shift (cells)`);
  for (const r of rows) {
    const none = r.arm === 'none';
    console.log(
      pad(r.target, 16) + pad(r.method, 9) + pad(r.arm, 16) + pad(r.tpp_seed === null ? '-' : String(r.tpp_seed), 6) +
      pad(`${fmt(r.linear)} ${none ? '' : `(${signed(r.linear_delta)})`}`, 17) + pad(`${fmt(r.knn)} ${none ? '' : `(${signed(r.knn_delta)})`}`, 17) +
      pad(fmt(r.cka), 7) + pad(`${fmt(r.mae_loss, 4)} ${none ? '' : `(${signed(r.mae_loss_delta)})`}`, 18) +
      pad(none ? '-' : `${fmt(r.tpp_norm, 2)} / ${fmt(r.tpp_update, 2)}`, 18) + `${fmt(r.ft_shift_mean, 2)} (${r.ft_shift_n})`,
    );
  }
}

export const command: Command = {
  name: 'diagnose',
  summary: 'Why TPP helps or not: probes, CKA, MAE loss and update sizes of a study\'s TPP adapters against no adapter',
  usage: 'diagnose --study DIR --plan plan.json [--targets a,b] [--limit-train N] [--out DIR] [--json]',
  description:
    'For each target, method, TPP arm and TPP seed of a finished study (`tpp-lab study`), and for the backbone without any\n' +
    'adapter (arm none): the linear probe and kNN of `tpp-lab probe` (trained on the training split with all labels, scored on\n' +
    'the test split; AUC for two classes, accuracy for more), linear CKA between the pooled test features without and with\n' +
    'the adapter, the MAE masked-patch loss on the test images (same masks), the L2 norm of the adapter\'s target parameters\n' +
    'and of its TPP update (adapter minus the seeded init), and the mean fine-tuning movement (targetShift) of the cells that\n' +
    'start from it. Writes diagnostics.csv into the study folder (or --out). See docs/study.md, "Why: diagnostics".',
  flags: [
    { name: 'study', type: 'string', value: 'DIR', help: 'the study folder (the --out of `tpp-lab study`)' },
    { name: 'plan', type: 'string', value: 'FILE', help: 'the study plan it was made with (JSON)' },
    { name: 'targets', type: 'string', value: 'LIST', help: 'only these targets (by name)' },
    { name: 'limit-train', type: 'int', value: 'N', help: 'train the probes on at most the first N training images (quick runs)', min: 1 },
    { name: 'out', type: 'string', value: 'DIR', help: 'write diagnostics.csv here instead of into the study folder' },
    { name: 'mask-seed', type: 'int', value: 'N', help: 'seed of the MAE masks (the same for every model)', default: 0 },
    { name: 'k', type: 'int', value: 'K', help: 'neighbours of the kNN probe', default: 20, min: 1 },
    { name: 'json', type: 'boolean', help: 'print one JSON object (file and rows) as the last line' },
    { name: 'quiet', type: 'boolean', help: 'no progress lines' },
  ],
  async run({ flags }) {
    if (!flags.study) throw new UsageError('--study DIR is required: the folder `tpp-lab study --out DIR` wrote.');
    if (!flags.plan) throw new UsageError('--plan FILE is required: the JSON plan the study was made with (see docs/study.md).');
    const planFile = String(flags.plan);
    let plan: StudyPlan;
    try {
      plan = readStudyPlan(planFile);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const study = path.resolve(String(flags.study));
    if (!fs.existsSync(study) || !fs.statSync(study).isDirectory()) {
      throw new UsageError(`--study ${flags.study}: no such folder. Make the study first: ${studyCommand(planFile, String(flags.study))}`);
    }
    const only = flags.targets ? String(flags.targets).split(',').map((s) => s.trim()).filter(Boolean) : null;
    for (const n of only ?? []) if (!plan.targets.some((t) => t.name === n)) throw new UsageError(`--targets: "${n}" is not a target of the plan (${plan.targets.map((t) => t.name).join(', ')}).`);
    const targets = plan.targets.filter((t) => !only || only.includes(t.name));
    // Every folder and adapter is checked before any slow work.
    const jobs = targets.map((t) => {
      const s = targetSettings(plan, t, study);
      if (!fs.existsSync(s.out)) throw new Error(`${s.out} is missing: the study has no results for target ${t.name}. Make them with: ${studyCommand(planFile, study, t.name)}`);
      const adapters = expectedAdapters(plan, s.out, s.arms);
      const missing = adapters.filter((a) => !fs.existsSync(a.path));
      if (missing.length) {
        throw new Error(`${missing[0].path} is missing${missing.length > 1 ? ` (and ${missing.length - 1} more of the ${adapters.length} TPP adapters of ${t.name})` : ''}: ` +
          `its TPP run has not finished. Make it with: ${studyCommand(planFile, study, t.name)}`);
      }
      return { t, s, adapters };
    });
    const quiet = !!flags.quiet;
    const backend = await startBackend(quiet);
    const { vit, metadata, paths } = await openBackbone(gridBackbone({ backbone: plan.backbone }));
    const t0 = Date.now();
    try {
      if (!paths.decoder) throw new Error(`The MAE loss needs decoder.safetensors beside ${paths.backbone} (written by \`tpp-lab pretrain\`).`);
      const rows: DiagnosticRow[] = [];
      for (const { t, s, adapters } of jobs) {
        const target = await loadTarget(s, nodeGridSources, vit, quiet ? undefined : (n) => console.error(`note: ${n}`));
        // The study's normalisation: from the backbone's metadata, or the whole training split (as buildGrid does).
        const normalization = normalizationFrom(metadata, target.train);
        const { cells, from } = cellsOf(s.out);
        if (!quiet && from !== 'results.json') console.error(`note: ${t.name}: no results.json (${from}); the fine-tuning shift uses the cells present.`);
        rows.push(...(await diagnoseTarget({
          backbone: vit, decoderPath: paths.decoder, normalization, methods: s.methods, adapters, cells,
          target: { name: t.name, train: limit(target.train, flags['limit-train'] as number | undefined), test: target.test },
          maskSeed: flags['mask-seed'] as number, k: flags.k as number,
          onProgress: (e) => {
            if (!quiet) console.error(`[${e.done + 1}/${e.total}] ${e.target}: ${e.method ? `${e.method} / ${e.arm} / TPP seed ${e.tppSeed}` : 'backbone without adapter'}`);
          },
        })));
      }
      const dir = flags.out ? path.resolve(String(flags.out)) : study;
      fs.mkdirSync(dir, { recursive: true });
      const file = await writeDiagnosticsCsv(path.join(dir, 'diagnostics.csv'), rows);
      const seconds = (Date.now() - t0) / 1000;
      if (flags.json) console.log(JSON.stringify({ diagnostics_csv: file, seconds, backend, rows }));
      else {
        printTable(rows);
        console.log(`\nTable: ${file}\n${rows.length} rows in ${Math.round(seconds)} s on ${backend}.`);
      }
      return 0;
    } finally {
      vit.dispose();
    }
  },
};
