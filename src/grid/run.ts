/**
 * Running a grid's tasks in this process (types.ts has the grid): one TPP run per method x arm x TPP seed, one
 * fine-tuning cell per method x arm x budget x seed. Fine-tuning in every arm uses the same labelled subset, head
 * init and data order for a given seed, so `arm - none` per seed is a paired difference.
 *
 * Resumable: each TPP adapter and each finished cell is written atomically into the grid's store with the full
 * settings that produced it, and a re-run reuses what exists only where those settings match (plan.ts).
 */
import { namedBytes, subStore, type GridStore, type NamedBytes } from '../io/store';
import type { ViT } from '../model/vit';
import { applyPeft, type PeftConfig } from '../peft/index';
import { finetune } from '../train/finetune';
import { finetuneSegmentation } from '../train/segment';
import type { EpochRecord, TrainProgress } from '../train/loop';
import { settingsRecord } from '../train/settings-record';
import { targetParameterPretrain } from '../train/tpp';
import { tppSettings } from '../train/tpp-shared';
import { budgetLabel, type CellTask, checkReuse, type ComparePlan, pendingTasks, planCompare, type TppTask, tppImages } from './plan';
import { type CellResult, cellResult, type CompareGrid, type StoredCell } from './types';

/** A cell's label in progress output. */
function cellLabel(c: CellTask): string {
  return `${c.method.name} / ${c.arm} / ${budgetLabel(c.budget)} / seed ${c.seed}`;
}

/** Read a finished cell (`cells/<key>.json`) from `store`. */
export function readCell(store: GridStore, key: string): StoredCell {
  const cell = store.readJson<StoredCell>(key);
  if (!cell) throw new Error(`${store.root}: no cell ${key}; the grid has not finished it.`);
  return cell;
}

/**
 * Run one TPP task: record its settings, pre-train (resuming a half-done run with the same settings), save the
 * adapter and `tpp.json` (time, final loss, fingerprint). A changed or corrupt task's folder is cleared first.
 */
export async function runTppTask(grid: CompareGrid, task: TppTask, onTrain?: (p: TrainProgress) => void): Promise<void> {
  const arm = grid.arms.find((a) => a.name === task.arm)!;
  const store = grid.store;
  const recorded = `${task.dir}/settings.json`;
  if (store.exists(task.dir)) {
    let same = false;
    try {
      same = store.readJson<{ fingerprint?: string }>(recorded)?.fingerprint === task.fingerprint;
    } catch {
      same = false;
    }
    if (!same || task.corrupt) store.remove(task.dir);
  }
  if (!store.exists(recorded)) await store.writeJson(recorded, settingsRecord(task.settings));
  const t0 = Date.now();
  const options = {
    backbone: grid.backbone, method: task.method.config, pretext: grid.tpp.pretext, decoder: grid.decoder,
    images: tppImages(grid, arm)!, normalization: grid.normalization, epochs: task.epochs,
    batchSize: grid.tpp.batchSize, lr: grid.tpp.lr, seed: task.seed, files: subStore(store, task.dir), resume: true, signal: grid.signal, onProgress: onTrain,
  };
  // Besides the grid's own record, the adapter carries the TPP settings in the schema of notebooks' shared adapters
  // (tpp-shared.ts), so a notebook given this adapter as `ready` reuses it when its settings are the same.
  const r = await targetParameterPretrain({
    ...options, metadata: { arm: arm.name, armLabel: arm.label, settingsFingerprint: task.fingerprint, settings: task.settings, tppSettings: await tppSettings(options) },
  });
  const summary = { seconds: (Date.now() - t0) / 1000, finalLoss: r.fit.history[r.fit.history.length - 1]?.loss ?? null, fingerprint: task.fingerprint };
  r.peft.dispose();
  await store.writeJson(`${task.dir}/tpp.json`, summary);
}

/** Run one fine-tuning cell (its TPP task must be done) and write `cells/<key>.json`; returns the stored cell. */
export async function runCellTask(grid: CompareGrid, plan: ComparePlan, task: CellTask, onTrain?: (p: TrainProgress) => void): Promise<StoredCell> {
  let adapter: NamedBytes | undefined;
  let tpp: { seconds: number | null; finalLoss: number | null } = { seconds: null, finalLoss: null };
  if (task.tpp) {
    const t = plan.tpp.find((x) => x.key === task.tpp)!;
    const summary = grid.store.readJson<{ seconds: number | null; finalLoss: number | null; fingerprint?: string }>(`${t.dir}/tpp.json`);
    if (!summary || summary.fingerprint !== t.fingerprint) throw new Error(`compare: the TPP adapter in ${grid.store.root}/${t.dir} ${summary ? 'was made with other settings than' : 'is missing for'} cell ${task.key}; rerun the grid.`);
    adapter = namedBytes(grid.store, `${t.dir}/adapter.safetensors`, 'compare: the TPP adapter');
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
      labelBudget: b.images === 'all' ? undefined : b.images, normalization: grid.normalization, epochs: grid.finetune.epochs, batchSize: grid.finetune.batchSize,
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
  await grid.store.writeJson(task.file, cell);
  return cell;
}

/**
 * Run (or resume) the grid in this process; returns every cell, in grid order. Cells and TPP adapters already in
 * the store are reused when their settings fingerprint matches; results made with other settings are refused
 * (`SettingsChangedError`, naming what changed) unless `grid.recompute`. `units` restricts the run to a shard
 * (`shardUnits`); `planned` is a plan of this grid made earlier by `planCompare`.
 */
export async function runCompare(grid: CompareGrid, units?: ReadonlySet<number>, planned?: ComparePlan): Promise<CellResult[]> {
  const plan = planned ?? (await planCompare(grid));
  checkReuse(plan, grid.store.root, !!grid.recompute);
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
  return mine.map((c) => cellResult(readCell(grid.store, c.file)));
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
