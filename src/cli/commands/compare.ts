/**
 * `tpp-lab compare`: the grid's flags, printing and process pool around the library's grid (src/grid). `study`
 * and `demo` run their grids through `runComparison` too.
 */
import * as os from 'os';
import * as path from 'path';
import { isSegmentationData } from '../../io/sources/seg-source';
import { SEG_HEAD_KINDS } from '../../model/seg-head';
import { parseImageBudget, segHeadFromFlags } from './finetune-segment';
import { PEFT_METHOD_NAMES } from '../../peft/index';
import { gridWriteFailure, runGrid, runGridTask, taskLabel } from '../../grid/comparison';
import { mergeShards, mergeWriteFailure } from '../../grid/grid-file';
import { gridMethods } from '../../grid/methods';
import { parseShard, type GridBudget } from '../../grid/plan';
import { GRID_BACKBONE, type GridSettings, otherArms } from '../../grid/settings';
import { checkGridSettings, GRID_LIMITS, type GridLimits } from '../../grid/size';
import { isSegmentationCells, summarize, summarizeSegmentation } from '../../grid/summary';
import type { CellResult, CompareProgress } from '../../grid/types';
import { nodeGridSources } from '../../io/grid-sources';
import { folderStore } from '../../io/folder-store';
import { acquireRunFolder } from '../../io/run-folder';
import { PRETEXT_NAMES, type PretextName } from '../../train/pretext';
import { writeCompareReport } from '../../report/compare-report';
import { type FlagSpec, FlagValues, maxWorkers, UsageError } from '../args';
import { Command } from '../command';
import { BACKBONE_FLAG, labelBudgetFromFlag, outDir, SPLIT_SEED_FLAG } from '../train-shared';
import { enterTaskChild, runTaskProcesses } from '../task-pool';

function list(text: unknown, what: string): string[] {
  const items = String(text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new UsageError(`--${what} needs at least one value.`);
  return items;
}

function ints(text: unknown, what: string): number[] {
  return list(text, what).map((s) => {
    if (!/^\d+$/.test(s)) throw new UsageError(`--${what} takes whole numbers separated by commas, got "${s}".`);
    return Number(s);
  });
}

/** A library error about the user's input as a usage error (exit code 2, with the command's usage). */
function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function settingsFromFlags(flags: FlagValues): GridSettings {
  if (!flags.data) throw new UsageError('--data is required (the target dataset, e.g. breastmnist).');
  const out = outDir(flags);
  const methods = list(flags.methods, 'methods');
  asUsage(() => gridMethods(methods));
  const segment = isSegmentationData(String(flags.data));
  if (!segment && flags.head !== undefined) throw new UsageError('--head applies to segmentation targets (a .npz with masks, or a folder with masks.csv).');
  if (segment && flags['head-lr'] !== undefined) throw new UsageError('--head-lr applies to classification; a segmentation grid trains its head at --lr.');
  const budgets: GridBudget[] = list(flags.labels, 'labels').map((t) => {
    if (segment) {
      const n = parseImageBudget(t);
      return { images: n ?? 'all' };
    }
    const b = labelBudgetFromFlag(t);
    if (!b) throw new UsageError('--labels in compare needs budgets (e.g. 5,10,25 or 0.1), not "all".');
    return b;
  });
  const other = flags.other ? list(flags.other, 'other') : [];
  const names = [...asUsage(() => otherArms(other)).keys()];
  const arms = flags.arms ? list(flags.arms, 'arms') : ['none', 'same', ...names];
  for (const a of arms) if (a !== 'none' && a !== 'same' && !names.includes(a)) throw new UsageError(`Arm "${a}" is not none, same, or one of --other (${names.join(', ') || 'none given'}).`);
  return {
    data: String(flags.data), other, methods, arms, budgets, seeds: ints(flags.seeds, 'seeds'), splitSeed: flags['split-seed'] as number,
    tppEpochs: flags['tpp-epochs'] as number, tppLr: flags['tpp-lr'] as number, tppImages: flags['tpp-images'] as number,
    pretext: flags.pretext as PretextName, epochs: flags.epochs as number, lr: flags.lr as number, batch: flags.batch as number,
    patience: flags.patience as number | undefined, limit: flags.limit as number | undefined, backbone: flags.backbone as string | undefined, out,
    ...(flags['tpp-seeds'] !== undefined ? { tppSeeds: flags['tpp-seeds'] as number } : {}),
    ...(flags['min-steps'] !== undefined ? { minSteps: flags['min-steps'] as number } : {}),
    ...(flags['head-lr'] !== undefined ? { headLr: flags['head-lr'] as number } : {}),
    ...(flags.convert ? { convert: true } : {}),
    ...(flags['val-images'] !== undefined ? { valImages: flags['val-images'] as number } : {}),
    ...(segment ? { task: 'segment' as const, head: segHeadFromFlags(flags) } : {}),
    title: `TPP on ${flags.data}`,
  };
}

function progressLine(quiet: boolean): (e: CompareProgress) => void {
  let last = '';
  return (e) => {
    if (quiet || e.train) return;
    const line = `[${e.done}/${e.total}] ${e.phase === 'skip' ? 'done earlier' : e.phase}: ${e.cell}`;
    if (line !== last) console.error(line);
    last = line;
  };
}

/** Options of a comparison run besides its settings. */
export interface ComparisonRunOptions {
  json?: boolean;
  quiet?: boolean;
  /** Child processes for the grid's tasks (1: run them in this process). */
  jobs?: number;
  /** Run only this share of the grid. */
  shard?: { index: number; count: number };
  /** Redo cells and TPP runs made with other settings instead of refusing. */
  recompute?: boolean;
  /** The most cells and estimated hours of compute (`--max-cells`, `--max-hours`; default GRID_LIMITS). */
  limits?: Partial<GridLimits>;
}

/** `--max-cells` and `--max-hours` as grid limits (absent flags: the defaults). */
export function limitsFromFlags(flags: FlagValues): Partial<GridLimits> {
  return {
    ...(flags['max-cells'] !== undefined ? { maxCells: flags['max-cells'] as number } : {}),
    ...(flags['max-hours'] !== undefined ? { maxHours: flags['max-hours'] as number } : {}),
  };
}

/** The command line as typed (for the records). */
function commandLine(): string {
  return ['tpp-lab', ...process.argv.slice(2)].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** `--task KEY`: run one task of the grid in `out` for the parent `compare --jobs` that holds the folder. */
async function runTaskChild(out: string, key: string): Promise<number> {
  enterTaskChild(out);
  await runGridTask(folderStore(out), key, { sources: nodeGridSources });
  return 0;
}

/** Run a comparison (or its shard) and write its files; returns the exit code. */
export async function runComparison(s: GridSettings, flags: ComparisonRunOptions): Promise<number> {
  const quiet = !!flags.quiet;
  const jobs = flags.jobs ?? 1;
  const t0 = Date.now();
  const command = commandLine();
  // Before the folder is made: an absurd grid leaves nothing behind.
  checkGridSettings(s, flags.limits);
  const folder = acquireRunFolder(s.out, command);
  try {
    for (const n of folder.notes) console.error(`note: ${n}`);
    const store = folderStore(s.out);
    let done = 0;
    let total = 0;
    const run = await runGrid(s, {
      store, sources: nodeGridSources, shard: flags.shard, recompute: !!flags.recompute, command, limits: flags.limits,
      describePath: (f) => path.relative(process.cwd(), f),
      onNote: quiet ? undefined : (n) => console.error(`note: ${n}`),
      onProgress: progressLine(quiet),
      runner: jobs > 1 ? async (todo, mine, onDone) => {
        total = mine.length;
        done = mine.length - todo.filter((t) => t.kind === 'cell').length;
        if (!quiet) console.error(`${mine.length} cells: ${done} done earlier, ${todo.length} tasks to run on ${jobs} processes`);
        await runTaskProcesses(s.out, todo, jobs, onDone);
      } : undefined,
      onTaskDone: (t, seconds, c) => {
        if (quiet) return;
        if (!c) console.error(`tpp done: ${taskLabel(t)} (${Math.round(seconds)} s)`);
        else {
          const score = c.task === 'segment' ? `test Dice ${(c.dice ?? NaN).toFixed(3)}` : `test AUC ${c.auc.toFixed(3)}`;
          console.error(`[${++done}/${total}] done: ${taskLabel(t)}: ${score} (${Math.round(seconds)} s)`);
        }
      },
    });
    const seconds = (Date.now() - t0) / 1000;
    const files = await writeCompareReport(s.out, run.cells, { ...run.gridFile.report, 'wall time of this run (s)': Math.round(seconds), finished: new Date().toISOString() }, run.gridFile.sizes, {
      command, runs: { [run.plan.runFingerprint]: run.plan.runSettings }, cellCommands: run.stored.map((c) => c.command),
    }).catch((e) => {
      throw gridWriteFailure(e, s.out);
    });
    printSummary(run.cells, files, seconds, run.backend, !!flags.json);
    return 0;
  } finally {
    folder.release();
  }
}

/** A column of the summary printed on stdout: its title, width and the text of a row. */
interface PrintColumn {
  title: string;
  width: number;
  text: (r: Record<string, string | number>) => string;
}

const num = (r: Record<string, string | number>, k: string) => r[k] as number;
const meanSd = (m: string) => (r: Record<string, string | number>) => `${num(r, `${m}_mean`).toFixed(3)} ± ${num(r, `${m}_std`).toFixed(3)}`;

/**
 * The grid's summary on stdout (or one JSON line): per (method, budget, arm) the test metrics and the paired
 * difference of the primary metric (AUC; Dice for segmentation) against no TPP.
 */
function printSummary(cells: CellResult[], files: Record<string, string>, seconds: number, backend: string, json: boolean): void {
  const seg = isSegmentationCells(cells);
  const rows = (seg ? summarizeSegmentation(cells) : summarize(cells)) as unknown as Record<string, string | number>[];
  if (json) {
    console.log(JSON.stringify({ ...files, seconds, backend, summary: rows }));
    return;
  }
  const primary = seg ? 'dice' : 'auc';
  const hc = seg && rows.some((r) => Number.isFinite(num(r, 'hc_error_mm_mean')));
  const columns: PrintColumn[] = [
    { title: 'method', width: 9, text: (r) => String(r.method) },
    { title: 'labels', width: seg ? 12 : 10, text: (r) => String(r.budget) },
    { title: 'TPP arm', width: 16, text: (r) => String(r.arm) },
    ...(seg
      ? [
        { title: 'test Dice', width: 17, text: meanSd('dice') },
        { title: 'IoU', width: 7, text: (r: Record<string, string | number>) => num(r, 'iou_mean').toFixed(3) },
        { title: 'HD95', width: 8, text: (r: Record<string, string | number>) => num(r, 'hd95_mean').toFixed(2) },
        ...(hc ? [{ title: 'HC err mm', width: 10, text: (r: Record<string, string | number>) => num(r, 'hc_error_mm_mean').toFixed(1) }] : []),
      ]
      : [{ title: 'test AUC', width: 17, text: meanSd('auc') }, { title: 'accuracy', width: 17, text: meanSd('accuracy') }]),
  ];
  const delta = (r: Record<string, string | number>) => {
    if (r.arm === 'none') return '';
    const m = num(r, `delta_${primary}_mean`);
    const lo = num(r, `delta_${primary}_ci_low`);
    const ci = Number.isFinite(lo) ? ` [${lo.toFixed(3)}, ${num(r, `delta_${primary}_ci_high`).toFixed(3)}]` : '';
    return `${m >= 0 ? '+' : ''}${m.toFixed(3)}${ci} (${r.wins}): ${r.verdict}`;
  };
  console.log(`\n${columns.map((c) => c.title.padEnd(c.width)).join('')}Δ ${seg ? 'Dice' : 'AUC'} vs none [95 % CI] (wins): verdict`);
  for (const r of rows) console.log(`${columns.map((c) => c.text(r).padEnd(c.width)).join('')}${delta(r)}`);
  console.log(`\nReport: ${files.report_html}\nTables: ${files.results_csv}, ${files.summary_csv}\n${cells.length} cells in ${Math.round(seconds)} s on ${backend}.`);
}

/** `--jobs`: at least 1 (more than the cores only slows each task down). */
export function jobsFrom(flags: FlagValues): number {
  const jobs = flags.jobs as number;
  if (!(jobs >= 1)) throw new UsageError(`--jobs must be at least 1, got ${jobs}.`);
  return jobs;
}

/** Flags of the grid's execution, shared by compare and demo. */
/** How a grid runs: processes, recomputing changed results, output. Shared with `study`. */
export const RUN_FLAGS: readonly FlagSpec[] = [
  {
    name: 'jobs', type: 'int', value: 'N', help: 'run the grid\'s tasks as N child processes (1: in this process)', default: os.availableParallelism(),
    min: 1, max: maxWorkers().max, maxReason: maxWorkers().reason.replace('worker', 'process'),
  },
  { name: 'recompute', type: 'boolean', help: 'redo cells and TPP runs in --out that were made with other settings or cannot be read (default: refuse and name what changed or which file)' },
  { name: 'max-cells', type: 'int', value: 'N', help: `refuse a grid of more than N cells before any work (default ${GRID_LIMITS.maxCells})`, min: 1 },
  { name: 'max-hours', type: 'number', value: 'H', help: `refuse a grid estimated to take more than H hours of compute (default ${GRID_LIMITS.maxHours}; docs/grids.md)`, exclusiveMin: 0 },
  { name: 'json', type: 'boolean', help: 'print one JSON object (files and summary) as the last line' },
  { name: 'quiet', type: 'boolean', help: 'no progress lines' },
];

export const command: Command = {
  name: 'compare',
  summary: 'Grid of PEFT methods x TPP arms x label budgets x seeds, with an HTML report',
  usage: 'compare --data <target> --out <dir> [--other pneumoniamnist] [--methods lora,adapter] [--labels 5,10] [--seeds 0,1,2] [options]\n' +
    '       compare ... --shard I/N --out <dir-I>          (one share of the grid)\n' +
    '       compare --merge <dir-1> <dir-2> ... --out <dir>  (join the shards)',
  description: 'Arms: none (no TPP), same (TPP on the target\'s own unlabelled training images), and each --other dataset.\n' +
    'Resumable: re-running with the same --out reuses finished cells and TPP adapters whose recorded settings match\n' +
    '(data contents, backbone, method, stage settings, seed, budget); other settings are refused unless --recompute.\n' +
    'Clusters: run one --shard per SLURM array task or Kubernetes index, then --merge (see docs/grids.md).',
  maxPositionals: Infinity,
  flags: [
    { name: 'data', type: 'string', value: 'FLAG|FILE|DIR', help: 'target dataset (labels are used for fine-tuning only)' },
    { name: 'out', type: 'string', value: 'DIR', help: 'output folder (cells, TPP adapters, report)' },
    { name: 'other', type: 'string', value: 'LIST', help: 'other datasets to pre-train the target parameters on, comma-separated; NAME=DATA names the arm (e.g. same-modality=kermany)' },
    { name: 'arms', type: 'string', value: 'LIST', help: 'which arms to run (default: none, same and every --other)' },
    { name: 'methods', type: 'string', value: 'LIST', help: `PEFT methods: ${PEFT_METHOD_NAMES.join(', ')}; options as NAME:OPTION=VALUE (e.g. lora:rank=8:alpha=16; a list option joins names with +)`, default: 'lora,adapter' },
    { name: 'labels', type: 'string', value: 'LIST', help: 'label budgets: K per class or fractions (segmentation data: labelled images, e.g. 10,50,all)', default: '10' },
    { name: 'head', type: 'string', choices: [...SEG_HEAD_KINDS], value: 'KIND', help: 'segmentation targets: the head on the patch tokens (default: the library default)' },
    { name: 'seeds', type: 'string', value: 'LIST', help: 'seeds (label subset, init, data order)', default: '0,1,2' },
    SPLIT_SEED_FLAG,
    { name: 'limit', type: 'int', value: 'N', help: 'use at most the first N target training images (quick runs)' },
    { name: 'pretext', type: 'string', choices: PRETEXT_NAMES, help: 'TPP pretext', default: 'mae' },
    { name: 'tpp-epochs', type: 'int', value: 'N', help: 'TPP epochs', default: 20, min: 1 },
    { name: 'tpp-lr', type: 'number', value: 'X', help: 'TPP learning rate', default: 3e-3, exclusiveMin: 0 },
    { name: 'val-images', type: 'int', value: 'N', help: 'choose the best epoch on a seeded random sample of at most N validation images (large validation sets)', min: 1 },
    { name: 'tpp-images', type: 'int', value: 'N', help: 'at most N unlabelled images per TPP arm', default: 546, min: 1 },
    { name: 'epochs', type: 'int', value: 'N', help: 'fine-tuning epochs', default: 40, min: 1 },
    { name: 'lr', type: 'number', value: 'X', help: 'fine-tuning learning rate', default: 3e-3, exclusiveMin: 0 },
    { name: 'batch', type: 'int', value: 'N', help: 'fine-tuning batch size', default: 10, min: 1 },
    { name: 'patience', type: 'int', value: 'N', help: 'early stopping patience (epochs)', min: 1 },
    { name: 'min-steps', type: 'int', value: 'N', help: 'at least N optimiser steps per fine-tuning epoch (a small labelled set is repeated)', min: 1 },
    { name: 'head-lr', type: 'number', value: 'X', help: 'learning rate of the new head (default: --lr)', exclusiveMin: 0 },
    { name: 'tpp-seeds', type: 'int', value: 'K', help: 'TPP runs per method and arm; fine-tuning seed s starts from TPP seed s mod K (default: one per seed)', min: 1 },
    { name: 'convert', type: 'boolean', help: 'resize and convert channels of the target and the TPP data to fit the backbone' },
    { ...BACKBONE_FLAG, help: `backbone folder, .safetensors file, or a bundled name: ${GRID_BACKBONE} (default), fashion28, imagenet28-small7, imagenet64 (default for segmentation data)` },
    ...RUN_FLAGS,
    { name: 'shard', type: 'string', value: 'I/N', help: 'run only share I of N of the grid (each TPP run with the cells that start from it)' },
    { name: 'merge', type: 'string', value: 'DIR...', help: 'join the --out folders of shards 1..N (given as arguments) into --out' },
    { name: 'task', type: 'string', value: 'KEY', help: 'internal: run one task for a parent compare --jobs' },
  ],
  async run({ flags, positionals }) {
    if (flags.task) return runTaskChild(outDir(flags), String(flags.task));
    if (flags.merge !== undefined) {
      const { files, cells } = await mergeFolders([String(flags.merge), ...positionals], outDir(flags), commandLine());
      printSummary(cells, files, 0, 'merged shards', !!flags.json);
      return 0;
    }
    if (positionals.length) throw new UsageError(`Unexpected argument "${positionals[0]}" (only --merge takes folders).`);
    let shard: { index: number; count: number } | undefined;
    if (flags.shard !== undefined) {
      const parsed = parseShard(String(flags.shard));
      if (!parsed) throw new UsageError(`--shard takes I/N with 1 <= I <= N (e.g. 2/8), got "${flags.shard}".`);
      shard = parsed;
    }
    return runComparison(settingsFromFlags(flags), { json: !!flags.json, quiet: !!flags.quiet, jobs: jobsFrom(flags), shard, recompute: !!flags.recompute, limits: limitsFromFlags(flags) });
  },
};

/**
 * Join shard folders into `out` (holding its lock) and write the merged report; returns the report's files and
 * the cells. Shared by `compare --merge` and `study --merge`.
 */
export async function mergeFolders(dirs: string[], out: string, command: string): Promise<{ files: Record<string, string>; cells: CellResult[] }> {
  if (!dirs.length) throw new UsageError('--merge needs the shard folders, e.g. --merge runs/grid/shard-* --out runs/grid/all.');
  const folder = acquireRunFolder(out, command);
  try {
    for (const n of folder.notes) console.error(`note: ${n}`);
    const m = await mergeShards(dirs.map((d) => folderStore(d)), folderStore(out), command);
    const files = await writeCompareReport(out, m.cells, { ...m.grid.report, merged: m.shards.join(', ') }, m.grid.sizes, {
      command, runs: { [m.grid.runFingerprint]: m.grid.runSettings }, cellCommands: m.stored.map((c) => c.command),
    }).catch((e) => {
      throw mergeWriteFailure(e);
    });
    return { files, cells: m.cells };
  } finally {
    folder.release();
  }
}
