/**
 * The experiment runner behind `tpp-lab compare` and `npm run demo`: a grid of PEFT methods x TPP arms x label
 * budgets x seeds on one target dataset. An arm says what the target parameters were pre-trained on before
 * fine-tuning: `none` (the method's usual random/zero init), `same` (the target's own unlabelled training images)
 * or another dataset (a different modality). Fine-tuning in every arm uses the same labelled subset, head init and
 * data order for a given seed, so `arm - none` per seed is a paired difference.
 *
 * Resumable: each TPP adapter and each finished cell is written atomically under `outDir` with the full settings
 * that produced it, and a re-run reuses what exists only where those settings match (compare-plan.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Normalization } from '../data/sets/batches';
import type { Dataset } from '../data/sets/dataset';
import { limit } from '../data/sources/load';
import { writeFileAtomic } from '../io/safetensors';
import type { ViT } from '../model/vit';
import { applyPeft, type PeftConfig } from '../peft/index';
import { finetune } from './finetune';
import { finetuneSegmentation } from './segment';
import type { SegDataset } from '../data/sets/segmentation';
import type { SegHeadKind } from '../model/seg-head';
import type { EpochRecord, TrainProgress } from './loop';
import type { PretextName } from './pretext';
import { targetParameterPretrain } from './tpp';
import { budgetLabel, type CellTask, type GridBudget, checkReuse, type ComparePlan, pendingTasks, planCompare, type TppTask, tppImages } from './compare-plan';

/** One TPP arm: `none`, or pre-training on `images` (named `name`, e.g. `same` or `other`). */
export interface Arm {
  name: string;
  /** Unlabelled images for TPP; absent for the `none` arm. */
  images?: Dataset;
  /** Human-readable description, e.g. `breastmnist (ultrasound)`. */
  label: string;
}

export interface CompareGrid {
  backbone: ViT;
  /** The decoder file for the MAE pretext. */
  decoderPath?: string;
  normalization: Normalization;
  target: { name: string; train: Dataset; val: Dataset; test: Dataset };
  methods: { name: string; config: PeftConfig }[];
  arms: Arm[];
  budgets: GridBudget[];
  seeds: number[];
  /**
   * A segmentation grid: the target's splits with their masks and the head to fine-tune (then `target` holds the same
   * images as classification datasets, `segImages`, for TPP's `same` arm; budgets count images, `{ images }`).
   */
  segment?: { train: SegDataset; val: SegDataset; test: SegDataset; head: SegHeadKind };
  /**
   * TPP settings. `seeds`: how many TPP runs per (method, arm); fine-tuning seed s starts from the TPP run with
   * seed s mod `seeds`, so TPP's own variance shows across fine-tuning seeds. Default: one TPP run per seed.
   */
  tpp: { epochs: number; batchSize: number; lr: number; pretext: PretextName; maxImages?: number; seeds?: number };
  /** Fine-tuning settings (see `FinetuneOptions`: `minStepsPerEpoch`, `headLr`). */
  finetune: { epochs: number; batchSize: number; lr: number; patience?: number; minStepsPerEpoch?: number; headLr?: number };
  outDir: string;
  /**
   * Further settings that affect results and are not in the fields above (JSON values; e.g. the CLI's data flag
   * and split seed). They enter every task's settings fingerprint (compare-plan.ts).
   */
  settings?: Record<string, unknown>;
  /** Redo cells and TPP runs whose recorded settings differ from this grid's (default: refuse, naming the change). */
  recompute?: boolean;
  /** The command that runs the grid, recorded in each cell it computes. */
  command?: string;
  signal?: AbortSignal;
  onProgress?: (e: CompareProgress) => void;
}

/** Progress of the grid: one event per phase start and per training progress event inside it. */
export interface CompareProgress {
  phase: 'tpp' | 'finetune' | 'skip';
  cell: string;
  done: number;
  total: number;
  train?: TrainProgress;
}

/** One finished cell of the grid. */
export interface CellResult {
  method: string;
  arm: string;
  budget: string;
  seed: number;
  trainExamples: number;
  targetParameters: number;
  /** `segment` for a segmentation cell (its classification metrics are NaN, null in JSON); absent for classification. */
  task?: 'segment';
  accuracy: number;
  balanced_accuracy: number;
  auc: number;
  f1: number;
  val_auc: number;
  bestEpoch: number;
  /** Optimiser steps of fine-tuning, and how far it moved the target parameters (L2 of end − start). */
  steps?: number;
  targetShift?: number;
  /** Seed of the TPP run the cell started from (null for no TPP). */
  tppSeed?: number | null;
  /** Fingerprint of the run settings the cell shares with the rest of its grid (see compare-plan.ts). */
  settings: string;
  /** Wall time of fine-tuning (timing varies between runs: kept out of results.csv). */
  seconds: number;
  /** Segmentation cells: mean per-image test Dice, IoU, HD95 (mm where the data have pixel sizes, else pixels) and validation Dice. */
  dice?: number;
  iou?: number;
  hd95?: number;
  /** Segmentation cells of data with reference head circumferences (HC18): mean absolute error in mm. */
  hc_error_mm?: number;
  val_dice?: number;
  /** Validation AUC per epoch (learning curve; validation Dice for segmentation). */
  curve: number[];
  tppSeconds: number | null;
  tppFinalLoss: number | null;
}

/** A cell as stored in `cells/<key>.json`: the result plus the full settings, their fingerprint and the command. */
export interface StoredCell extends CellResult {
  fingerprint: string;
  cellSettings: Record<string, unknown>;
  command: string | null;
}

export { budgetLabel };
export * from './compare-summary';

/** A cell's label in progress output. */
function cellLabel(c: CellTask): string {
  return `${c.method.name} / ${c.arm} / ${budgetLabel(c.budget)} / seed ${c.seed}`;
}

/** The result part of a stored cell. */
export function cellResult(stored: StoredCell): CellResult {
  const { fingerprint: _f, cellSettings: _s, command: _c, ...cell } = stored;
  return cell;
}

/** Read a finished cell's file. */
export function readCell(file: string): StoredCell {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as StoredCell;
}

/**
 * Run one TPP task: record its settings, pre-train (resuming a half-done run with the same settings), save the
 * adapter and `tpp.json` (time, final loss, fingerprint). A changed task's folder is cleared first.
 */
export async function runTppTask(grid: CompareGrid, task: TppTask, onTrain?: (p: TrainProgress) => void): Promise<void> {
  const arm = grid.arms.find((a) => a.name === task.arm)!;
  const recorded = path.join(task.dir, 'settings.json');
  if (fs.existsSync(task.dir)) {
    let same = false;
    try {
      same = JSON.parse(fs.readFileSync(recorded, 'utf8')).fingerprint === task.fingerprint;
    } catch {
      same = false;
    }
    if (!same) fs.rmSync(task.dir, { recursive: true, force: true });
  }
  fs.mkdirSync(task.dir, { recursive: true });
  if (!fs.existsSync(recorded)) await writeFileAtomic(recorded, Buffer.from(JSON.stringify({ fingerprint: task.fingerprint, settings: task.settings }, null, 1)));
  const t0 = Date.now();
  const r = await targetParameterPretrain({
    backbone: grid.backbone, method: task.method.config, pretext: grid.tpp.pretext, decoderPath: grid.decoderPath,
    images: tppImages(grid, arm)!, normalization: grid.normalization, epochs: grid.tpp.epochs,
    batchSize: grid.tpp.batchSize, lr: grid.tpp.lr, seed: task.seed, outDir: task.dir, resume: true, signal: grid.signal,
    onProgress: onTrain, metadata: { arm: arm.name, armLabel: arm.label, settingsFingerprint: task.fingerprint, settings: task.settings },
  });
  const summary = { seconds: (Date.now() - t0) / 1000, finalLoss: r.fit.history[r.fit.history.length - 1]?.loss ?? null, fingerprint: task.fingerprint };
  r.peft.dispose();
  await writeFileAtomic(path.join(task.dir, 'tpp.json'), Buffer.from(JSON.stringify(summary, null, 1)));
}

/** Run one fine-tuning cell (its TPP task must be done) and write `cells/<key>.json`; returns the stored cell. */
export async function runCellTask(grid: CompareGrid, plan: ComparePlan, task: CellTask, onTrain?: (p: TrainProgress) => void): Promise<StoredCell> {
  let adapter: string | undefined;
  let tpp: { seconds: number | null; finalLoss: number | null } = { seconds: null, finalLoss: null };
  if (task.tpp) {
    const t = plan.tpp.find((x) => x.key === task.tpp)!;
    const summary = JSON.parse(fs.readFileSync(path.join(t.dir, 'tpp.json'), 'utf8'));
    if (summary.fingerprint !== t.fingerprint) throw new Error(`compare: the TPP adapter in ${t.dir} was made with other settings than cell ${task.key} needs; rerun the grid.`);
    adapter = path.join(t.dir, 'adapter.safetensors');
    tpp = summary;
  }
  const t0 = Date.now();
  const common = {
    method: task.method.name, arm: task.arm, budget: budgetLabel(task.budget), seed: task.seed,
    tppSeed: task.tpp ? plan.tpp.find((x) => x.key === task.tpp)!.seed : null, settings: plan.runFingerprint,
  };
  const provenance = { tppSeconds: tpp.seconds, tppFinalLoss: tpp.finalLoss, fingerprint: task.fingerprint, cellSettings: task.settings, command: grid.command ?? null };
  let cell: StoredCell;
  if (grid.segment) {
    const b = task.budget;
    if (!('images' in b)) throw new Error(`compare: a segmentation grid counts labels in images ({ images: N }), got the budget ${budgetLabel(b)}.`);
    const seg = grid.segment;
    const r = await finetuneSegmentation({
      backbone: grid.backbone, method: task.method.config, init: adapter, head: seg.head, train: seg.train, val: seg.val, test: seg.test,
      labels: b.images === 'all' ? undefined : b.images, normalization: grid.normalization, epochs: grid.finetune.epochs, batchSize: grid.finetune.batchSize,
      lr: grid.finetune.lr, patience: grid.finetune.patience, minStepsPerEpoch: grid.finetune.minStepsPerEpoch, seed: task.seed, signal: grid.signal, onProgress: onTrain,
    });
    const t = r.test!;
    cell = {
      ...common, task: 'segment', trainExamples: r.trainExamples, targetParameters: r.peft.counts().target,
      accuracy: NaN, balanced_accuracy: NaN, auc: NaN, f1: NaN, val_auc: NaN, dice: t.dice, iou: t.iou, hd95: t.hd95,
      ...(t.hc_error_mm !== undefined ? { hc_error_mm: t.hc_error_mm } : {}), val_dice: r.val.dice, bestEpoch: r.fit.bestEpoch + 1, steps: r.fit.steps,
      seconds: (Date.now() - t0) / 1000, curve: r.fit.history.map((h: EpochRecord) => h.metrics.val_dice), ...provenance,
    };
    r.peft.dispose();
    r.head.dispose();
    r.model.dispose();
  } else {
    if ('images' in task.budget) throw new Error(`compare: a classification grid counts labels per class or as a fraction, got the budget ${budgetLabel(task.budget)}.`);
    const r = await finetune({
      backbone: grid.backbone, method: task.method.config, init: adapter, train: grid.target.train, val: grid.target.val, test: grid.target.test,
      labelBudget: task.budget, normalization: grid.normalization, epochs: grid.finetune.epochs, batchSize: grid.finetune.batchSize,
      lr: grid.finetune.lr, patience: grid.finetune.patience, minStepsPerEpoch: grid.finetune.minStepsPerEpoch, headLr: grid.finetune.headLr,
      seed: task.seed, signal: grid.signal, onProgress: onTrain,
    });
    const t = r.test!;
    cell = {
      ...common, trainExamples: r.trainExamples, targetParameters: r.peft.counts().target, accuracy: t.accuracy, balanced_accuracy: t.balanced_accuracy,
      auc: t.auc, f1: t.f1, val_auc: r.val.auc, bestEpoch: r.fit.bestEpoch + 1, steps: r.steps, targetShift: r.targetShift,
      seconds: (Date.now() - t0) / 1000, curve: r.fit.history.map((h: EpochRecord) => h.metrics.val_auc), ...provenance,
    };
    r.peft.dispose();
    r.model.dispose();
  }
  fs.mkdirSync(path.dirname(task.file), { recursive: true });
  await writeFileAtomic(task.file, Buffer.from(JSON.stringify(cell, null, 1)));
  return cell;
}

/**
 * Run (or resume) the grid in this process; returns every cell, in grid order. Cells and TPP adapters already in
 * `outDir` are reused when their settings fingerprint matches; results made with other settings are refused
 * (`SettingsChangedError`, naming what changed) unless `grid.recompute`. `units` restricts the run to a shard
 * (`shardUnits`); `planned` is a plan of this grid made earlier by `planCompare`.
 */
export async function runCompare(grid: CompareGrid, units?: ReadonlySet<number>, planned?: ComparePlan): Promise<CellResult[]> {
  const plan = planned ?? (await planCompare(grid));
  checkReuse(plan, grid.outDir, !!grid.recompute);
  const emit = grid.onProgress ?? (() => {});
  const mine = plan.cells.filter((c) => !units || units.has(c.unit));
  const todo = pendingTasks(plan, units);
  const total = mine.length;
  let done = 0;
  for (const c of mine) if (c.state === 'done') emit({ phase: 'skip', cell: cellLabel(c), done: ++done, total });
  for (const task of todo) {
    if (task.kind === 'tpp') {
      const label = `${task.method.name} / tpp on ${grid.arms.find((a) => a.name === task.arm)!.label} / seed ${task.seed}`;
      emit({ phase: 'tpp', cell: label, done, total });
      await runTppTask(grid, task, (p) => emit({ phase: 'tpp', cell: label, done, total, train: p }));
      task.state = 'done';
    } else {
      const label = cellLabel(task);
      emit({ phase: 'finetune', cell: label, done, total });
      await runCellTask(grid, plan, task, (p) => emit({ phase: 'finetune', cell: label, done, total, train: p }));
      task.state = 'done';
      done++;
    }
  }
  return mine.map((c) => cellResult(readCell(c.file)));
}

/** Target-parameter count of each method on `backbone` (for the report). */
export function methodSizes(backbone: ViT, methods: { name: string; config: PeftConfig }[]): { name: string; target: number; percent: number }[] {
  return methods.map((m) => {
    const p = applyPeft(backbone, m.config);
    const c = p.counts();
    p.dispose();
    return { name: m.name, target: c.target, percent: c.percentOfBackbone };
  });
}
