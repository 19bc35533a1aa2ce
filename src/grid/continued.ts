/**
 * The study's reference arm `continued-mae`: instead of pre-training only the target parameters (TPP), continue
 * MAE pre-training of the whole backbone (and its decoder) on the same unlabelled target images, with the same
 * epochs, learning rate and seeds as TPP, then fine-tune the same PEFT methods from it without TPP. It is the
 * upper bound of adapting the backbone to the target domain with this pretext and these images.
 *
 * Layout, in the target's store: `continued/s<k>/` holds the continued backbone of TPP seed k (backbone.safetensors,
 * decoder.safetensors, continued.json with its settings) and `grid/`, a grid of the fine-tuning seeds that start
 * from it (seed s uses k = s mod tppSeeds, as the TPP arms do). A rerun reuses both where the recorded settings
 * match (the settings record, train/settings-record.ts) and refuses, naming the change, where they differ, unless
 * `recompute`.
 */
import { initBackend } from '../backend';
import { CorruptRecordError, subStore, type GridStore } from '../io/store';
import { pretrainMAE } from '../train/pretrain';
import { checkRecord } from '../train/settings-record';
import { describeDiff } from '../train/settings-fingerprint';
import { gridBackbone, loadTarget, type NoteSink } from './build';
import { capImages } from '../data/sets/dataset';
import { CorruptResultError } from './plan';
import type { GridSettings } from './settings';
import type { GridSources } from './sources';
import type { StudyPlan, StudyTarget } from './study-plan';
import type { CellResult } from './types';

/** The arm name of the continued backbones' cells in the study's tables. */
export const CONTINUED_ARM = 'continued-mae';

/** What a continued backbone depends on (a change means it must be made again). */
function continuedSettings(plan: StudyPlan, t: StudyTarget, k: number): Record<string, unknown> {
  return { backbone: plan.backbone ?? null, data: t.data, convert: t.convert, splitSeed: plan.splitSeed, images: plan.tpp.images, epochs: plan.tpp.epochs, lr: plan.tpp.lr, batchSize: 64, seed: k };
}

/** The key, in a target's store, of TPP seed k's continued backbone folder. */
function continuedKey(k: number): string {
  return `continued/s${k}`;
}

/** The TPP seeds with a continued backbone: `s mod tppSeeds` of the fine-tuning seeds, once each, in order (not 0..tppSeeds-1: a huge tppSeeds must not loop). */
function continuedSeeds(plan: Pick<StudyPlan, 'seeds' | 'tppSeeds'>): number[] {
  return [...new Set(plan.seeds.map((s) => s % plan.tppSeeds))].sort((a, b) => a - b);
}

/** Options of `runContinued`. */
export interface ContinuedOptions {
  /** The target's store (the folder of its grid, `base.out`). */
  store: GridStore;
  /** Where the target's data and the backbone come from (`nodeGridSources` under Node). */
  sources: GridSources;
  recompute?: boolean;
  /** Runs a grid of settings (the caller's runner: it writes the grid's results.json, as `tpp-lab compare` does). */
  runGrid: (s: GridSettings) => Promise<void>;
  onNote?: NoteSink;
}

/** Make (or reuse) the continued backbone of TPP seed `k` for target `t`. */
async function continuedBackbone(plan: StudyPlan, t: StudyTarget, base: GridSettings, k: number, o: ContinuedOptions): Promise<void> {
  const want = continuedSettings(plan, t, k);
  const dir = continuedKey(k);
  const record = `${dir}/continued.json`;
  let had: Record<string, unknown> | null;
  try {
    had = o.store.readJson<Record<string, unknown>>(record);
  } catch (e) {
    // A corrupt record is refused like a changed one (plan.ts, CorruptResultError, says why), or made again.
    if (!(e instanceof CorruptRecordError)) throw e;
    if (!o.recompute) throw new CorruptResultError(`${e.message}: rerun with --recompute to make that continued backbone again.`);
    had = {};
  }
  if (had) {
    // continued.json holds the settings' fields beside the run's time and loss: compare the settings' fields only.
    const recorded = had;
    const check = checkRecord({ settings: Object.fromEntries(Object.keys(want).map((key) => [key, recorded[key]])) }, want);
    if (check.state === 'done' && o.store.exists(`${dir}/backbone.safetensors`)) return;
    if (check.state === 'changed' && !o.recompute) {
      throw new Error(`${o.store.root}/${dir} holds a continued backbone made with other settings (${describeDiff(check.diff)}); rerun with --recompute to make it again.`);
    }
    o.store.remove(dir);
  }
  const { vit, file, decoder } = await o.sources.openBackbone(gridBackbone(base));
  let images;
  try {
    if (!decoder) throw new Error(`continued MAE needs the decoder saved beside ${file.name}.`);
    // The same images TPP's `same` arm sees: the target's training split as the grid loads it, capped by the same seeded sample.
    images = capImages((await loadTarget(base, o.sources, vit)).train, plan.tpp.images);
  } finally {
    vit.dispose();
  }
  const t0 = Date.now();
  const r = await pretrainMAE({
    train: images, init: { backbone: file, decoder: decoder! }, epochs: plan.tpp.epochs, lr: plan.tpp.lr, batchSize: 64, seed: k, files: subStore(o.store, dir),
    provenance: { command: `tpp-lab study (continued MAE of ${gridBackbone(base)} on ${t.name}, seed ${k})` },
  });
  r.mae.dispose();
  r.mae.encoder.dispose();
  await o.store.writeJson(record, { ...want, seconds: (Date.now() - t0) / 1000, finalLoss: r.fit.history[r.fit.history.length - 1]?.loss });
  o.onNote?.(`continued MAE: ${t.name} seed ${k} (${Math.round((Date.now() - t0) / 1000)} s)`);
}

/**
 * Run the continued-MAE arm of one target: a continued backbone per TPP seed and the fine-tuning grid from it.
 * `base` is the target's grid settings (methods, budgets, recipe).
 */
export async function runContinued(plan: StudyPlan, t: StudyTarget, base: GridSettings, o: ContinuedOptions): Promise<void> {
  await initBackend();
  for (const k of continuedSeeds(plan)) {
    const seeds = plan.seeds.filter((s) => s % plan.tppSeeds === k);
    await continuedBackbone(plan, t, base, k, o);
    const dir = `${base.out}/${continuedKey(k)}`;
    await o.runGrid({ ...base, backbone: dir, other: [], arms: ['none'], seeds, out: `${dir}/grid`, title: `${base.title} (continued MAE, seed ${k})` });
  }
}

/** The continued-MAE cells of a target (its store), as arm `continued-mae` with their TPP seed (none when the arm did not run). */
export function continuedCells(plan: StudyPlan, store: GridStore): CellResult[] {
  const out: CellResult[] = [];
  for (const k of continuedSeeds(plan)) {
    const r = store.readJson<{ cells: CellResult[] }>(`${continuedKey(k)}/grid/results.json`);
    for (const c of r?.cells ?? []) out.push({ ...c, arm: CONTINUED_ARM, tppSeed: k });
  }
  return out;
}
