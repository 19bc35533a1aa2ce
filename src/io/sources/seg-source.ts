/**
 * What `--data` means for segmentation: a segmentation `.npz` pack (seg-load.ts) or a folder of PNG images and
 * masks with `masks.csv` (seg-folder.ts), split 70 / 10 / 20 by a fixed split seed, stratified by image label
 * where there are labels. Also how MAE pre-training and TPP see such data: as images (`segImages`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadSegFolder } from './seg-folder';
import { isSegNpz, loadSegNpz, segPackName } from './seg-load';
import { segSplit, type SegSplits } from '../../data/sets/segmentation';

/** Whether `spec` names segmentation data (a segmentation `.npz`, or a folder with `masks.csv`). */
export function isSegmentationData(spec: string): boolean {
  const s = spec.trim();
  if (!fs.existsSync(s)) return false;
  if (fs.statSync(s).isDirectory()) return fs.existsSync(path.join(s, 'masks.csv'));
  return isSegNpz(s);
}

/** Throw unless `spec` names segmentation data, saying what segmentation data are. */
export function requireSegmentationData(spec: string): void {
  if (!isSegmentationData(spec)) {
    throw new Error(`${spec.trim()} is not segmentation data: pass a segmentation .npz (arrays images and masks, e.g. data/hc18_64.npz) or a folder with masks.csv (columns image,mask).`);
  }
}

/**
 * Load segmentation data and split it by image, deterministically: `splitSeed` (default 0) fixes the split, so
 * runs with different training seeds are scored on the same test images.
 */
export async function loadSegData(spec: string, options: { splitSeed?: number } = {}): Promise<SegSplits> {
  const s = spec.trim();
  requireSegmentationData(s);
  const ds = fs.statSync(s).isDirectory() ? await loadSegFolder(s) : loadSegNpz(s, { name: segPackName(s) });
  return { ...segSplit(ds, { val: 0.1, test: 0.2, seed: options.splitSeed ?? 0 }), name: ds.source };
}
