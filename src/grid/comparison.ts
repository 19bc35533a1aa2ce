/**
 * Running a grid from its settings, as `tpp-lab compare`, `study`, `demo` and notebook 06 do: build it, plan it
 * against its store (refusing results made with other settings unless `recompute`), write `grid.json`, run the
 * pending tasks of the whole grid or of one shard (in this process, or through a runner such as the CLI's process
 * pool) and read back the cells. Writing the report is the caller's (report/compare-report.ts).
 */
import { explainWriteFailure, type GridStore } from '../io/store';
import { describeDiff, settingsDiff } from '../train/settings-fingerprint';
import type { TrainProgress } from '../train/loop';
import { buildGrid, type NoteSink } from './build';
import { GRID_FORMAT, type GridFile, readGridFile, writeGridFile } from './grid-file';
import { budgetLabel, type CellTask, checkReuse, type ComparePlan, pendingTasks, planCompare, shardUnits, type TppTask } from './plan';
import { methodSizes, readCell, runCellTask, runCompare, runTppTask } from './run';
import type { GridSettings } from './settings';
import type { GridSources } from './sources';
import { type CellResult, cellResult, type CompareProgress, type StoredCell } from './types';
import { DEFAULT_SEG_HEAD } from '../model/seg-head';
import { checkGridSettings, type GridLimits } from './size';
import { ownKernelsActive } from '../kernels/wasm';

/** A task of the grid: a TPP run or a fine-tuning cell. */
export type GridTask = TppTask | CellTask;

/**
 * Runs `tasks` elsewhere (e.g. as child processes, each `runGridTask` on the same store), TPP tasks before the
 * cells that start from them; `mine` are the cells of this run (done earlier or not). Calls `onDone` per task.
 */
export type TaskRunner = (tasks: GridTask[], mine: CellTask[], onDone: (t: GridTask, seconds: number) => void) => Promise<void>;

/** Options of `runGrid`. */
export interface RunGridOptions {
  store: GridStore;
  /** Where the grid's data and backbone come from (`nodeGridSources` from src/io/grid-sources.ts under Node). */
  sources: GridSources;
  /** Run only this share of the grid. */
  shard?: { index: number; count: number };
  /** Redo cells and TPP runs made with other settings instead of refusing. */
  recompute?: boolean;
  /** The command that runs the grid (recorded in cells and grid.json). */
  command?: string;
  /** Run the pending tasks through this (default: one after another in this process). */
  runner?: TaskRunner;
  /** Progress of tasks run in this process. */
  onProgress?: (e: CompareProgress) => void;
  /** Each task a runner finished, with the stored cell for a cell task. */
  onTaskDone?: (t: GridTask, seconds: number, cell?: StoredCell) => void;
  onNote?: NoteSink;
  /** The most cells and estimated hours the grid may have (size.ts; default GRID_LIMITS). */
  limits?: Partial<GridLimits>;
  /** How the report names the backbone's file (default: as given). */
  describePath?: (file: string) => string;
  signal?: AbortSignal;
}

/** A finished run of a grid (or shard): its cells in grid order and what the report needs. */
export interface GridRun {
  cells: CellResult[];
  stored: StoredCell[];
  plan: ComparePlan;
  gridFile: GridFile;
  backend: string;
}

/** A task's label in progress output. */
export function taskLabel(t: GridTask): string {
  return t.kind === 'tpp' ? `tpp ${t.method.name} / ${t.arm} / seed ${t.seed}` : `${t.method.name} / ${t.arm} / ${budgetLabel(t.budget)} / seed ${t.seed}`;
}

/**
 * A failed write during a grid run (a full disk), said with what it means: the file, that the finished cells in
 * `root` are intact, and that the same command resumes from them.
 */
export function gridWriteFailure(e: unknown, root: string): unknown {
  return explainWriteFailure(e, `the finished cells in ${root} are intact`, 'rerun the same command, which resumes from them');
}

/**
 * Run (or resume) the grid of `s` in `o.store`; returns its cells (the shard's, with `o.shard`). A grid larger than
 * `o.limits` is refused (`GridSizeError`) before anything is loaded.
 */
export async function runGrid(s: GridSettings, o: RunGridOptions): Promise<GridRun> {
  checkGridSettings(s, o.limits);
  const command = o.command ?? null;
  const { grid, vit, backend, backbonePath } = await buildGrid(s, { store: o.store, sources: o.sources, recompute: o.recompute, command: o.command, onNote: o.onNote });
  try {
    const plan = await planCompare(grid);
    checkReuse(plan, o.store.root, !!o.recompute);
    const units = o.shard ? shardUnits(plan, o.shard.index, o.shard.count) : undefined;
    const mine = plan.cells.filter((c) => !units || units.has(c.unit));
    const sizes = methodSizes(vit, grid.methods);
    const report = {
      title: s.title, target: grid.target.name, ...(s.task === 'segment' ? { task: 'segmentation' } : {}), modality: grid.target.train.modality ?? null, arms: grid.arms.map((a) => `${a.name}: ${a.label}`).join('; '),
      methods: grid.methods.map((m) => JSON.stringify(m.config)).join('; '), budgets: s.budgets.map((b) => JSON.stringify(b)).join(', '), seeds: s.seeds.join(', '),
      tpp: `${s.pretext} pretext, ${s.tppEpochs} epochs, lr ${s.tppLr}, up to ${s.tppImages} images, batch 64` +
        (s.tppSeeds ? `; ${s.tppSeeds} TPP seeds shared by the fine-tuning seeds (seed s starts from TPP seed s mod ${s.tppSeeds})` : '; one TPP run per seed') +
        (s.armTpp && Object.keys(s.armTpp).length ? `; arms' own: ${Object.entries(s.armTpp).map(([a, t]) => `${a} ${JSON.stringify(t)}`).join(', ')}` : ''),
      finetune: `${s.epochs} epochs, lr ${s.lr}${s.headLr !== undefined ? ` (head ${s.headLr})` : ''}, batch ${s.batch}${s.minSteps ? `, at least ${s.minSteps} optimiser steps an epoch` : ''}, ` +
        `AdamW + warm-up + cosine, best epoch by validation ${s.task === 'segment' ? `Dice; head ${s.head ?? DEFAULT_SEG_HEAD}` : 'AUC'}${s.patience !== undefined ? `, patience ${s.patience}` : ''}`,
      backbone: (o.describePath ?? ((f: string) => f))(backbonePath), backend,
      // Not in the settings fingerprint: the same settings give other float32 rounding on our kernels than on tfjs ops.
      kernels: ownKernelsActive() ? 'own WebAssembly kernels' : 'tfjs ops',
      ...(o.shard ? { shard: `${o.shard.index + 1}/${o.shard.count} (${mine.length} of ${plan.cells.length} cells)` } : {}),
    };
    const gridFile: GridFile = {
      format: GRID_FORMAT, command: command ?? '', settings: s as unknown as Record<string, unknown>, runFingerprint: plan.runFingerprint, runSettings: plan.runSettings,
      axes: plan.axes, cells: plan.cells.map((c) => ({ key: c.key, fingerprint: c.fingerprint })), shard: o.shard ?? null, owned: mine.map((c) => c.key), report, sizes,
    };
    await writeGridFile(o.store, gridFile);
    if (o.runner) {
      await o.runner(pendingTasks(plan, units), mine, (t, seconds) => o.onTaskDone?.(t, seconds, t.kind === 'cell' ? readCell(o.store, t.file) : undefined));
    } else {
      await runCompare({ ...grid, signal: o.signal, onProgress: o.onProgress }, units, plan);
    }
    const stored = mine.map((c) => readCell(o.store, c.file));
    return { cells: stored.map(cellResult), stored, plan, gridFile, backend };
  } catch (e) {
    throw gridWriteFailure(e, o.store.root);
  } finally {
    vit.dispose();
  }
}

/**
 * Run one task (by key) of the grid whose `grid.json` is in `store`, as a child process of a runner does: rebuild
 * the grid from the recorded settings (its data and backbone from `o.sources`), check that it is the same grid, and
 * run the task.
 */
export async function runGridTask(store: GridStore, key: string, o: { sources: GridSources; onTrain?: (p: TrainProgress) => void }): Promise<void> {
  const g = readGridFile(store);
  const { grid, vit } = await buildGrid(g.settings as unknown as GridSettings, { store, sources: o.sources, command: g.command });
  try {
    const plan = await planCompare(grid);
    if (plan.runFingerprint !== g.runFingerprint) throw new Error(`compare --task: the settings now differ from ${store.root}/grid.json (${describeDiff(settingsDiff(g.runSettings, plan.runSettings))}); did the data or backbone change during the run?`);
    const task = [...plan.tpp, ...plan.cells].find((t) => t.key === key);
    if (!task) throw new Error(`--task ${key} is not a task of the grid in ${store.root}.`);
    if (task.kind === 'tpp') await runTppTask(grid, task, o.onTrain);
    else await runCellTask(grid, plan, task, o.onTrain);
  } catch (e) {
    throw gridWriteFailure(e, store.root);
  } finally {
    vit.dispose();
  }
}
