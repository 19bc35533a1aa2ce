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
import { MedMNISTFlag, MedMNISTSize, checkMedMNISTSize, isMedMNISTFlag, medmnistFileName, medmnistInfo } from '../../data/sources/medmnist-info';
import { type MedMNISTDataset, type Split, SPLITS, splitsOf } from '../../data/sources/medmnist-read';
import { fileSource } from '../file-source';

export { medmnistSplitsFromBytes, scalePixels, SPLITS, type MedMNISTDataset, type Split } from '../../data/sources/medmnist-read';

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
  /** Keep only the first N examples of the split, decoding only those (default: all). */
  limit?: number;
}

/** Options of `loadMedMNISTSplits`. */
export interface LoadMedMNISTSplitsOptions extends MedMNISTLocation {
  /** Keep only the first N training examples, decoding only those (val and test are read whole). */
  limitTrain?: number;
}

/** The cache folder: `$TPP_LAB_CACHE/medmnist` when that variable is set, else `~/.cache/tpp-lab/medmnist`. */
export function defaultCacheDir(): string {
  const root = process.env.TPP_LAB_CACHE?.trim();
  return root ? path.join(root, 'medmnist') : path.join(os.homedir(), '.cache', 'tpp-lab', 'medmnist');
}

/** The repository's bundled `data/` folder. */
export function bundledDataDir(): string {
  return path.resolve(__dirname, '..', '..', '..', 'data');
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

/** Read `splits` from the file and build their datasets (labels of every split are read to infer classes). */
async function loadSplits(flagOrPath: string, splits: readonly Split[], options: MedMNISTLocation, limits: Partial<Record<Split, number>> = {}): Promise<Partial<Record<Split, MedMNISTDataset>>> {
  const where = resolveMedMNIST(flagOrPath, options);
  return splitsOf(() => fileSource(where.path), where, splits, limits);
}

/**
 * All three official splits of a MedMNIST dataset. With `limitTrain`, only that many training images are decoded.
 * `flagOrPath` is a flag (`breastmnist`) or a path to an `.npz` with MedMNIST's keys.
 */
export async function loadMedMNISTSplits(flagOrPath: string, options: LoadMedMNISTSplitsOptions = {}): Promise<Record<Split, MedMNISTDataset>> {
  return (await loadSplits(flagOrPath, SPLITS, options, { train: options.limitTrain })) as Record<Split, MedMNISTDataset>;
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
  return (await loadSplits(flagOrPath, [split], options, { [split]: options.limit }))[split]!;
}
