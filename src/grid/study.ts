/**
 * A study (study-plan.ts) as grids: per target, the grid of its TPP arms and the grid of its reference methods,
 * with the settings the committed study ran (so its cells are reused and reproduced by settings fingerprint).
 */
import type { GridStore } from '../io/store';
import { DEFAULT_SEG_HEAD, SEG_HEAD_KINDS, type SegHeadKind } from '../model/seg-head';
import { gridMethods } from './methods';
import type { GridSettings } from './settings';
import type { StudyPlan, StudyTarget } from './study-plan';
import type { CellResult, GridBudget } from './types';

/** The grid settings of one target of `plan`, writing into `out/<target name>`. */
export function targetSettings(plan: StudyPlan, t: StudyTarget, out: string): GridSettings {
  // Unknown methods or options fail here, before any data is loaded.
  gridMethods(plan.methods);
  gridMethods(plan.references);
  const names = Object.keys(t.arms);
  const own = Object.keys(t.tppArms ?? {});
  const segment = t.segment;
  if (segment && !t.budgets) throw new Error(`study plan: target ${t.name} is segmentation data; give its budgets in labelled images, e.g. "budgets": [10, 50, "all"].`);
  if (!segment && t.head !== undefined) throw new Error(`study plan: target ${t.name}: "head" applies to segmentation targets.`);
  if (!segment && t.budgets?.includes('all')) throw new Error(`study plan: target ${t.name}: "all" is a budget of segmentation targets; give labels per class.`);
  if (segment && plan.continued) throw new Error(`study plan: the continued-mae arm is not built for segmentation targets (${t.name}); set "continued": false.`);
  if (t.head !== undefined && !(SEG_HEAD_KINDS as readonly string[]).includes(t.head)) throw new Error(`study plan: target ${t.name}: head must be one of ${SEG_HEAD_KINDS.join(', ')}, got "${t.head}".`);
  const budgets: GridBudget[] = segment ? t.budgets!.map((k) => ({ images: k })) : (t.budgets ?? plan.budgets).map((k) => ({ perClass: k as number }));
  return {
    data: t.data, other: names.map((n) => `${n}=${t.arms[n]}`), methods: plan.methods, arms: ['none', 'same', ...names, ...own],
    budgets, seeds: plan.seeds, splitSeed: plan.splitSeed,
    ...(segment ? { task: 'segment' as const, head: (t.head ?? DEFAULT_SEG_HEAD) as SegHeadKind } : {}),
    tppEpochs: plan.tpp.epochs, tppLr: plan.tpp.lr, tppImages: plan.tpp.images, pretext: 'mae',
    epochs: plan.finetune.epochs, lr: plan.finetune.lr, batch: plan.finetune.batch, patience: plan.finetune.patience,
    backbone: plan.backbone, out: `${out}/${t.name}`, title: `${plan.title}: ${t.name}`, tppSeeds: plan.tppSeeds,
    ...(plan.finetune.minSteps !== undefined ? { minSteps: plan.finetune.minSteps } : {}),
    ...(plan.finetune.headLr !== undefined ? { headLr: plan.finetune.headLr } : {}),
    ...(t.convert ? { convert: true } : {}),
    ...(t.valImages !== undefined ? { valImages: t.valImages } : {}),
    ...(own.length ? { armTpp: t.tppArms } : {}),
  };
}

/** The grid settings of a target's reference methods: no TPP, the same budgets and seeds, in `<target>/references`. */
export function referenceSettings(plan: StudyPlan, t: StudyTarget, out: string): GridSettings | null {
  if (!plan.references.length) return null;
  const s = targetSettings(plan, t, out);
  const { armTpp: _own, ...rest } = s;
  return { ...rest, other: [], arms: ['none'], methods: plan.references, out: `${s.out}/references`, title: `${s.title} (reference methods)` };
}

/** The grids of one target: its TPP arms, then its reference methods where the plan has them. */
export function targetGrids(plan: StudyPlan, t: StudyTarget, out: string): GridSettings[] {
  return [targetSettings(plan, t, out), referenceSettings(plan, t, out)].filter((g): g is GridSettings => g !== null);
}

/** The cells a target's grid wrote (results.json in its store). */
export function targetCells(store: GridStore): CellResult[] {
  const r = store.readJson<{ cells: CellResult[] }>('results.json');
  if (!r) throw new Error(`${store.root}/results.json is missing: the target's grid has not finished; run the study (or its shards and --merge) again.`);
  return r.cells;
}
