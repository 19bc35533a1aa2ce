/**
 * Data by name, as `--data` means it for every stage: a MedMNIST flag (`breastmnist`), an `.npz` file with
 * MedMNIST's keys, `fashion-mnist` (the non-medical pool, from Debian's package), a pool (`tinyimagenet`, `pbc`,
 * `kermany`, or an .npz with `images` + `labels`), a segmentation pack (its images), or a folder of DICOM files with a
 * labels CSV. This module reads files (Node); `openData` (open.ts) adds the limit and the fit to a backbone
 * (`prepareSplits`, browser-safe) and is what commands and notebooks call. Its types (`DataSplits`,
 * `LoadDataOptions`) live with the browser-safe part, src/data/sources/open-with.ts.
 */
import * as fs from 'fs';
import { Dataset, numExamples } from '../../data/sets/dataset';
import { loadDicomDataset } from '../dicom-dataset';
import { loadFashionMNIST } from './fashion-mnist';
import { loadMedMNISTSplits } from './medmnist';
import { isPoolFile, isPoolName, loadPool } from './pools';
import { isSegmentationData, loadSegData } from './seg-source';
import { segImages } from '../../data/sets/segmentation';
import { split } from '../../data/sets/splits';
import type { DataSplits, LoadDataOptions } from '../../data/sources/open-with';

export type { DataSplits, LoadDataOptions } from '../../data/sources/open-with';

/**
 * Load `spec` with its official splits when it has them (MedMNIST), or a seeded stratified 70/10/20 split
 * (by `splitSeed`). A missing dataset is an error that says how to get it.
 */
export async function loadData(spec: string, options: LoadDataOptions = {}): Promise<DataSplits> {
  const s = spec.trim();
  if (s === 'fashion-mnist') {
    // Official train/test; validation is a seeded 5,000-image slice of train.
    const full = loadFashionMNIST('train');
    const parts = split(full, { val: 5000 / numExamples(full), test: 0, seed: options.splitSeed ?? 0 });
    return { name: 'fashion-mnist', train: parts.train, val: parts.val, test: loadFashionMNIST('test') };
  }
  if (isSegmentationData(s)) {
    // Segmentation data: the masks in `seg`, the images (all that MAE pre-training and TPP use) as the splits.
    const p = await loadSegData(s, { splitSeed: options.splitSeed ?? 0 });
    return { name: p.name, train: segImages(p.train), val: segImages(p.val), test: segImages(p.test), seg: { train: p.train, val: p.val, test: p.test } };
  }
  if (fs.existsSync(s) && fs.statSync(s).isDirectory()) {
    const ds = await loadDicomDataset(s, { seed: options.splitSeed ?? 0, size: options.imageSize ?? 28, channels: options.channels === 3 ? 3 : 1 });
    const dicomLoad = { used: numExamples(ds.all), failures: ds.failures, missing: ds.missing, unlabeled: ds.unlabeled };
    return { name: s, train: ds.train, val: ds.val, test: ds.test, dicomLoad };
  }
  if (isPoolName(s) || isPoolFile(s)) return loadPool(s, { splitSeed: options.splitSeed ?? 0 });
  // `limit` (the first N training images) is applied before decoding: only those images are inflated.
  const parts = await loadMedMNISTSplits(s, { limitTrain: options.limit });
  return { name: parts.train.source.replace(/\/train$/, ''), train: parts.train, val: parts.val, test: parts.test };
}

/** `limit` moved to sets/dataset.ts (it touches no file); re-exported for old imports. */
