/**
 * The data opener's work after reading: a DICOM folder's load checked and said, the training split limited, every
 * split fitted to the backbone (`prepareSplits`). It takes the reader as a function, so it runs in a web page with a
 * reader of its own as well as under Node, where `openData` (src/io/sources/open.ts) passes `loadData`
 * (src/io/sources/load.ts: files). The reader's types (`DataSplits`, `LoadDataOptions`) live here, beside it.
 */
import { dicomLoadIsClean, formatDicomLoad, type DicomLoadSummary } from '../dicom/dicom-load';
import { prepareSplits, type PrepareOptions, type Splits } from '../sets/prepare';

/** Loaded splits (see `Splits`), plus what a DICOM folder's load left out. */
export interface DataSplits extends Splits {
  /** For a DICOM folder: what was used and what was left out (failed, missing, unlabelled files). */
  dicomLoad?: DicomLoadSummary;
}

/** Options of `loadData`. */
export interface LoadDataOptions {
  /**
   * Seed of the split of data without official splits (a DICOM folder's or a segmentation pack's 70/10/20 split,
   * Fashion-MNIST's validation slice, a pool's split); default 0. Keep it apart from the training seed, so that runs with different training seeds are
   * evaluated on the same test images.
   */
  splitSeed?: number;
  /** Image size of a DICOM folder's images (default 28). */
  imageSize?: number;
  /** Channels of a DICOM folder's images: 1 (default) or 3. */
  channels?: number;
  /** Keep only the first N training images; for a MedMNIST .npz only those are decoded. */
  limit?: number;
}

/** Reads data by spec, with its splits (under Node `loadData`, src/io/sources/load.ts). */
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
