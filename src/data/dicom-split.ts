/**
 * Deterministic train/val/test splits for DICOM datasets: stratified by label, or grouped by patient so that
 * no patient lands in two splits (groups are stratified by their most frequent label).
 */

/** Indices into the dataset for each split. */
export interface SplitIndices {
  train: number[];
  val: number[];
  test: number[];
}

/** mulberry32: a small seeded PRNG giving floats in [0, 1); the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * Split examples into train/val/test. `groups[i]` (e.g. a patient id) keeps all examples of a group in one
 * split; pass `null` to split examples one by one. Within each label (of the example, or the group's most
 * frequent label) `round(n * val)` examples go to val and `round(n * test)` to test, the rest to train.
 * Index lists come back sorted.
 */
export function splitIndices(
  labels: ArrayLike<number>,
  groups: readonly string[] | null,
  fractions: { val: number; test: number },
  seed: number,
): SplitIndices {
  const { val, test } = fractions;
  if (!(val >= 0 && test >= 0 && val + test < 1)) {
    throw new Error(`Split fractions val=${val}, test=${test} must be >= 0 with val + test < 1.`);
  }
  const rand = seededRandom(seed);
  // units: a group of example indices that moves together
  const units = new Map<string, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const key = groups ? `g:${groups[i]}` : `i:${i}`;
    const list = units.get(key);
    if (list) list.push(i);
    else units.set(key, [i]);
  }
  const byLabel = new Map<number, number[][]>();
  for (const key of [...units.keys()].sort()) {
    const members = units.get(key)!;
    const counts = new Map<number, number>();
    for (const i of members) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
    const label = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
    const list = byLabel.get(label);
    if (list) list.push(members);
    else byLabel.set(label, [members]);
  }
  const out: SplitIndices = { train: [], val: [], test: [] };
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const unitsOfLabel = shuffle(byLabel.get(label)!, rand);
    const total = unitsOfLabel.reduce((s, u) => s + u.length, 0);
    const wantTest = Math.round(total * test);
    const wantVal = Math.round(total * val);
    let nTest = 0;
    let nVal = 0;
    for (const u of unitsOfLabel) {
      if (nTest < wantTest) {
        out.test.push(...u);
        nTest += u.length;
      } else if (nVal < wantVal) {
        out.val.push(...u);
        nVal += u.length;
      } else out.train.push(...u);
    }
  }
  out.train.sort((a, b) => a - b);
  out.val.sort((a, b) => a - b);
  out.test.sort((a, b) => a - b);
  return out;
}
