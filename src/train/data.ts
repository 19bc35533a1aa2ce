/**
 * What `--data` means for every stage: a MedMNIST flag (`breastmnist`), an `.npz` file with MedMNIST's keys,
 * `fashion-mnist` (the non-medical pool, from Debian's package), or a folder of DICOM files with a labels CSV.
 * Also the checks that data and backbone fit (image size, channels), with an explicit conversion when asked.
 */
import * as fs from 'fs';
import { Dataset, numExamples, subset } from '../data/dataset';
import { split } from '../data/splits';
import { loadDicomDataset, type DicomLoadSummary } from '../data/dicom-dataset';
import { loadFashionMNIST } from '../data/idx';
import { loadMedMNISTSplits } from '../data/medmnist';
import { isPoolFile, isPoolName, loadPool } from '../data/pools';
import { resizeBilinear } from '../data/resize';
import { isSegmentationData, loadSegData } from '../data/seg-source';
import { segImages } from '../data/segmentation';
import type { ViTConfig } from '../model/config';
import { checkImagesFit } from './common';

/** Train / validation / test parts of one dataset plus a short name for reports and metadata. */
export interface DataSplits {
  name: string;
  train: Dataset;
  val: Dataset;
  test: Dataset;
  /** For a DICOM folder: what was used and what was left out (failed, missing, unlabelled files). */
  dicomLoad?: DicomLoadSummary;
}

/**
 * Load `spec` with its official splits when it has them (MedMNIST), or a seeded stratified 70/10/20 split.
 * `limit` keeps the first N training images; for an .npz only those are decoded.
 * A missing dataset is an error that says how to get it.
 */
export async function loadData(spec: string, options: { seed?: number; imageSize?: number; channels?: number; limit?: number } = {}): Promise<DataSplits> {
  const s = spec.trim();
  if (s === 'fashion-mnist') {
    // Official train/test; validation is a seeded 5,000-image slice of train.
    const full = loadFashionMNIST('train');
    const parts = split(full, { val: 5000 / numExamples(full), test: 0, seed: options.seed ?? 0 });
    return { name: 'fashion-mnist', train: parts.train, val: parts.val, test: loadFashionMNIST('test') };
  }
  if (isSegmentationData(s)) {
    // Segmentation data as images (MAE pre-training, TPP): the same split as fine-tuning with --task segment uses.
    const p = await loadSegData(s);
    return { name: p.name, train: segImages(p.train), val: segImages(p.val), test: segImages(p.test) };
  }
  if (fs.existsSync(s) && fs.statSync(s).isDirectory()) {
    const ds = await loadDicomDataset(s, { seed: options.seed ?? 0, size: options.imageSize ?? 28, channels: options.channels === 3 ? 3 : 1 });
    const dicomLoad = { used: numExamples(ds.all), failures: ds.failures, missing: ds.missing, unlabeled: ds.unlabeled };
    return { name: s, train: ds.train, val: ds.val, test: ds.test, dicomLoad };
  }
  if (isPoolName(s) || isPoolFile(s)) return loadPool(s, { splitSeed: options.seed ?? 0 });
  // `limit` (the first N training images) is applied before decoding: only those images are inflated.
  const parts = await loadMedMNISTSplits(s, { limitTrain: options.limit });
  return { name: parts.train.source.replace(/\/train$/, ''), train: parts.train, val: parts.val, test: parts.test };
}

/**
 * Make `ds` match the backbone's input. Matching data passes through. A mismatch is an error naming both shapes,
 * unless `convert` is true: then channels are replicated (grey → RGB) or averaged (RGB → grey) and images are
 * resized bilinearly.
 */
export function fitToBackbone(ds: Dataset, config: ViTConfig, convert = false): Dataset {
  const [n, h, w, c] = ds.images.shape;
  if (h === config.imageSize && w === config.imageSize && c === config.channels) return ds;
  if (!convert) checkImagesFit(ds, config, 'data');
  const src = ds.images.data;
  const scale = src instanceof Uint8Array ? 1 / 255 : 1;
  const out = new Float32Array(n * config.imageSize * config.imageSize * config.channels);
  const plane = new Float32Array(h * w);
  const per = config.imageSize * config.imageSize;
  for (let i = 0; i < n; i++) {
    // Channel conversion to the backbone's count, one output channel at a time.
    for (let oc = 0; oc < config.channels; oc++) {
      for (let p = 0; p < h * w; p++) {
        const base = (i * h * w + p) * c;
        let v = 0;
        if (c === config.channels) v = src[base + oc];
        else if (c === 1) v = src[base];
        else if (config.channels === 1) {
          for (let k = 0; k < c; k++) v += src[base + k];
          v /= c;
        } else v = src[base + Math.min(oc, c - 1)];
        plane[p] = v * scale;
      }
      const resized = resizeBilinear(plane, h, w, 1, config.imageSize, config.imageSize);
      for (let p = 0; p < per; p++) out[(i * per + p) * config.channels + oc] = resized[p];
    }
  }
  return { ...ds, images: { data: out, shape: [n, config.imageSize, config.imageSize, config.channels] }, source: `${ds.source} (converted)` };
}

/** The first `n` examples (keeps quick profiles and tests small); the whole set when n is undefined or larger. */
export function limit(ds: Dataset, n?: number): Dataset {
  if (n === undefined || n >= numExamples(ds)) return ds;
  return subset(ds, Int32Array.from({ length: n }, (_, i) => i));
}
