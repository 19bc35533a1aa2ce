/**
 * A study plan: several targets, each a grid with named TPP arms, sharing one backbone, methods, label
 * budgets, seeds and recipe. Plain JSON (see docs/study.md); `parseStudyPlan` checks every field and names the bad
 * one, so a typo fails before hours of compute. Reading a plan file is Node's (`readStudyPlan`, study-plan-file.ts).
 */
import type { ArmTppSettings } from './settings';
import type { GridSources } from './sources';
import { addSizes, checkGridSize, count, type GridLimits, type GridShape, gridSize } from './size';

/** One target of the study: its data and its TPP arms (arm name → data spec) besides `none` and `same`. */
export interface StudyTarget {
  data: string;
  /** Folder name and report name (default: the data spec's base name). */
  name: string;
  arms: Record<string, string>;
  /** Resize and convert channels of the target and its pools to fit the backbone. */
  convert: boolean;
  /** Whether `data` is segmentation data (not in the plan's JSON: `validateStudyPlan` asks its `isSegmentation`). */
  segment: boolean;
  /** Choose the best epoch on a seeded random sample of at most this many validation images. */
  valImages?: number;
  /**
   * This target's label budgets instead of the plan's: labels per class, or for a segmentation target (required
   * there) labelled images, a whole number or `"all"`.
   */
  budgets?: (number | 'all')[];
  /** A segmentation target's head (default: the library's). */
  head?: string;
  /**
   * Further TPP arms made of pools with their own TPP settings (arm name → settings; settings.ts `ArmTppSettings`):
   * e.g. `"same-2000": { "pools": [{ "data": "same" }], "images": 2000 }` or the target's own images topped up with
   * another pool. `same` in `pools` is the target's own training images.
   */
  tppArms?: Record<string, ArmTppSettings>;
}

/** The whole plan, with defaults filled in. */
export interface StudyPlan {
  title: string;
  /** Backbone folder or file (default: the bundled one). */
  backbone?: string;
  methods: string[];
  /**
   * Reference methods (e.g. `linear-probe`, `full`) run without TPP at the same budgets and seeds, in
   * `<target>/references`: what a head alone and full fine-tuning reach, bracketing the PEFT methods.
   */
  references: string[];
  /**
   * Also run the reference arm `continued-mae`: MAE pre-training of the whole backbone continued on each target's
   * TPP images (same images, epochs, lr and seeds as TPP), then the same PEFT without TPP (continued.ts).
   */
  continued: boolean;
  /** Label budgets per class. */
  budgets: number[];
  seeds: number[];
  /** TPP runs per (method, arm): fine-tuning seed s starts from TPP seed s mod tppSeeds. */
  tppSeeds: number;
  splitSeed: number;
  tpp: { epochs: number; lr: number; images: number };
  finetune: { epochs: number; lr: number; batch: number; minSteps?: number; headLr?: number; patience?: number };
  targets: StudyTarget[];
  /** The most cells of the whole study, and estimated hours of compute (size.ts; default GRID_LIMITS). */
  maxCells?: number;
  maxHours?: number;
}

const KNOWN = ['title', 'backbone', 'methods', 'references', 'continued', 'budgets', 'seeds', 'tppSeeds', 'splitSeed', 'tpp', 'finetune', 'targets', 'maxCells', 'maxHours'];

function fail(where: string, what: string): never {
  throw new Error(`study plan: ${where} ${what}`);
}

function posInt(v: unknown, where: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(where, `must be a whole number >= ${min}, got ${JSON.stringify(v)}.`);
  return v;
}

function posNum(v: unknown, where: string): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) fail(where, `must be a number > 0, got ${JSON.stringify(v)}.`);
  return v;
}

function obj(v: unknown, where: string, known: string[]): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(where, `must be an object, got ${JSON.stringify(v)}.`);
  for (const k of Object.keys(v)) if (!known.includes(k)) fail(`${where}.${k}`, `is not a known field; known: ${known.join(', ')}.`);
  return v as Record<string, unknown>;
}

/** A target's own budgets: a non-empty list of whole numbers ≥ 1 or `"all"`. */
function targetBudgets(v: unknown, where: string): (number | 'all')[] {
  if (!Array.isArray(v) || v.length === 0) fail(where, `must be a non-empty list of whole numbers or "all", got ${JSON.stringify(v)}.`);
  return v.map((x, i) => (x === 'all' ? 'all' : posInt(x, `${where}[${i}]`)));
}

/** A target's further TPP arms: each with `pools` (a non-empty list of `{ data, images? }`) and optional images, epochs, seed. */
function tppArms(v: unknown, where: string, taken: string[]): Record<string, ArmTppSettings> {
  const arms = obj(v, where, Object.keys(v ?? {}));
  const out: Record<string, ArmTppSettings> = {};
  for (const [name, raw] of Object.entries(arms)) {
    const w = `${where}.${name}`;
    if (!/^[A-Za-z0-9_-]+$/.test(name)) fail(w, 'must be a name of letters, digits, - or _.');
    if (taken.includes(name)) fail(w, `is already an arm of the target (${taken.join(', ')}); pick another name.`);
    const a = obj(raw, w, ['pools', 'images', 'epochs', 'seed']);
    if (!Array.isArray(a.pools) || a.pools.length === 0) fail(`${w}.pools`, `must be a non-empty list of { "data": ..., "images": N }, got ${JSON.stringify(a.pools)}.`);
    const pools = a.pools.map((p, i) => {
      const q = obj(p, `${w}.pools[${i}]`, ['data', 'images']);
      if (typeof q.data !== 'string' || !q.data) fail(`${w}.pools[${i}].data`, 'must name a dataset, or "same" for the target\'s own images.');
      return { data: q.data, ...(q.images !== undefined ? { images: posInt(q.images, `${w}.pools[${i}].images`) } : {}) };
    });
    out[name] = {
      pools, ...(a.images !== undefined ? { images: posInt(a.images, `${w}.images`) } : {}), ...(a.epochs !== undefined ? { epochs: posInt(a.epochs, `${w}.epochs`) } : {}),
      ...(a.seed !== undefined ? { seed: posInt(a.seed, `${w}.seed`, 0) } : {}),
    };
  }
  return out;
}

/**
 * Check a parsed plan and fill in its defaults; throws naming the first bad field, or (`GridSizeError`) when the
 * study is larger than its limits: `limits` (the command's flags), else the plan's `maxCells` and `maxHours`.
 * `sources.isSegmentation` tells segmentation targets apart (`nodeGridSources` under Node, src/io/grid-sources.ts).
 */
export function validateStudyPlan(raw: unknown, sources: Pick<GridSources, 'isSegmentation'>, limits: Partial<GridLimits> = {}): StudyPlan {
  const p = obj(raw, 'the plan', KNOWN);
  const list = (k: string, each: (v: unknown, where: string) => unknown) => {
    const v = p[k];
    if (!Array.isArray(v) || v.length === 0) fail(k, `must be a non-empty list, got ${JSON.stringify(v)}.`);
    return v.map((x, i) => each(x, `${k}[${i}]`));
  };
  const methods = list('methods', (v, w) => (typeof v === 'string' && v ? v : fail(w, 'must be a method name.'))) as string[];
  const references = p.references === undefined ? [] : (list('references', (v, w) => (typeof v === 'string' && v ? v : fail(w, 'must be a method name.'))) as string[]);
  for (const r of references) if (methods.includes(r)) fail('references', `repeats the method "${r}" of methods.`);
  const budgets = list('budgets', (v, w) => posInt(v, w)) as number[];
  // A count of seeds becomes a list only after the study's size is checked (a huge count must not fill the heap).
  const seedCount = typeof p.seeds === 'number' ? posInt(p.seeds, 'seeds') : undefined;
  const seedList = seedCount === undefined ? (list('seeds', (v, w) => posInt(v, w, 0)) as number[]) : undefined;
  if (seedList && new Set(seedList).size !== seedList.length) fail('seeds', 'must not repeat a seed.');
  const tpp = obj(p.tpp ?? {}, 'tpp', ['epochs', 'lr', 'images']);
  const ft = obj(p.finetune ?? {}, 'finetune', ['epochs', 'lr', 'batch', 'minSteps', 'headLr', 'patience']);
  const targets = list('targets', (v, w) => {
    const t = obj(v, w, ['data', 'name', 'arms', 'convert', 'valImages', 'budgets', 'head', 'tppArms']);
    if (typeof t.data !== 'string' || !t.data) fail(`${w}.data`, 'must name a dataset (e.g. "pneumoniamnist").');
    const arms = obj(t.arms ?? {}, `${w}.arms`, Object.keys(t.arms ?? {}));
    for (const [name, spec] of Object.entries(arms)) {
      if (name === 'none' || name === 'same') fail(`${w}.arms.${name}`, 'is built in (none: no TPP; same: the target\'s own images); remove it.');
      if (typeof spec !== 'string' || !spec) fail(`${w}.arms.${name}`, 'must name a dataset.');
      if (!/^[A-Za-z0-9_-]+$/.test(name)) fail(`${w}.arms.${name}`, 'must be a name of letters, digits, - or _.');
    }
    const name = t.name === undefined ? t.data.replace(/^.*\//, '').replace(/\.npz$/, '') : String(t.name);
    return {
      data: t.data, name, arms: arms as Record<string, string>, convert: t.convert === true, segment: sources.isSegmentation(t.data),
      ...(t.valImages !== undefined ? { valImages: posInt(t.valImages, `${w}.valImages`) } : {}),
      ...(t.budgets !== undefined ? { budgets: targetBudgets(t.budgets, `${w}.budgets`) } : {}),
      ...(t.head !== undefined ? { head: typeof t.head === 'string' && t.head ? t.head : fail(`${w}.head`, 'must name a head (linear or progressive).') } : {}),
      ...(t.tppArms !== undefined ? { tppArms: tppArms(t.tppArms, `${w}.tppArms`, ['none', 'same', ...Object.keys(arms)]) } : {}),
    };
  }) as StudyTarget[];
  const names = targets.map((t) => t.name);
  if (new Set(names).size !== names.length) fail('targets', `need distinct names (give "name"), got ${names.join(', ')}.`);
  const plan: Omit<StudyPlan, 'seeds'> = {
    title: typeof p.title === 'string' ? p.title : 'TPP study',
    backbone: p.backbone === undefined ? undefined : String(p.backbone),
    methods, references, budgets,
    continued: p.continued === undefined ? false : p.continued === true ? true : p.continued === false ? false : fail('continued', `must be true or false, got ${JSON.stringify(p.continued)}.`),
    tppSeeds: p.tppSeeds === undefined ? 3 : posInt(p.tppSeeds, 'tppSeeds'),
    splitSeed: p.splitSeed === undefined ? 0 : posInt(p.splitSeed, 'splitSeed', 0),
    tpp: { epochs: tpp.epochs === undefined ? 20 : posInt(tpp.epochs, 'tpp.epochs'), lr: tpp.lr === undefined ? 3e-3 : posNum(tpp.lr, 'tpp.lr'), images: tpp.images === undefined ? 2000 : posInt(tpp.images, 'tpp.images') },
    finetune: {
      epochs: ft.epochs === undefined ? 30 : posInt(ft.epochs, 'finetune.epochs'), lr: ft.lr === undefined ? 3e-3 : posNum(ft.lr, 'finetune.lr'),
      batch: ft.batch === undefined ? 16 : posInt(ft.batch, 'finetune.batch'),
      ...(ft.minSteps !== undefined ? { minSteps: posInt(ft.minSteps, 'finetune.minSteps') } : {}),
      ...(ft.headLr !== undefined ? { headLr: posNum(ft.headLr, 'finetune.headLr') } : {}),
      ...(ft.patience !== undefined ? { patience: posInt(ft.patience, 'finetune.patience') } : {}),
    },
    targets,
  };
  // The command's limits win over the plan's; either is kept in the plan, so each target's grid is checked alike.
  const maxCells = limits.maxCells ?? (p.maxCells === undefined ? undefined : posInt(p.maxCells, 'maxCells'));
  const maxHours = limits.maxHours ?? (p.maxHours === undefined ? undefined : posNum(p.maxHours, 'maxHours'));
  if (maxCells !== undefined) plan.maxCells = maxCells;
  if (maxHours !== undefined) plan.maxHours = maxHours;
  const n = seedCount ?? seedList!.length;
  const made = `${targets.length} target${targets.length > 1 ? 's' : ''}; ${methods.length} method${methods.length > 1 ? 's' : ''}` +
    `${references.length ? ` and ${references.length} reference${references.length > 1 ? 's' : ''}` : ''} x ${count(n)} seed${n > 1 ? 's' : ''}, ${count(plan.finetune.epochs)} epochs`;
  checkGridSize(addSizes(studyShapes(plan, n).map(gridSize)), made, { maxCells: plan.maxCells, maxHours: plan.maxHours },
    { cells: '"maxCells" in the plan (or --max-cells N)', hours: '"maxHours" in the plan (or --max-hours H)' }, 'the study plan');
  return { ...plan, seeds: seedList ?? Array.from({ length: n }, (_, i) => i) };
}

/** Parse and check a plan's JSON text (`name` says where it came from in errors; `sources`, `limits` as in `validateStudyPlan`). */
export function parseStudyPlan(text: string, name: string, sources: Pick<GridSources, 'isSegmentation'>, limits?: Partial<GridLimits>): StudyPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`study plan ${name}: ${(e as Error).message}. Write it as JSON (see docs/study.md).`);
  }
  return validateStudyPlan(raw, sources, limits);
}

/**
 * The grids of `plan` as counts, `seeds` fine-tuning seeds each: the shapes of every target's `targetGrids` and of
 * its continued arm (the continued backbones counted as TPP runs). `validateStudyPlan` checks their size before the
 * plan's seeds exist as a list.
 */
export function studyShapes(plan: Omit<StudyPlan, 'seeds'>, seeds: number): GridShape[] {
  const shapes: GridShape[] = [];
  const recipe = { seeds, tppSeeds: plan.tppSeeds, epochs: plan.finetune.epochs, minSteps: plan.finetune.minSteps };
  for (const t of plan.targets) {
    const segment = t.segment;
    const budgets = (t.budgets ?? plan.budgets).length;
    const tppEpochs = [plan.tpp.epochs, ...Object.keys(t.arms).map(() => plan.tpp.epochs), ...Object.values(t.tppArms ?? {}).map((a) => a.epochs ?? plan.tpp.epochs)];
    shapes.push({ methods: plan.methods.length, arms: 1 + tppEpochs.length, tppEpochs, budgets, segment, ...recipe });
    if (plan.references.length) shapes.push({ methods: plan.references.length, arms: 1, tppEpochs: [], budgets, segment, ...recipe });
    if (plan.continued) {
      shapes.push({ methods: 1, arms: 0, tppEpochs: [plan.tpp.epochs], budgets, ...recipe });
      shapes.push({ methods: plan.methods.length, arms: 1, tppEpochs: [], budgets, segment, ...recipe });
    }
  }
  return shapes;
}
