/**
 * "Limit, fit to the backbone" in one place: what every command, the grid and the notebooks do to loaded splits
 * before training. Works on arrays only (no file access), so a web page runs it on data it decoded itself;
 * `openData` (src/io/sources/open.ts) reads `--data` and calls it.
 */
import { capImages, limit, type Dataset } from './dataset';
import { describeFit, fitSegToBackbone, fitToBackbone, type ImageInput } from './fit';
import { segImages, segSubset, type SegDataset } from './segmentation';

/** Train / validation / test parts of one dataset; segmentation data carry their masks in `seg`. */
export interface Splits {
  name: string;
  train: Dataset;
  val: Dataset;
  test: Dataset;
  /** For segmentation data: the same splits with their masks (`train`, `val`, `test` are their images). */
  seg?: { train: SegDataset; val: SegDataset; test: SegDataset };
}

/** Something worth telling the user: `warning` when data were left out (shown even when quiet), else `info`. */
export type NoteLevel = 'info' | 'warning';

/** Options of `prepareSplits` (and `openData`). */
export interface PrepareOptions {
  /** Keep only the first N training images. */
  limit?: number;
  /** Validation on a seeded random sample (seed 0) of at most N images (classification only). */
  valImages?: number;
  /** Fit every split to this backbone input; `convert` resizes and converts channels, else a mismatch is an error. */
  fit?: { config: ImageInput; convert?: boolean };
  /** Receives what was done to the data (e.g. the conversion of the training images). */
  onNote?: (text: string, level: NoteLevel) => void;
}

/** The first `n` images of a segmentation split with their masks (all of them when n is undefined or larger). */
function limitSeg(ds: SegDataset, n?: number): SegDataset {
  if (n === undefined || n >= ds.images.shape[0]) return ds;
  return segSubset(ds, Array.from({ length: n }, (_, i) => i));
}

/** Tell `onNote` what fitting `ds` to `fit` with a conversion will do to its images (nothing when it fits). */
function noteFit(ds: Dataset, fit: PrepareOptions['fit'], onNote: PrepareOptions['onNote']): void {
  const text = fit?.convert ? describeFit(ds, fit.config) : null;
  if (text) onNote?.(text, 'info');
}

/** `ds` fitted to `fit` (unchanged without it), telling `onNote` what a conversion did to the images. */
export function fitImages(ds: Dataset, fit: PrepareOptions['fit'], onNote?: PrepareOptions['onNote']): Dataset {
  if (!fit) return ds;
  noteFit(ds, fit, onNote);
  return fitToBackbone(ds, fit.config, !!fit.convert);
}

/** `d` with `limit` applied to its training split, validation capped at `valImages`, and fitted to `fit`. */
export function prepareSplits<S extends Splits>(d: S, options: PrepareOptions = {}): S {
  const { fit, onNote } = options;
  if (d.seg) {
    if (options.valImages !== undefined) throw new Error(`${d.name}: a validation sample (valImages) applies to classification data; segmentation is scored on every validation image.`);
    const fitSeg = (ds: SegDataset) => (fit ? fitSegToBackbone(ds, fit.config, !!fit.convert) : ds);
    const train = limitSeg(d.seg.train, options.limit);
    noteFit(segImages(train), fit, onNote);
    const seg = { train: fitSeg(train), val: fitSeg(d.seg.val), test: fitSeg(d.seg.test) };
    return { ...d, train: segImages(seg.train), val: segImages(seg.val), test: segImages(seg.test), seg };
  }
  return { ...d, train: fitImages(limit(d.train, options.limit), fit, onNote), val: fitImages(capImages(d.val, options.valImages), fit), test: fitImages(d.test, fit) };
}

