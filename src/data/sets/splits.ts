/**
 * Deterministic train/val/test splits and label subsampling for few-label experiments. Everything is driven
 * by a seed: the same dataset and seed give the same result on every run. Selected examples keep their
 * original order (shuffle when batching).
 */
import { Dataset, numClasses, numExamples, subset } from './dataset';
import { mulberry32, seededPermutation, shuffleInPlace } from './random';

/** Options for `split`. */
export interface SplitOptions {
  /** Fraction of examples for validation, in [0, 1). Default 0.1. */
  val?: number;
  /** Fraction for test, in [0, 1). Default 0.2. `val + test` must be below 1. */
  test?: number;
  /** Default 0. */
  seed?: number;
  /**
   * Keep class proportions in each split (per class counts are rounded). Default true; ignored for
   * multi-label datasets and when splitting by group.
   */
  stratify?: boolean;
  /**
   * Keep every group (`ds.groups`, e.g. a patient id) inside one split. Default: true when the dataset has
   * groups. Whole groups are assigned in a seeded order until each split reaches its share, so the fractions
   * are approximate.
   */
  byGroup?: boolean;
}

/** The three parts of a split. */
export interface SplitDatasets {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

/** Index lists (ascending) of each part. */
export interface SplitIndices {
  train: number[];
  val: number[];
  test: number[];
}

/** Class index of each example, or null for multi-label datasets (no single class to stratify on). */
function singleLabels(ds: Dataset): Int32Array | null {
  return ds.task === 'multi-label, binary-class' ? null : ds.labels.data;
}

/** Indices of each class, each list in a seeded order. */
function indicesByClass(ds: Dataset, seed: number): number[][] {
  const labels = ds.labels.data;
  const byClass: number[][] = Array.from({ length: numClasses(ds) }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const rand = mulberry32(seed);
  return byClass.map((list) => shuffleInPlace(list, rand));
}

/** Which examples go to train, val and test (see `SplitOptions`). */
export function splitIndices(ds: Dataset, options: SplitOptions = {}): SplitIndices {
  const { val = 0.1, test = 0.2, seed = 0 } = options;
  if (!(val >= 0 && test >= 0 && val + test < 1)) throw new Error(`split: val (${val}) and test (${test}) must be ≥ 0 with val + test < 1.`);
  const n = numExamples(ds);
  const byGroup = options.byGroup ?? Boolean(ds.groups);
  const out: SplitIndices = { train: [], val: [], test: [] };
  if (byGroup) {
    if (!ds.groups) throw new Error(`split: byGroup needs ds.groups (e.g. patient ids); ${ds.source} has none.`);
    const members = new Map<string, number[]>();
    ds.groups.forEach((g, i) => (members.get(g) ?? members.set(g, []).get(g)!).push(i));
    const names = [...members.keys()].sort();
    const order = seededPermutation(names.length, seed);
    const targets = { test: Math.round(n * test), val: Math.round(n * val) };
    for (const k of order) {
      const idx = members.get(names[k])!;
      const part = out.test.length < targets.test ? out.test : out.val.length < targets.val ? out.val : out.train;
      part.push(...idx);
    }
  } else {
    const labels = singleLabels(ds);
    const lists = labels && options.stratify !== false ? indicesByClass(ds, seed) : [Array.from(seededPermutation(n, seed))];
    for (const list of lists) {
      const nTest = Math.round(list.length * test);
      const nVal = Math.round(list.length * val);
      out.test.push(...list.slice(0, nTest));
      out.val.push(...list.slice(nTest, nTest + nVal));
      out.train.push(...list.slice(nTest + nVal));
    }
  }
  for (const part of [out.train, out.val, out.test]) part.sort((a, b) => a - b);
  return out;
}

/**
 * Split one dataset into train/val/test, deterministically (for sources without official splits, such as a
 * DICOM folder). Stratified by class by default; by group (patient) when the dataset has groups.
 */
export function split(ds: Dataset, options: SplitOptions = {}): SplitDatasets {
  const idx = splitIndices(ds, options);
  return {
    train: subset(ds, idx.train, `${ds.source}/train`),
    val: subset(ds, idx.val, `${ds.source}/val`),
    test: subset(ds, idx.test, `${ds.source}/test`),
  };
}

/** How many labelled examples to keep: exactly `perClass` of each class, or `fraction` of each class. */
export type SubsampleSpec = { perClass: number } | { fraction: number };

/**
 * A label budget written as text: `"10"` → 10 examples per class, `"0.1"` → 10 % of each class, `"all"` (or
 * undefined) → undefined, i.e. every label. Anything else is an Error that shows the accepted forms.
 */
export function parseLabelBudget(text: string | undefined): SubsampleSpec | undefined {
  if (text === undefined || text.trim() === 'all') return undefined;
  const v = Number(text);
  if (text.trim() !== '' && Number.isInteger(v) && v >= 1) return { perClass: v };
  if (v > 0 && v < 1) return { fraction: v };
  throw new Error(`A label budget is a whole number per class (e.g. 10), a fraction in (0, 1) (e.g. 0.1), or "all"; got "${text}".`);
}

/**
 * Keep a stratified subset of labelled examples for few-label experiments, chosen by `seed`.
 *
 * - `{ perClass: k }`: exactly k examples of every class; throws if a class has fewer (so a "k-shot"
 *   experiment never silently gets fewer labels). Not defined for multi-label datasets.
 * - `{ fraction: f }`: `round(f * n_c)` of each class c, at least 1 for a non-empty class when f > 0;
 *   for multi-label datasets, `round(f * N)` examples at random.
 *
 * The same seed with a larger k gives a superset only by chance; compare settings with several seeds.
 */
export function subsampleLabels(ds: Dataset, spec: SubsampleSpec, seed = 0): Dataset {
  let keep: number[];
  if ('perClass' in spec) {
    const k = spec.perClass;
    if (!Number.isInteger(k) || k < 1) throw new Error(`subsampleLabels: perClass must be a whole number ≥ 1, got ${k}.`);
    if (!singleLabels(ds)) throw new Error(`subsampleLabels: perClass is not defined for multi-label data (${ds.source}); use { fraction }.`);
    const lists = indicesByClass(ds, seed);
    lists.forEach((list, c) => {
      if (list.length < k) {
        throw new Error(`subsampleLabels: class ${c} (${ds.classNames[c]}) has only ${list.length} examples in ${ds.source}, fewer than perClass = ${k}; lower perClass or use { fraction }.`);
      }
    });
    keep = lists.flatMap((list) => list.slice(0, k));
  } else {
    const f = spec.fraction;
    if (!(f > 0 && f <= 1)) throw new Error(`subsampleLabels: fraction must be in (0, 1], got ${f}.`);
    if (singleLabels(ds)) {
      keep = indicesByClass(ds, seed).flatMap((list) => list.slice(0, list.length ? Math.max(1, Math.round(f * list.length)) : 0));
    } else {
      const n = numExamples(ds);
      keep = Array.from(seededPermutation(n, seed).subarray(0, Math.round(f * n)));
    }
  }
  keep.sort((a, b) => a - b);
  const what = 'perClass' in spec ? `perClass=${spec.perClass}` : `fraction=${spec.fraction}`;
  return subset(ds, keep, `${ds.source}[${what},seed=${seed}]`);
}
