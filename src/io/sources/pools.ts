/**
 * Image pools: labelled `.npz` packs with the keys `images` `[N, H, W]` or `[N, H, W, C]` (uint8) and `labels`
 * `[N]` — the format of the Tiny-ImageNet, PBC and Kermany packs (see `docs/study.md` for their provenance).
 * A pool has no official split: `loadPool` makes a stratified one from a split seed, so every command and every
 * training seed sees the same test images, and shuffles each part (packs are often sorted by class).
 *
 * Named pools are looked up, in order, in `$TPP_POOLS_DIR`, the repository's `data/pools/` and a `shared/pools/`
 * folder beside the repository (where this project's machines keep them); `TPP_NO_SHARED_POOLS=1` leaves the
 * last one out (to run the tests as a clone without it would). `tpp-lab data pool build` makes the packs from
 * their original archives (`docs/pools.md`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { concatDatasets } from '../../data/sets/concat';
import { Dataset, PixelData, seededShuffle, subset } from '../../data/sets/dataset';
import { listNpzKeys, readNpz, readNpzStrings } from '../../data/formats/npz';
import { split } from '../../data/sets/splits';
import { fileSource } from '../file-source';

/** A named pool: its files (concatenated in order), what it shows, and its split fractions. */
export interface PoolInfo {
  readonly name: string;
  readonly files: readonly string[];
  readonly modality: string;
  /** Class names by label index (otherwise read from the pack's `class_names`, or numbered). */
  readonly classNames?: readonly string[];
  /** Fractions held out for validation and test. */
  readonly val: number;
  readonly test: number;
  /**
   * `original`: the pack's own split, the first folder of each entry of its `filenames` (`train/`, `val/`, `test/`),
   * used instead of a seeded one where images of one subject must stay on one side (the split seed then only
   * shuffles each part).
   */
  readonly split?: 'original';
  /** Where it comes from, licence; shown by `tpp-lab data list` and reports. */
  readonly about: string;
}

/** The pools this project uses (files as described in `docs/study.md`). */
export const POOLS: Readonly<Record<string, PoolInfo>> = Object.freeze({
  tinyimagenet: {
    name: 'tinyimagenet',
    files: ['tinyimagenet200_grey64_0.npz', 'tinyimagenet200_grey64_1.npz'],
    modality: 'natural photographs',
    val: 0.05,
    test: 0.1,
    about: 'Tiny-ImageNet-200 training images, grey 64x64, 40,000 (200 classes); ImageNet terms: non-commercial research and education',
  },
  pbc: {
    name: 'pbc',
    files: ['pbc_blood_rgb32.npz'],
    modality: 'blood-smear microscopy',
    classNames: ['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'],
    val: 0.1,
    test: 0.2,
    about: 'PBC peripheral blood cells (Acevedo et al. 2020), RGB 32x32, 17,092 (8 classes); CC BY 4.0',
  },
  kermany: {
    name: 'kermany',
    files: ['kermany_cxr_grey64.npz'],
    modality: 'chest X-ray',
    classNames: ['normal', 'pneumonia_bacteria', 'pneumonia_virus'],
    val: 0.1,
    test: 0.2,
    about: 'Paediatric chest X-rays (Kermany et al. 2018), training split, grey 64x64, 5,216 (3 classes); CC BY 4.0',
  },
  knee: {
    name: 'knee',
    files: ['knee_oa_kl.npz'],
    modality: 'knee X-ray',
    classNames: ['KL0', 'KL1', 'KL2', 'KL3', 'KL4'],
    val: 0.1,
    test: 0.2,
    // Both knees of a subject are separate images; the release's own split keeps each subject on one side.
    split: 'original',
    about: 'Knee X-rays graded Kellgren-Lawrence 0-4 (Chen 2018, Mendeley Data doi:10.17632/56rmx5bjcr.1; OAI images), grey 64x64, 2,022; CC BY 4.0',
  },
});

/** Is `spec` the name of a known pool? */
export function isPoolName(spec: string): boolean {
  return Object.prototype.hasOwnProperty.call(POOLS, spec);
}

/** Folders searched for pool files, in order. */
export function poolDirs(): string[] {
  const repo = path.resolve(__dirname, '..', '..', '..');
  const dirs = [path.join(repo, 'data', 'pools')];
  if (process.env.TPP_NO_SHARED_POOLS !== '1') dirs.push(path.resolve(repo, '..', 'shared', 'pools'));
  return process.env.TPP_POOLS_DIR ? [path.resolve(process.env.TPP_POOLS_DIR), ...dirs] : dirs;
}

/** Paths of a pool's files; a missing file is an error that says where it was looked for. */
export function poolPaths(name: string, dirs: readonly string[] = poolDirs()): string[] {
  const info = POOLS[name];
  if (!info) throw new Error(`Unknown pool "${name}"; known pools: ${Object.keys(POOLS).join(', ')}.`);
  return info.files.map((f) => {
    const found = dirs.map((d) => path.join(d, f)).find((p) => fs.existsSync(p));
    if (!found) {
      throw new Error(`${f} (pool ${name}) is not in ${dirs.join(', ')}. Put the pack in one of them or set TPP_POOLS_DIR to its folder (see docs/study.md).`);
    }
    return found;
  });
}

/** Does this .npz hold a pool (`images` + `labels`, no MedMNIST split keys)? Reads the zip directory only. */
export function isPoolFile(file: string): boolean {
  if (!file.endsWith('.npz') || !fs.existsSync(file)) return false;
  const keys = new Set(listNpzKeys(fileSource(file)));
  return keys.has('images') && keys.has('labels') && !keys.has('train_images');
}

/** One pack's images and labels as a Dataset (not yet split). */
function readPack(file: string, info: PoolInfo | null): Dataset {
  const a = readNpz(fileSource(file), { keys: ['images', 'labels'] });
  const s = a.images.shape;
  if (s.length !== 3 && s.length !== 4) throw new Error(`${file}: images must have shape [N, H, W] or [N, H, W, C], got [${s.join(', ')}].`);
  if (a.labels.shape.length !== 1 || a.labels.shape[0] !== s[0]) {
    throw new Error(`${file}: labels must have shape [${s[0]}] (one per image), got [${a.labels.shape.join(', ')}].`);
  }
  if (!(a.images.data instanceof Uint8Array) || a.images.dtype === 'bool') {
    throw new Error(`${file}: pool images must be uint8 (0..255), got ${a.images.dtype}; convert the pack with numpy (np.uint8).`);
  }
  const labels = Int32Array.from(a.labels.data);
  let max = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || labels[i] !== a.labels.data[i]) throw new Error(`${file}: labels must be whole numbers ≥ 0 (label ${a.labels.data[i]} at index ${i}).`);
    max = Math.max(max, labels[i]);
  }
  const k = info?.classNames?.length ?? max + 1;
  if (max >= k) throw new Error(`${file}: label ${max} is outside the ${k} classes of pool ${info?.name} (${info?.classNames?.join(', ')}).`);
  const stored = listNpzKeys(fileSource(file)).includes('class_names') ? readNpzStrings(fileSource(file), 'class_names').strings : null;
  const classNames = info?.classNames ? [...info.classNames] : stored && stored.length === k ? [...stored] : Array.from({ length: k }, (_, i) => String(i));
  const data: PixelData = a.images.data;
  return {
    images: { data, shape: [s[0], s[1], s[2], s.length === 4 ? s[3] : 1] },
    labels: { data: labels, shape: [labels.length, 1] },
    task: k === 2 ? 'binary-class' : 'multi-class',
    classNames,
    source: info ? `pool:${info.name}` : file,
    modality: info?.modality,
  };
}

/** The split a pack's `filenames` give (`train/...`, `val/...`, `test/...`), for packs whose subjects must not straddle it. */
function originalSplit(all: Dataset, files: readonly string[]): { train: Dataset; val: Dataset; test: Dataset } {
  const names = files.flatMap((f) => readNpzStrings(fileSource(f), 'filenames').strings);
  const parts: Record<string, number[]> = { train: [], val: [], test: [] };
  names.forEach((name, i) => {
    const part = name.split('/')[0];
    if (!(part in parts)) throw new Error(`${files.join(', ')}: filename "${name}" does not start with train/, val/ or test/, which this pool's split needs.`);
    parts[part].push(i);
  });
  return { train: subset(all, parts.train), val: subset(all, parts.val), test: subset(all, parts.test) };
}

/** Options for `loadPool`. */
export interface LoadPoolOptions {
  /** Seed of the stratified train/val/test split (not the training seed). Default 0. */
  splitSeed?: number;
}

/**
 * A pool (by name, or an `.npz` path with `images` + `labels`) split into train / val / test, stratified by
 * class with `splitSeed`. Named pools use their own fractions (Tiny-ImageNet 85/5/10, others 70/10/20) or their own
 * split (`knee`: the release's, by subject); a file 70/10/20.
 */
export function loadPool(spec: string, options: LoadPoolOptions = {}): { name: string; train: Dataset; val: Dataset; test: Dataset } {
  const info = isPoolName(spec) ? POOLS[spec] : null;
  const files = info ? poolPaths(spec) : [spec];
  const source = info ? `pool:${info.name}` : spec;
  // The packs of one pool share image shape and classes (concatDatasets checks both).
  const all = concatDatasets(files.map((f) => readPack(f, info)), { source });
  const seed = options.splitSeed ?? 0;
  const parts = info?.split === 'original' ? originalSplit(all, files) : split(all, { val: info?.val ?? 0.1, test: info?.test ?? 0.2, seed, stratify: true });
  // Packs may be sorted by class (PBC, Kermany): each part is shuffled with the split seed, so that its first N
  // images (--limit, a TPP image cap) are a random sample, not one class.
  return {
    name: info ? info.name : path.basename(spec, '.npz'),
    train: seededShuffle(parts.train, seed), val: seededShuffle(parts.val, seed + 1), test: seededShuffle(parts.test, seed + 2),
  };
}
