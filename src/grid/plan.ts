/**
 * The plan of a grid: its tasks (one TPP run per method x TPP arm x seed, one fine-tuning cell per
 * method x arm x budget x seed), the settings and fingerprint of each, what a folder already holds for them, and
 * a deterministic partition into shards. `runCompare` (run.ts) runs a plan in one process; `runGrid` (comparison.ts)
 * hands its tasks to a runner (the CLI's process pool) and runs a shard of it.
 *
 * Every task records the full settings that produce its result: the run settings (results version, backbone
 * fingerprint, data contents, normalisation, decoder, stage settings and whatever else the caller passes in
 * `grid.settings`) plus its own coordinates (method config, arm and its images, budget, seed). A cached result is
 * reused only when its fingerprint equals the task's (the settings record, train/settings-record.ts).
 */
import { decodeSafetensors } from '../checkpoint/safetensors';
import { bytesOf, sha256Tag } from '../hash/sha256';
import { backboneFingerprint } from '../model/fingerprint';
import type { PeftConfig } from '../peft/index';
import type { SegDataset } from '../data/sets/segmentation';
import { capImages, type Dataset } from '../data/sets/dataset';
import { CorruptRecordError, type GridStore } from '../io/store';
import { checkRecord, type RecordState } from '../train/settings-record';
import { datasetFingerprint, describeDiff, RESULTS_VERSION, settingsFingerprint } from '../train/settings-fingerprint';
import type { Arm, ArmTpp, CompareGrid, GridBudget } from './types';

export type { GridBudget, ImageBudget } from './types';

/** `10/class`, `10%`, `10 images` or `all images`. */
export function budgetLabel(b: GridBudget): string {
  if ('images' in b) return b.images === 'all' ? 'all images' : `${b.images} images`;
  return 'perClass' in b ? `${b.perClass}/class` : `${Math.round(b.fraction * 1000) / 10}%`;
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * What a folder holds for a task: nothing yet (`pending`), a matching result (`done`), one made otherwise
 * (`changed`), or a file that cannot be read (`corrupt`).
 */
export type TaskState = RecordState | 'corrupt';

/** TPP of one method on one arm's images with one seed; its adapter starts every budget's cell. */
export interface TppTask {
  kind: 'tpp';
  key: string;
  /** Index of the (method, arm, seed) unit in grid order. */
  unit: number;
  method: { name: string; config: PeftConfig };
  arm: string;
  seed: number;
  /** The store's `tpp/<key>` folder: settings.json, checkpoint, adapter.safetensors, tpp.json. */
  dir: string;
  /** TPP epochs of this run (the arm's own, else the grid's). */
  epochs: number;
  settings: Record<string, unknown>;
  fingerprint: string;
  state: TaskState;
  /** For `changed`: what differs (`field: old → new`). */
  diff: string[];
  /** For `corrupt`: which file cannot be read, and why (`<path> is corrupt (not JSON: ...)`). */
  corrupt?: string;
}

/** Fine-tuning of one method with one label budget and seed, from one arm's TPP adapter (or none). */
export interface CellTask {
  kind: 'cell';
  key: string;
  unit: number;
  method: { name: string; config: PeftConfig };
  arm: string;
  budget: GridBudget;
  seed: number;
  /** The store's key of the cell, `cells/<key>.json`. */
  file: string;
  /** The TPP task whose adapter it starts from (absent for the `none` arm). */
  tpp?: string;
  settings: Record<string, unknown>;
  fingerprint: string;
  state: TaskState;
  diff: string[];
  corrupt?: string;
}

/** Every task of a grid in grid order, with the settings they share. */
export interface ComparePlan {
  /** Settings every task shares (no grid coordinates). */
  runSettings: Record<string, unknown>;
  runFingerprint: string;
  /** The grid's axes, for checking that shards belong to the same grid. */
  axes: { methods: { name: string; config: PeftConfig }[]; arms: string[]; budgets: GridBudget[]; seeds: number[] };
  tpp: TppTask[];
  cells: CellTask[];
}

/** Stage settings the TPP runs do not depend on (left out of TPP fingerprints). */
const FINETUNE_ONLY = ['finetune', 'target', 'segment'];

/** A stored record: the object, null when there is none, or `corrupt`: a sentence naming the file that cannot be read. */
function readRecord(store: GridStore, key: string): { record: Record<string, unknown> | null; corrupt?: string } {
  let v: unknown;
  try {
    v = store.readJson(key);
  } catch (e) {
    if (e instanceof CorruptRecordError) return { record: null, corrupt: e.message };
    throw e;
  }
  if (v === null && !store.exists(key)) return { record: null };
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { record: null, corrupt: `${store.root}/${key} is corrupt (not a JSON object)` };
  return { record: v as Record<string, unknown> };
}

/**
 * Why the safetensors file at `key` cannot be read (`<path> is corrupt (...)`), or undefined when it reads or is
 * absent: a TPP run's adapter (which its cells start from) or its checkpoint (which a half-done run resumes from).
 */
function unreadableTensors(store: GridStore, key: string): string | undefined {
  const bytes = store.readBytes(key);
  if (!bytes) return undefined;
  const where = `${store.root}/${key}`;
  try {
    decodeSafetensors(bytes, where);
    return undefined;
  } catch (e) {
    return `${where} is corrupt (${(e as Error).message.replace(`Invalid safetensors file ${where}: `, 'not a safetensors file: ').replace(/\.$/, '')})`;
  }
}

/**
 * The fields of an arm's TPP settings that differ from the grid's (`{}` when none do). Only these enter the arm's
 * fingerprints, so an arm with the grid's settings has the fingerprints it had before arms had settings.
 */
export function armTppOverrides(grid: Pick<CompareGrid, 'tpp'>, arm: Pick<Arm, 'tpp'>): ArmTpp {
  const t = arm.tpp ?? {};
  return {
    ...(t.images !== undefined && t.images !== grid.tpp.maxImages ? { images: t.images } : {}),
    ...(t.epochs !== undefined && t.epochs !== grid.tpp.epochs ? { epochs: t.epochs } : {}),
    ...(t.seed ? { seed: t.seed } : {}),
  };
}

/**
 * The images TPP runs on for `arm`, or null for no TPP: at most the arm's `tpp.images` (else `grid.tpp.maxImages`),
 * drawn at random (seed 0) when the pool is larger, so a pool stored sorted by class still gives a mixed sample.
 */
export function tppImages(grid: { tpp: Pick<CompareGrid['tpp'], 'maxImages'> }, arm: Pick<Arm, 'images' | 'tpp'>): Dataset | null {
  return arm.images ? capImages(arm.images, arm.tpp?.images ?? grid.tpp.maxImages) : null;
}


/** The TPP seed fine-tuning seed `seed` starts from: `seed mod tppSeeds` when TPP runs are shared, else `seed`. */
export function tppSeedOf(seed: number, tppSeeds: number | undefined): number {
  return tppSeeds ? seed % tppSeeds : seed;
}

/** A TPP task's key, its folder name under `<out>/tpp/`: `<method>__<arm>__s<tpp seed>`. */
export function tppTaskKey(method: string, arm: string, tppSeed: number): string {
  return `${method}__${arm}__s${tppSeed}`;
}

/** What a segmentation grid adds to the run settings: the head and the masks of each split (images are in `target`). */
function segmentSettings(seg: NonNullable<CompareGrid['segment']>): Record<string, unknown> {
  const masks = (ds: SegDataset) => sha256Tag(bytesOf(ds.masks.data), JSON.stringify(ds.masks.shape));
  return { head: seg.head, masks: { train: masks(seg.train), val: masks(seg.val), test: masks(seg.test) } };
}

/** Plan `grid` against what `grid.store` holds. Reads cached records; writes nothing. */
export async function planCompare(grid: CompareGrid): Promise<ComparePlan> {
  const target = grid.target;
  const store = grid.store;
  const runSettings: Record<string, unknown> = {
    ...(grid.settings ?? {}),
    version: RESULTS_VERSION,
    backbone: await backboneFingerprint(grid.backbone),
    decoder: grid.decoder && grid.tpp.pretext === 'mae' ? sha256Tag(grid.decoder.bytes) : null,
    normalization: grid.normalization,
    target: { name: target.name, train: datasetFingerprint(target.train), val: datasetFingerprint(target.val), test: datasetFingerprint(target.test) },
    ...(grid.segment ? { segment: segmentSettings(grid.segment) } : {}),
    tpp: grid.tpp,
    finetune: grid.finetune,
  };
  const tppRun = Object.fromEntries(Object.entries(runSettings).filter(([k]) => !FINETUNE_ONLY.includes(k)));
  const armData = new Map(grid.arms.map((a) => {
    const images = tppImages(grid, a);
    const own = armTppOverrides(grid, a);
    return [a.name, images ? { source: images.source, images: datasetFingerprint(images), ...(Object.keys(own).length ? { tpp: own } : {}) } : null] as const;
  }));
  const plan: ComparePlan = {
    runSettings, runFingerprint: settingsFingerprint(runSettings),
    axes: { methods: grid.methods, arms: grid.arms.map((a) => a.name), budgets: grid.budgets, seeds: grid.seeds },
    tpp: [], cells: [],
  };
  // Units: (method, TPP seed group, arm). Without `tpp.seeds` each fine-tuning seed is its own group; with it,
  // seeds s with the same s mod tpp.seeds share one TPP run (and one unit, so a shard computes each adapter once).
  const k = grid.tpp.seeds;
  const groups = new Map<number, number[]>();
  for (const seed of grid.seeds) {
    const g = tppSeedOf(seed, k);
    groups.set(g, [...(groups.get(g) ?? []), seed]);
  }
  let unit = 0;
  for (const method of grid.methods) {
    for (const [tppSeed, seeds] of groups) {
      for (const arm of grid.arms) {
        const data = armData.get(arm.name)!;
        // An arm's own seed shifts its TPP seeds (0 for the grid's: the seeds TPP always had).
        const runSeed = tppSeed + (arm.tpp?.seed ?? 0);
        let tppKey: string | undefined;
        if (data) {
          tppKey = tppTaskKey(method.name, arm.name, runSeed);
          const settings = { ...tppRun, method, arm: { name: arm.name, ...data }, seed: runSeed };
          const fingerprint = settingsFingerprint(settings);
          const dir = `tpp/${tppKey}`;
          // settings.json is written when a TPP run starts: a half-done run with other settings counts as changed.
          const recorded = readRecord(store, `${dir}/settings.json`);
          let { state, diff }: { state: TaskState; diff: string[] } = checkRecord(recorded.record ?? (store.exists(dir) ? {} : null), settings, fingerprint);
          let corrupt = recorded.corrupt;
          if (!corrupt && state === 'done') {
            // A finished run's cells start from its adapter; a half-done run resumes from its checkpoint.
            const summary = readRecord(store, `${dir}/tpp.json`);
            corrupt = summary.corrupt;
            if (summary.record?.fingerprint !== fingerprint || !store.exists(`${dir}/adapter.safetensors`)) state = 'pending';
            corrupt ??= unreadableTensors(store, `${dir}/${state === 'done' ? 'adapter' : 'checkpoint'}.safetensors`);
          }
          if (corrupt) state = 'corrupt';
          const epochs = arm.tpp?.epochs ?? grid.tpp.epochs;
          plan.tpp.push({ kind: 'tpp', key: tppKey, unit, method, arm: arm.name, seed: runSeed, dir, epochs, settings, fingerprint, state, diff, ...(corrupt ? { corrupt } : {}) });
        }
        for (const seed of seeds) {
          for (const budget of grid.budgets) {
            const key = `${method.name}__${arm.name}__${safe(budgetLabel(budget))}__s${seed}`;
            const tppPart = data && (k || runSeed !== tppSeed) ? { tppSeed: runSeed } : {};
            const settings = { ...runSettings, ...(data ? {} : { tpp: null }), method, arm: { name: arm.name, tpp: data, ...tppPart }, budget, seed };
            const fingerprint = settingsFingerprint(settings);
            const file = `cells/${key}.json`;
            const { record: stored, corrupt } = readRecord(store, file);
            const { state, diff } = checkRecord(stored && { fingerprint: stored.fingerprint, settings: stored.cellSettings }, settings, fingerprint);
            plan.cells.push({ kind: 'cell', key, unit, method, arm: arm.name, budget, seed, file, tpp: tppKey, settings, fingerprint, state: corrupt ? 'corrupt' : state, diff, ...(corrupt ? { corrupt } : {}) });
          }
        }
        unit++;
      }
    }
  }
  return plan;
}

/** Thrown when a folder holds results made with other settings and the caller did not ask to recompute them. */
export class SettingsChangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsChangedError';
  }
}

/**
 * Thrown when a folder holds a cell or TPP record that cannot be read and the caller did not ask to recompute.
 * Refusing is the default because the grid writes every file atomically (a temporary file, then a rename): a crash,
 * a kill or a full disk never leaves a half file, so a corrupt one was damaged by something else (a copy cut short,
 * a failing disk, an edit). Quietly recomputing it would hide that damage and whatever else it touched; the user
 * looks, then `--recompute` redoes exactly the unreadable results and keeps the rest.
 */
export class CorruptResultError extends Error {
  /** `record`: the unreadable file, where one file is meant. */
  constructor(message: string, readonly record?: CorruptRecordError) {
    super(message);
    this.name = 'CorruptResultError';
  }
}

/**
 * Throw `CorruptResultError` when any task in `plan` holds a file that cannot be read, or `SettingsChangedError`
 * when any holds a result made with other settings, in one line naming the file or what changed; with `recompute`,
 * mark those tasks pending instead (their results are then redone).
 */
export function checkReuse(plan: ComparePlan, where: string, recompute: boolean): void {
  const redo = [...plan.tpp, ...plan.cells].filter((t) => t.state === 'changed' || t.state === 'corrupt');
  if (!redo.length) return;
  if (recompute) {
    for (const t of redo) t.state = 'pending';
    return;
  }
  const corrupt = redo.filter((t) => t.state === 'corrupt');
  if (corrupt.length) {
    const more = corrupt.length > 1 ? `, as ${corrupt.length > 2 ? `are ${corrupt.length - 1} more files` : 'is 1 more file'}` : '';
    throw new CorruptResultError(`${corrupt[0].corrupt}${more}: rerun with --recompute to redo ${corrupt.length > 1 ? 'them' : 'it'} (the finished results that read fine are kept), or use a new --out.`);
  }
  const changed = redo;
  const diffs = [...new Set(changed.flatMap((t) => t.diff))];
  const cells = changed.filter((t) => t.kind === 'cell').length;
  const tpps = changed.length - cells;
  const what = [cells ? `${cells} of ${plan.cells.length} cells` : '', tpps ? `${tpps} TPP adapter${tpps > 1 ? 's' : ''}` : ''].filter(Boolean).join(' and ');
  throw new SettingsChangedError(
    `${where} holds ${what} made with other settings (${describeDiff(diffs)}). Rerun with --recompute to redo them, or use a new --out.`,
  );
}

/** Tasks still to run, in a runnable order: each cell after the TPP task it starts from. */
export function pendingTasks(plan: ComparePlan, units?: ReadonlySet<number>): (TppTask | CellTask)[] {
  const mine = <T extends { unit: number }>(t: T) => !units || units.has(t.unit);
  const cells = plan.cells.filter((c) => mine(c) && c.state !== 'done');
  const needed = new Set(cells.map((c) => c.tpp).filter(Boolean));
  const tpps = plan.tpp.filter((t) => mine(t) && needed.has(t.key) && t.state !== 'done');
  return [...tpps, ...cells];
}

/** `I/N` (1 ≤ I ≤ N) as zero-based index and count; null for malformed text. */
export function parseShard(text: string): { index: number; count: number } | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return null;
  const [i, n] = [Number(m[1]), Number(m[2])];
  return i >= 1 && n >= 1 && i <= n ? { index: i - 1, count: n } : null;
}

/**
 * The units (method x arm x seed, each with its TPP run and all its budgets' cells) of shard `index` of `count`:
 * units are taken in order of decreasing estimated cost (budgets x fine-tuning epochs, plus TPP epochs when the
 * arm has TPP; ties in grid order) and each goes to the shard with the least estimated work so far (ties: lowest
 * shard). Depends only on the grid's settings, so every shard of the same command computes the same partition.
 */
export function shardUnits(plan: ComparePlan, index: number, count: number): Set<number> {
  const ftEpochs = Number((plan.runSettings.finetune as { epochs?: number } | undefined)?.epochs ?? 1);
  const units = [...new Set(plan.cells.map((c) => c.unit))];
  const cost = new Map(units.map((u) => [u, plan.cells.filter((c) => c.unit === u).length * ftEpochs + (plan.tpp.find((t) => t.unit === u)?.epochs ?? 0)]));
  const order = [...units].sort((a, b) => cost.get(b)! - cost.get(a)! || a - b);
  const load = new Array(count).fill(0);
  const mine = new Set<number>();
  for (const u of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s] < load[best]) best = s;
    load[best] += cost.get(u)!;
    if (best === index) mine.add(u);
  }
  return mine;
}
