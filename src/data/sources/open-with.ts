/**
 * The data opener's work after reading: a DICOM folder's load checked and said, the training split limited, every
 * split fitted to the backbone (`prepareSplits`). It takes the reader as a function, so it runs in a web page with a
 * reader of its own as well as under Node, where `openData` (open.ts) passes `loadData` (load.ts: files).
 */
import { dicomLoadIsClean, formatDicomLoad, type DicomLoadSummary } from '../dicom/dicom-load';
import { prepareSplits, type PrepareOptions } from '../sets/prepare';
import type { DataSplits, LoadDataOptions } from './load';

/** Reads data by spec, with its splits (under Node `loadData`, load.ts). */
export type LoadData = (spec: string, options: LoadDataOptions) => Promise<DataSplits>;

/** Options of `openData`. */
export interface OpenDataOptions extends PrepareOptions {
  /** Seed of the split of data without official splits (default 0); keep it apart from the training seed. */
  splitSeed?: number;
  /** A DICOM folder: fail when any file failed to read, a CSV row has no file, or a file has no row. */
  strict?: boolean;
}

/**
 * Open `spec` with `load`: load it split by `splitSeed`, keep the first `limit` training images, cap validation at
 * `valImages`, and fit every split to `fit.config` (converting with `fit.convert`). Segmentation data come with
 * their masks in `seg` and their images as `train` / `val` / `test`. A DICOM folder's load summary goes to
 * `onNote` (a warning when files were left out; with `strict`, an error).
 */
export async function openWith(load: LoadData, spec: string, options: OpenDataOptions = {}): Promise<DataSplits> {
  const input = options.fit?.config;
  const loaded = await load(spec, { splitSeed: options.splitSeed ?? 0, imageSize: input?.imageSize, channels: input?.channels, limit: options.limit });
  if (loaded.dicomLoad) checkDicomLoad(spec, loaded.dicomLoad, options);
  return prepareSplits(loaded, options);
}

/**
 * Tell `onNote` what a DICOM folder's load used and left out (a warning when something was left out) and, with
 * `strict`, fail when anything was.
 */
export function checkDicomLoad(folder: string, summary: DicomLoadSummary, options: Pick<OpenDataOptions, 'strict' | 'onNote'>): void {
  const clean = dicomLoadIsClean(summary);
  options.onNote?.(formatDicomLoad(folder, summary), clean ? 'info' : 'warning');
  if (!clean && options.strict) {
    throw new Error(`--strict: ${folder} has failed, missing or unlabelled files (listed above); fix the files or the labels CSV, or run without --strict to train on the ${summary.used} usable files.`);
  }
}
