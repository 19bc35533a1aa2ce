/**
 * `tpp-lab compare` (the grid) and `tpp-lab demo` (the grid with the tutorial's settings on the bundled data).
 */
import * as os from 'os';
import * as path from 'path';
import { limit, loadData } from '../../data/sources/load';
import { isSegmentationData, loadSegData } from '../../data/sources/seg-source';
import { numSegExamples, segImages, segSubset, type SegDataset } from '../../data/sets/segmentation';
import { fitSegToBackbone } from '../../train/seg-data';
import { DEFAULT_SEG_HEAD, SEG_HEAD_KINDS, type SegHeadKind } from '../../model/seg-head';
import { parseImageBudget, segHeadFromFlags } from './finetune-segment';
import type { GridBudget } from '../../train/compare-plan';
import type { ViT } from '../../model/vit';
import { peftConfig, PEFT_METHOD_NAMES, type PeftMethodName } from '../../peft/index';
import { normalizationFrom } from '../../train/common';
import { type Arm, type CellResult, cellResult, type CompareGrid, type CompareProgress, isSegmentationCells, methodSizes, readCell, runCellTask, runCompare, runTppTask, summarize, summarizeSegmentation } from '../../train/compare';
import { capImages, checkReuse, parseShard, pendingTasks, planCompare, shardUnits } from '../../train/compare-plan';
import { describeDiff, settingsDiff } from '../../train/settings-fingerprint';
import { acquireRunFolder } from '../../io/run-folder';
import { openBackbone, SEGMENTATION_BACKBONE } from '../../io/backbone';
import { PRETEXT_NAMES, type PretextName } from '../../train/pretext';
import { writeCompareReport } from '../../report/compare-report';
import { type FlagSpec, FlagValues, UsageError } from '../args';
import { Command } from '../command';
import { BACKBONE_FLAG, fitWithNote, labelBudgetFromFlag, outDir, reportDicomLoad, SPLIT_SEED_FLAG, startBackend } from '../train-shared';
import type { Dataset } from '../../data/sets/dataset';
import { fitToBackbone } from '../../data/sets/fit';
import { enterTaskChild, GRID_FORMAT, mergeShards, readGridFile, runTaskProcesses, taskLabel, writeGridFile } from '../compare-grid';

/** Everything a comparison needs, from flags or from the demo's presets. */
export interface CompareSettings {
  data: string;
  other: string[];
  methods: PeftMethodName[];
  arms: string[];
  /** Per class or fractions for classification; `{ images }` for segmentation data. */
  budgets: GridBudget[];
  /** `segment` when the target is segmentation data (masks); absent for classification. */
  task?: 'segment';
  /** Segmentation head on the patch tokens (segmentation targets only). */
  head?: SegHeadKind;
  seeds: number[];
  /** Seed of the split of data without official splits (DICOM folders, fashion-mnist). */
  splitSeed: number;
  tppEpochs: number;
  tppLr: number;
  tppImages: number;
  pretext: PretextName;
  epochs: number;
  lr: number;
  batch: number;
  patience?: number;
  /** Use at most the first N target training images. */
  limit?: number;
  /** Score validation (best-epoch choice) on a seeded random sample of at most N validation images. */
  valImages?: number;
  /** TPP runs per (method, arm): fine-tuning seed s starts from TPP seed s mod tppSeeds (default: one per seed). */
  tppSeeds?: number;
  /** Fine-tuning recipe: at least this many optimiser steps per epoch, and the head's own learning rate. */
  minSteps?: number;
  headLr?: number;
  /** Resize images and convert channels of the target and every TPP pool to fit the backbone. */
  convert?: boolean;
  backbone?: string;
  out: string;
  title: string;
}

/**
 * The TPP arms of `--other`: `NAME=DATA` names an arm (e.g. `same-modality=kermany`); a bare `DATA` is its own
 * name. Returns arm name → data spec, in order.
 */
export function otherArms(other: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of other) {
    const eq = o.indexOf('=');
    const [name, spec] = eq > 0 ? [o.slice(0, eq).trim(), o.slice(eq + 1).trim()] : [o, o];
    if (!spec) throw new UsageError(`--other "${o}": give NAME=DATA (e.g. same-modality=kermany) or a dataset.`);
    if (name === 'none' || name === 'same') throw new UsageError(`--other "${o}": the arm names none and same are taken; pick another name.`);
    if (out.has(name)) throw new UsageError(`--other names the arm "${name}" twice.`);
    out.set(name, spec);
  }
  return out;
}

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

function settingsFromFlags(flags: FlagValues): CompareSettings {
  if (!flags.data) throw new UsageError('--data is required (the target dataset, e.g. breastmnist).');
  if (!flags.out) throw new UsageError('--out DIR is required.');
  const methods = list(flags.methods, 'methods') as PeftMethodName[];
  for (const m of methods) if (!PEFT_METHOD_NAMES.includes(m)) throw new UsageError(`Unknown method "${m}" in --methods; use ${PEFT_METHOD_NAMES.join(', ')}.`);
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
  const names = [...otherArms(other).keys()];
  const arms = flags.arms ? list(flags.arms, 'arms') : ['none', 'same', ...names];
  for (const a of arms) if (a !== 'none' && a !== 'same' && !names.includes(a)) throw new UsageError(`Arm "${a}" is not none, same, or one of --other (${names.join(', ') || 'none given'}).`);
  return {
    data: String(flags.data), other, methods, arms, budgets, seeds: ints(flags.seeds, 'seeds'), splitSeed: flags['split-seed'] as number,
    tppEpochs: flags['tpp-epochs'] as number, tppLr: flags['tpp-lr'] as number, tppImages: flags['tpp-images'] as number,
    pretext: flags.pretext as PretextName, epochs: flags.epochs as number, lr: flags.lr as number, batch: flags.batch as number,
    patience: flags.patience as number | undefined, limit: flags.limit as number | undefined, backbone: flags.backbone as string | undefined, out: path.resolve(String(flags.out)),
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
}

/**
 * Settings that reach the grid's fingerprints as they are: everything in `s` except the grid's axes and the
 * fields mapped into the grid below (recorded there, some more precisely: the backbone by its fingerprint), and
 * the output folder and title. Options added to CompareSettings later flow in without a change here.
 */
function extraSettings(s: CompareSettings): Record<string, unknown> {
  const mapped = ['other', 'methods', 'arms', 'budgets', 'seeds', 'tppEpochs', 'tppLr', 'tppImages', 'tppSeeds', 'pretext', 'epochs', 'lr', 'batch', 'patience', 'minSteps', 'headLr', 'backbone', 'out', 'title'];
  return Object.fromEntries(Object.entries(s).filter(([k]) => !mapped.includes(k)));
}

/** The command line as typed (for the records). */
function commandLine(): string {
  return ['tpp-lab', ...process.argv.slice(2)].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The target of `s` (its `--limit` applied, converted to fit `vit` where `s.convert`), as the grid and `diagnose` load it. */
export async function loadTarget(s: CompareSettings, vit: ViT, quiet: boolean): Promise<{ name: string; train: Dataset; val: Dataset; test: Dataset }> {
  const convert = !!s.convert;
  const loaded = await loadData(s.data, { splitSeed: s.splitSeed, imageSize: vit.config.imageSize, channels: vit.config.channels });
  if (loaded.dicomLoad) reportDicomLoad(s.data, loaded.dicomLoad, { quiet });
  return {
    name: loaded.name, train: fitWithNote(limit(loaded.train, s.limit), vit.config, convert, quiet), val: fitToBackbone(capImages(loaded.val, s.valImages), vit.config, convert), test: fitToBackbone(loaded.test, vit.config, convert),
  };
}

/** A segmentation target's splits (its `--limit` applied, fitted to `vit`: converted where `s.convert`, else checked). */
async function loadSegTarget(s: CompareSettings, vit: ViT): Promise<{ name: string; train: SegDataset; val: SegDataset; test: SegDataset }> {
  const splits = await loadSegData(s.data, { splitSeed: s.splitSeed });
  const fit = (ds: SegDataset) => fitSegToBackbone(ds, vit.config, !!s.convert);
  const n = numSegExamples(splits.train);
  const train = s.limit !== undefined && s.limit < n ? segSubset(splits.train, Array.from({ length: s.limit }, (_, i) => i)) : splits.train;
  if (s.valImages !== undefined) throw new UsageError('--val-images applies to classification targets; a segmentation grid scores every validation image.');
  return { name: splits.name, train: fit(train), val: fit(splits.val), test: fit(splits.test) };
}

/** Load the backbone and data of `s` and build the grid (also in each `--task` child). Caller disposes `vit`. */
async function buildGrid(s: CompareSettings, quiet: boolean, recompute: boolean): Promise<{ grid: CompareGrid; vit: ViT; backend: string; backbonePath: string }> {
  const backend = await startBackend(quiet);
  const { vit, metadata, paths } = await openBackbone(s.backbone ?? (s.task === 'segment' ? SEGMENTATION_BACKBONE : undefined));
  try {
    const fit = (ds: Dataset) => fitWithNote(ds, vit.config, !!s.convert, quiet);
    const segment = s.task === 'segment' ? await loadSegTarget(s, vit) : undefined;
    const target = segment
      ? { name: segment.name, train: segImages(segment.train), val: segImages(segment.val), test: segImages(segment.test) }
      : await loadTarget(s, vit, quiet);
    const specs = otherArms(s.other);
    const normalization = normalizationFrom(metadata, target.train);
    const arms: Arm[] = [];
    for (const a of s.arms) {
      if (a === 'none') arms.push({ name: 'none', label: 'no TPP' });
      else if (a === 'same') arms.push({ name: 'same', images: target.train, label: `${target.name} train images (same modality)` });
      else {
        const other = await loadData(specs.get(a)!, { splitSeed: s.splitSeed, imageSize: vit.config.imageSize, channels: vit.config.channels });
        arms.push({ name: a, images: fit(capImages(other.train, s.tppImages)), label: `${other.name} train images (${other.train.modality ?? 'other data'})` });
      }
    }
    if (s.pretext === 'mae' && !paths.decoder) throw new Error(`The mae pretext needs decoder.safetensors beside ${paths.backbone}.`);
    const grid: CompareGrid = {
      backbone: vit, decoderPath: paths.decoder ?? undefined, normalization, target, arms, budgets: s.budgets, seeds: s.seeds,
      methods: s.methods.map((m) => ({ name: m, config: peftConfig(m) })),
      tpp: { epochs: s.tppEpochs, batchSize: 64, lr: s.tppLr, pretext: s.pretext, maxImages: s.tppImages, seeds: s.tppSeeds },
      finetune: { epochs: s.epochs, batchSize: s.batch, lr: s.lr, patience: s.patience, minStepsPerEpoch: s.minSteps, headLr: s.headLr }, outDir: s.out,
      settings: extraSettings(s), recompute, command: commandLine(),
      ...(segment ? { segment: { train: segment.train, val: segment.val, test: segment.test, head: s.head ?? DEFAULT_SEG_HEAD } } : {}),
    };
    return { grid, vit, backend, backbonePath: paths.backbone };
  } catch (e) {
    vit.dispose();
    throw e;
  }
}

/** `--task KEY`: run one task of the grid in `out` for the parent `compare --jobs` that holds the folder. */
async function runTaskChild(out: string, key: string): Promise<number> {
  enterTaskChild(out);
  const g = readGridFile(out);
  const { grid, vit } = await buildGrid(g.settings as unknown as CompareSettings, true, false);
  try {
    grid.command = g.command;
    const plan = await planCompare(grid);
    if (plan.runFingerprint !== g.runFingerprint) throw new Error(`compare --task: the settings now differ from ${out}/grid.json (${describeDiff(settingsDiff(g.runSettings, plan.runSettings))}); did the data or backbone change during the run?`);
    const task = [...plan.tpp, ...plan.cells].find((t) => t.key === key);
    if (!task) throw new UsageError(`--task ${key} is not a task of the grid in ${out}.`);
    if (task.kind === 'tpp') await runTppTask(grid, task);
    else await runCellTask(grid, plan, task);
    return 0;
  } finally {
    vit.dispose();
  }
}

/** Run a comparison (or its shard) and write its files; returns the exit code. */
export async function runComparison(s: CompareSettings, flags: ComparisonRunOptions): Promise<number> {
  const quiet = !!flags.quiet;
  const jobs = flags.jobs ?? 1;
  const t0 = Date.now();
  const command = commandLine();
  const folder = acquireRunFolder(s.out, command);
  try {
    for (const n of folder.notes) console.error(`note: ${n}`);
    const { grid, vit, backend, backbonePath } = await buildGrid(s, quiet, !!flags.recompute);
    try {
      const plan = await planCompare(grid);
      checkReuse(plan, s.out, !!flags.recompute);
      const units = flags.shard ? shardUnits(plan, flags.shard.index, flags.shard.count) : undefined;
      const mine = plan.cells.filter((c) => !units || units.has(c.unit));
      const sizes = methodSizes(vit, grid.methods);
      const reportSettings = {
        title: s.title, target: grid.target.name, ...(s.task === 'segment' ? { task: 'segmentation' } : {}), modality: grid.target.train.modality ?? null, arms: grid.arms.map((a) => `${a.name}: ${a.label}`).join('; '),
        methods: grid.methods.map((m) => JSON.stringify(m.config)).join('; '), budgets: s.budgets.map((b) => JSON.stringify(b)).join(', '), seeds: s.seeds.join(', '),
        tpp: `${s.pretext} pretext, ${s.tppEpochs} epochs, lr ${s.tppLr}, up to ${s.tppImages} images, batch 64` +
          (s.tppSeeds ? `; ${s.tppSeeds} TPP seeds shared by the fine-tuning seeds (seed s starts from TPP seed s mod ${s.tppSeeds})` : '; one TPP run per seed'),
        finetune: `${s.epochs} epochs, lr ${s.lr}${s.headLr !== undefined ? ` (head ${s.headLr})` : ''}, batch ${s.batch}${s.minSteps ? `, at least ${s.minSteps} optimiser steps an epoch` : ''}, ` +
          `AdamW + warm-up + cosine, best epoch by validation ${s.task === 'segment' ? `Dice; head ${s.head ?? DEFAULT_SEG_HEAD}` : 'AUC'}${s.patience !== undefined ? `, patience ${s.patience}` : ''}`,
        backbone: path.relative(process.cwd(), backbonePath), backend,
        ...(flags.shard ? { shard: `${flags.shard.index + 1}/${flags.shard.count} (${mine.length} of ${plan.cells.length} cells)` } : {}),
      };
      await writeGridFile(s.out, {
        format: GRID_FORMAT, command, settings: s as unknown as Record<string, unknown>, runFingerprint: plan.runFingerprint, runSettings: plan.runSettings,
        axes: plan.axes, cells: plan.cells.map((c) => ({ key: c.key, fingerprint: c.fingerprint })), shard: flags.shard ?? null, owned: mine.map((c) => c.key),
        report: reportSettings, sizes,
      });
      if (jobs > 1) {
        const todo = pendingTasks(plan, units);
        let done = mine.length - todo.filter((t) => t.kind === 'cell').length;
        if (!quiet) {
          console.error(`${mine.length} cells: ${done} done earlier, ${todo.length} tasks to run on ${jobs} processes`);
        }
        await runTaskProcesses(s.out, todo, jobs, (t, seconds) => {
          if (quiet) return;
          if (t.kind === 'tpp') console.error(`tpp done: ${taskLabel(t)} (${Math.round(seconds)} s)`);
          else {
            const c = readCell(t.file);
            const score = c.task === 'segment' ? `test Dice ${(c.dice ?? NaN).toFixed(3)}` : `test AUC ${c.auc.toFixed(3)}`;
            console.error(`[${++done}/${mine.length}] done: ${taskLabel(t)}: ${score} (${Math.round(seconds)} s)`);
          }
        });
      } else {
        await runCompare({ ...grid, onProgress: progressLine(quiet) }, units, plan);
      }
      const stored = mine.map((c) => readCell(c.file));
      const cells = stored.map(cellResult);
      const seconds = (Date.now() - t0) / 1000;
      const files = await writeCompareReport(s.out, cells, { ...reportSettings, 'wall time of this run (s)': Math.round(seconds), finished: new Date().toISOString() }, sizes, {
        command, runs: { [plan.runFingerprint]: plan.runSettings }, cellCommands: stored.map((c) => c.command),
      });
      printSummary(cells, files, seconds, backend, !!flags.json);
      return 0;
    } finally {
      vit.dispose();
    }
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
  { name: 'jobs', type: 'int', value: 'N', help: 'run the grid\'s tasks as N child processes (1: in this process)', default: os.availableParallelism() },
  { name: 'recompute', type: 'boolean', help: 'redo cells and TPP runs in --out that were made with other settings (default: refuse and name what changed)' },
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
    { name: 'methods', type: 'string', value: 'LIST', help: `PEFT methods (defaults of each): ${PEFT_METHOD_NAMES.join(', ')}`, default: 'lora,adapter' },
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
    BACKBONE_FLAG,
    ...RUN_FLAGS,
    { name: 'shard', type: 'string', value: 'I/N', help: 'run only share I of N of the grid (each TPP run with the cells that start from it)' },
    { name: 'merge', type: 'string', value: 'DIR...', help: 'join the --out folders of shards 1..N (given as arguments) into --out' },
    { name: 'task', type: 'string', value: 'KEY', help: 'internal: run one task for a parent compare --jobs' },
  ],
  async run({ flags, positionals }) {
    if (flags.task) return runTaskChild(outDir(flags), String(flags.task));
    if (flags.merge !== undefined) {
      const out = outDir(flags);
      const { files, cells } = await mergeShards([String(flags.merge), ...positionals], out, commandLine(), (n) => console.error(`note: ${n}`));
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
    return runComparison(settingsFromFlags(flags), { json: !!flags.json, quiet: !!flags.quiet, jobs: jobsFrom(flags), shard, recompute: !!flags.recompute });
  },
};
