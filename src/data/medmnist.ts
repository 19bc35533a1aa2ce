/**
 * Load MedMNIST `.npz` files (official ones, by flag, or any file with MedMNIST's keys) as `Dataset`s.
 *
 * Where files are looked for, in order: the bundled `data/` folder of this repository (BreastMNIST and
 * PneumoniaMNIST, size 28), then the cache folder: `options.cacheDir`, else `$TPP_LAB_CACHE/medmnist`, else
 * `~/.cache/tpp-lab/medmnist`. Nothing is downloaded here: a missing file is an Error that says how to get it
 * (`tpp-lab data download <flag>` or `downloadMedMNIST` in `download.ts`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Dataset, PixelData, Task, validateDataset } from './dataset';
import { NpyArray } from './npy';
import { readNpz } from './npz';
import { MedMNISTFlag, MedMNISTInfo, MedMNISTSize, checkMedMNISTSize, isMedMNISTFlag, medmnistFileName, medmnistInfo } from './medmnist-info';

/** The official splits. */
export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** Where `loadMedMNIST` and the download look for files. */
export interface MedMNISTLocation {
  /** Image size (28, 64, 128, 224); default 28. */
  size?: MedMNISTSize;
  /** Cache folder; default `defaultCacheDir()`. */
  cacheDir?: string;
}

export interface LoadMedMNISTOptions extends MedMNISTLocation {
  /** Which split; default `train`. */
  split?: Split;
}

/** A MedMNIST split: a `Dataset` plus what is known about where it came from. */
export interface MedMNISTDataset extends Dataset {
  /** The MedMNIST flag, or null for a file that is not named after one. */
  flag: MedMNISTFlag | null;
  split: Split;
  /** The catalogue entry (null for an unknown file: task and classes are then inferred from the labels). */
  info: MedMNISTInfo | null;
  /** The .npz file read. */
  path: string;
}

/** The cache folder: `$TPP_LAB_CACHE/medmnist` when that variable is set, else `~/.cache/tpp-lab/medmnist`. */
export function defaultCacheDir(): string {
  const root = process.env.TPP_LAB_CACHE?.trim();
  return root ? path.join(root, 'medmnist') : path.join(os.homedir(), '.cache', 'tpp-lab', 'medmnist');
}

/** The repository's bundled `data/` folder. */
export function bundledDataDir(): string {
  return path.resolve(__dirname, '..', '..', 'data');
}

/** The places a flag's file is looked for, in order. */
export function medmnistCandidatePaths(flag: MedMNISTFlag, options: MedMNISTLocation = {}): string[] {
  const name = medmnistFileName(flag, checkMedMNISTSize(options.size ?? 28));
  return [path.join(bundledDataDir(), name), path.join(options.cacheDir ?? defaultCacheDir(), name)];
}

/** Path of a flag's file if it is bundled or cached, else null. */
export function findMedMNISTFile(flag: MedMNISTFlag, options: MedMNISTLocation = {}): string | null {
  return medmnistCandidatePaths(flag, options).find((p) => fs.existsSync(p)) ?? null;
}

/** Does the argument name a file rather than a flag? */
function looksLikePath(flagOrPath: string): boolean {
  return flagOrPath.endsWith('.npz') || flagOrPath.includes('/') || flagOrPath.includes(path.sep);
}

/** Resolve a flag or a path to the file to read and the catalogue entry (if any). */
export function resolveMedMNIST(flagOrPath: string, options: MedMNISTLocation = {}): { path: string; flag: MedMNISTFlag | null; size: number | null } {
  if (looksLikePath(flagOrPath)) {
    if (!fs.existsSync(flagOrPath)) throw new Error(`No such file: ${flagOrPath}.`);
    const m = /^([a-z]+mnist)(?:_(64|128|224))?\.npz$/.exec(path.basename(flagOrPath));
    const flag = m && isMedMNISTFlag(m[1]) ? m[1] : null;
    return { path: flagOrPath, flag, size: flag ? Number(m![2] ?? 28) : null };
  }
  const info = medmnistInfo(flagOrPath);
  const size = checkMedMNISTSize(options.size ?? 28);
  const found = findMedMNISTFile(info.flag, options);
  if (!found) {
    const cache = options.cacheDir ?? defaultCacheDir();
    throw new Error(
      `${medmnistFileName(info.flag, size)} is not in ${bundledDataDir()} nor in the cache ${cache}. ` +
        `Get it with \`npx tpp-lab data download ${info.flag}${size === 28 ? '' : ` --size ${size}`}\`` +
        `${options.cacheDir ? ` --cache ${options.cacheDir}` : ''}, or place the file in ${cache}.`,
    );
  }
  return { path: found, flag: info.flag, size };
}

/** Images `[N, H, W]` or `[N, H, W, C]` as channels-last pixels. */
function toImages(a: NpyArray, where: string): Dataset['images'] {
  const s = a.shape;
  if (s.length !== 3 && s.length !== 4) throw new Error(`${where}: images must have shape [N, H, W] or [N, H, W, C], got [${s.join(', ')}].`);
  const data: PixelData = a.data instanceof Uint8Array && a.dtype !== 'bool' ? a.data : Float32Array.from(a.data);
  return { data, shape: [s[0], s[1], s[2], s.length === 4 ? s[3] : 1] };
}

/** Labels `[N]` or `[N, L]` as int32 `[N, L]`. */
function toLabels(a: NpyArray, where: string): Dataset['labels'] {
  const s = a.shape;
  if (s.length !== 1 && s.length !== 2) throw new Error(`${where}: labels must have shape [N] or [N, L], got [${s.join(', ')}].`);
  const data = Int32Array.from(a.data);
  if (data.some((x, i) => x !== a.data[i])) throw new Error(`${where}: labels must be whole numbers.`);
  return { data, shape: [s[0], s.length === 2 ? s[1] : 1] };
}

/** Task and class names for a file we have no catalogue entry for, from its labels. */
function inferTask(labels: Dataset['labels'][]): { task: Task; classNames: string[] } {
  const l = labels[0].shape[1];
  if (l > 1) return { task: 'multi-label, binary-class', classNames: Array.from({ length: l }, (_, i) => String(i)) };
  let max = 0;
  for (const lab of labels) for (const x of lab.data) max = Math.max(max, x);
  const k = Math.max(2, max + 1);
  return { task: k === 2 ? 'binary-class' : 'multi-class', classNames: Array.from({ length: k }, (_, i) => String(i)) };
}

/** Read `splits` from the file and build their datasets (labels of every split are read to infer classes). */
function loadSplits(flagOrPath: string, splits: readonly Split[], options: MedMNISTLocation): Partial<Record<Split, MedMNISTDataset>> {
  const where = resolveMedMNIST(flagOrPath, options);
  const info = where.flag ? medmnistInfo(where.flag) : null;
  // For a file without a catalogue entry, classes come from the labels of all splits, so every split agrees.
  const labelSplits = info ? splits : SPLITS;
  const keys = [...splits.map((s) => `${s}_images`), ...labelSplits.map((s) => `${s}_labels`)];
  const arrays = readNpz(where.path, { keys });
  const labels = new Map(labelSplits.map((s) => [s, toLabels(arrays[`${s}_labels`], `${where.path}: ${s}_labels`)]));
  const meta = info ? { task: info.task, classNames: [...info.classNames] } : inferTask([...labels.values()]);
  const out: Partial<Record<Split, MedMNISTDataset>> = {};
  for (const split of splits) {
    const images = toImages(arrays[`${split}_images`], `${where.path}: ${split}_images`);
    if (info && images.shape[3] !== info.channels) {
      throw new Error(`${where.path}: ${split}_images have ${images.shape[3]} channels but ${info.flag} has ${info.channels}; is the file damaged or misnamed?`);
    }
    const source = where.flag ? `medmnist:${where.flag}@${where.size}/${split}` : `${where.path}/${split}`;
    const ds: MedMNISTDataset = { images, labels: labels.get(split)!, ...meta, source, flag: where.flag, split, info, path: where.path };
    if (info) ds.modality = info.modality;
    out[split] = validateDataset(ds) as MedMNISTDataset;
  }
  return out;
}

/**
 * All three official splits of a MedMNIST dataset, reading the file once.
 * `flagOrPath` is a flag (`breastmnist`) or a path to an `.npz` with MedMNIST's keys.
 */
export async function loadMedMNISTSplits(flagOrPath: string, options: MedMNISTLocation = {}): Promise<Record<Split, MedMNISTDataset>> {
  return loadSplits(flagOrPath, SPLITS, options) as Record<Split, MedMNISTDataset>;
}

/**
 * One split of a MedMNIST dataset: images `[N, H, W, C]` (uint8, channels-last; grey files get C = 1),
 * labels `[N, L]` int32, plus task, class names, modality and the catalogue entry (null for a file not named
 * after a MedMNIST flag: task and class names are then inferred from the labels).
 *
 * ```ts
 * const train = await loadMedMNIST('breastmnist', { split: 'train' }); // bundled, works offline
 * train.images.shape; // [546, 28, 28, 1]
 * ```
 */
export async function loadMedMNIST(flagOrPath: string, options: LoadMedMNISTOptions = {}): Promise<MedMNISTDataset> {
  const split = options.split ?? 'train';
  if (!SPLITS.includes(split)) throw new Error(`Unknown split "${split}"; use one of ${SPLITS.join(', ')}.`);
  return loadSplits(flagOrPath, [split], options)[split]!;
}
