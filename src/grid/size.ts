/**
 * How big a grid is before anything is built: its cells, TPP runs and an estimate of its compute time, from counts
 * alone, and the limits that refuse an absurd grid before any per-cell structure exists (a study plan with
 * `"seeds": 1000000000` once ran the heap out of memory after 15 s). `tpp-lab compare`, `runGrid` and study plans
 * check the same way; a user who means a huge grid raises the limits (`--max-cells`, `--max-hours`, or the plan's
 * `maxCells`, `maxHours`).
 */
import type { GridSettings } from './settings';

/**
 * Seconds of one fine-tuning epoch of a classification cell: the committed knee grid
 * (docs/results/regime-2026-12-06/knee: imagenet28, 28 px, batch 16, at least 10 steps an epoch; 80 cells) took
 * 0.75 s an epoch on the project's 2-core machine.
 */
export const FINETUNE_EPOCH_SECONDS = 0.75;
/** Seconds of one fine-tuning epoch of a segmentation cell (docs/results/seg-2026-11-29, imagenet64, 64 px): about 3.5 s. */
export const SEGMENT_EPOCH_SECONDS = 3.5;
/** Seconds of one optimiser step (the knee grid: 0.068 s), for epochs that `minSteps` makes longer. */
export const STEP_SECONDS = 0.068;
/** Seconds of one TPP epoch on the study's 546 images (the knee grid: 354 s for 9 runs of 40 epochs): about 1 s. */
export const TPP_EPOCH_SECONDS = 1;

/** The most cells and estimated hours of compute a grid (or a study, all targets together) may have. */
export interface GridLimits {
  maxCells: number;
  maxHours: number;
}

/** Defaults: 100 times the cells of the committed study (about 1,000), and 30 days of compute on one process. */
export const GRID_LIMITS: GridLimits = { maxCells: 100_000, maxHours: 24 * 30 };

/** A grid as counts: what its size and time depend on. */
export interface GridShape {
  methods: number;
  /** Every arm, `none` included. */
  arms: number;
  /** TPP epochs of each arm that runs TPP (one entry per such arm). */
  tppEpochs: number[];
  budgets: number;
  seeds: number;
  /** TPP runs per (method, arm) shared by the seeds (absent: one per seed). */
  tppSeeds?: number;
  epochs: number;
  minSteps?: number;
  segment?: boolean;
}

/** A grid's size: fine-tuning cells, TPP runs, and the estimated compute in hours (one process). */
export interface GridSize {
  cells: number;
  tppRuns: number;
  hours: number;
}

/** The shape of the grid of `s` (no data is read). */
export function gridShape(s: GridSettings): GridShape {
  const tppArms = s.arms.filter((a) => a !== 'none');
  return {
    methods: s.methods.length, arms: s.arms.length, tppEpochs: tppArms.map((a) => s.armTpp?.[a]?.epochs ?? s.tppEpochs), budgets: s.budgets.length,
    seeds: s.seeds.length, tppSeeds: s.tppSeeds, epochs: s.epochs, minSteps: s.minSteps, segment: s.task === 'segment',
  };
}

/**
 * Cells, TPP runs and estimated hours of `g`: each cell's epochs at FINETUNE_EPOCH_SECONDS (SEGMENT_EPOCH_SECONDS
 * for segmentation, or `minSteps` x STEP_SECONDS when longer), each TPP run's epochs at TPP_EPOCH_SECONDS.
 */
export function gridSize(g: GridShape): GridSize {
  const cells = g.methods * g.arms * g.budgets * g.seeds;
  const groups = g.tppSeeds ? Math.min(g.tppSeeds, g.seeds) : g.seeds;
  const tppRuns = g.methods * groups * g.tppEpochs.length;
  const epochSeconds = Math.max(g.segment ? SEGMENT_EPOCH_SECONDS : FINETUNE_EPOCH_SECONDS, (g.minSteps ?? 0) * STEP_SECONDS);
  const tppEpochs = g.tppEpochs.reduce((a, b) => a + b, 0);
  const seconds = cells * g.epochs * epochSeconds + g.methods * groups * tppEpochs * TPP_EPOCH_SECONDS;
  return { cells, tppRuns, hours: seconds / 3600 };
}

/** Sizes added up (a study's grids). */
export function addSizes(sizes: GridSize[]): GridSize {
  return sizes.reduce((a, b) => ({ cells: a.cells + b.cells, tppRuns: a.tppRuns + b.tppRuns, hours: a.hours + b.hours }), { cells: 0, tppRuns: 0, hours: 0 });
}

/** Thrown when a grid is larger than its limits: before any data is loaded or any cell planned. */
export class GridSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GridSizeError';
  }
}

/** `12,345`: a count as people read it. */
export function count(n: number): string {
  if (!(Math.abs(n) < 1e21)) return n.toExponential(2);
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `40 minutes`, `3.5 hours`, `12 days`, `95 years`. */
export function duration(hours: number): string {
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} minutes`;
  if (hours < 48) return `${Math.round(hours * 10) / 10} hours`;
  if (hours < 24 * 730) return `${count(hours / 24)} days`;
  return `${count(hours / (24 * 365))} years`;
}

/** How to name the limits to the user: the flags, or a study plan's fields. */
export interface LimitNames {
  cells: string;
  hours: string;
}

/** The flags that raise the limits. */
export const LIMIT_FLAGS: LimitNames = { cells: '--max-cells N', hours: '--max-hours H' };

/**
 * Throw `GridSizeError` when `size` passes `limits`: one sentence with the numbers, what makes them (`made`, e.g.
 * `2 methods x 2 arms x 3 budgets x 1,000 seeds`), the limit and how to raise it.
 */
export function checkGridSize(size: GridSize, made: string, limits: Partial<GridLimits> = {}, names: LimitNames = LIMIT_FLAGS, what = 'this grid'): void {
  const maxCells = limits.maxCells ?? GRID_LIMITS.maxCells;
  const maxHours = limits.maxHours ?? GRID_LIMITS.maxHours;
  if (size.cells > maxCells) {
    throw new GridSizeError(`${what} has ${count(size.cells)} cells (${made}), more than the limit of ${count(maxCells)}; make it smaller, or raise the limit with ${names.cells} if you mean it.`);
  }
  if (size.hours > maxHours) {
    throw new GridSizeError(
      `${what} (${count(size.cells)} cells and ${count(size.tppRuns)} TPP runs: ${made}) would take about ${duration(size.hours)} of compute on one process ` +
      `(from the measured cost of an epoch, docs/grids.md), more than the limit of ${count(maxHours)} hours; ` +
      `make it smaller, or raise the limit with ${names.hours} if you mean it.`,
    );
  }
}

/** What makes the size of the grid of `s`, for messages: `2 methods x 2 arms x 3 budgets x 10 seeds, 30 epochs`. */
export function describeShape(g: GridShape): string {
  const n = (k: number, one: string) => `${count(k)} ${one}${k === 1 ? '' : 's'}`;
  const tpp = g.tppEpochs.length ? `, TPP ${[...new Set(g.tppEpochs)].map(count).join('/')} epochs` : '';
  return `${n(g.methods, 'method')} x ${n(g.arms, 'arm')} x ${n(g.budgets, 'budget')} x ${n(g.seeds, 'seed')}, ${n(g.epochs, 'epoch')}${g.minSteps ? ` of at least ${count(g.minSteps)} steps` : ''}${tpp}`;
}

/** Check the grid of `s` against `limits` (see `checkGridSize`); reads nothing. */
export function checkGridSettings(s: GridSettings, limits?: Partial<GridLimits>, names?: LimitNames): void {
  const shape = gridShape(s);
  checkGridSize(gridSize(shape), describeShape(shape), limits, names);
}
