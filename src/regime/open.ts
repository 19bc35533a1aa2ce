/**
 * The regime predictor's files, and "will TPP help this data?" in one call, for the CLI (`tpp-lab predict`) and the
 * notebooks: opens the frozen predictor, the backbone with its decoder and the statistics of its pre-training pool,
 * loads the data and the candidate pools, and runs `predictTarget` (src/regime/predict.ts). Node only (it reads
 * files): the browser entry src/core.ts leaves it out; a page calls `predictTarget` with what it loaded itself.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fitImages, type PrepareOptions } from '../data/sets/prepare';
import { openData } from '../data/sources/open';
import { loadData } from '../data/sources/load';
import { backboneFingerprint } from '../model/fingerprint';
import type { PoolStats } from './domain';
import { checkFrozenPredictor, type CandidatePool, predictTarget, type TargetPrediction } from './predict';
import type { FrozenPredictor } from './predictor';
import { capImages } from '../data/sets/dataset';
import { normalizationFrom } from '../train/common';
import { backbonePaths, openBackbone } from '../io/backbone';
import { loadDecoder } from '../io/decoder';

/** The predictor `predict` uses unless told otherwise: v1, frozen before the runs that test it. */
export const SHIPPED_PREDICTOR = path.resolve(__dirname, '..', '..', 'docs', 'results', 'regime-2026-12-06', 'predictor-v1.json');

/** TPP images per pool, as the study's TPP saw them (the predictor was fitted on such runs). */
export const PREDICT_TPP_IMAGES = 546;

function readJson(file: string, what: string): unknown {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: ${what}`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} cannot be read as JSON (${(e as Error).message}): ${what}`);
  }
}

/** A frozen predictor from its file (default: the shipped one). */
export function readPredictor(file = SHIPPED_PREDICTOR): FrozenPredictor {
  return checkFrozenPredictor(readJson(file, 'give a frozen predictor (docs/results/regime-*/predictor-v*.json).'), file);
}

/** Options of `predictData`. */
export interface PredictDataOptions {
  /** Other TPP pools (pool names or .npz files) besides the data's own images. */
  pools?: readonly string[];
  predictor?: FrozenPredictor;
  /** Resize images and convert channels of the data and the pools to fit the backbone. */
  convert?: boolean;
  splitSeed?: number;
  /** Use at most the first N training images of the data. */
  limit?: number;
  /** Notes (what `convert` did to each set). */
  onNote?: PrepareOptions['onNote'];
}

/** What `predictData` answers: the prediction, what it was made from, and how long the cheap numbers took. */
export interface DataPrediction extends TargetPrediction {
  data: string;
  trainImages: number;
  backbone: string;
  predictor: FrozenPredictor;
  seconds: number;
}

/** Predict TPP's Δ for `spec` (own images, and each of `options.pools`) with the frozen predictor's backbone. */
export async function predictData(spec: string, options: PredictDataOptions = {}): Promise<DataPrediction> {
  const predictor = options.predictor ?? readPredictor();
  const backbone = predictor.backbone;
  const { vit, metadata, paths } = await openBackbone(backbone);
  try {
    const statsFile = path.join(path.dirname(backbonePaths(backbone).backbone), 'pool-stats.json');
    const stats = readJson(statsFile, `the backbone ${backbone} ships no statistics of its pre-training pool, which the distances need.`) as PoolStats;
    const fp = await backboneFingerprint(vit);
    if (stats.format !== 'tpp-lab/pool-stats' || stats.backbone !== fp) throw new Error(`${statsFile} does not belong to this backbone (fingerprint ${fp}); take the backbone folder again from the repository.`);
    if (!paths.decoder) throw new Error(`predict needs the MAE decoder beside ${paths.backbone} (decoder.safetensors).`);
    const mae = await loadDecoder(paths.decoder, vit);
    const fit = { config: vit.config, convert: !!options.convert };
    const data = await openData(spec, { splitSeed: options.splitSeed, limit: options.limit, fit, onNote: options.onNote });
    const train = data.train;
    const pools: CandidatePool[] = [{ name: 'own images', images: capImages(train, PREDICT_TPP_IMAGES) }];
    for (const p of options.pools ?? []) {
      const d = await loadData(p, { splitSeed: options.splitSeed, imageSize: vit.config.imageSize, channels: vit.config.channels });
      pools.push({ name: d.name, images: fitImages(capImages(d.train, PREDICT_TPP_IMAGES), fit, options.onNote) });
    }
    const t0 = Date.now();
    const r = await predictTarget(predictor, mae, stats, normalizationFrom(metadata, train), train, pools);
    return { ...r, data: data.name, trainImages: train.images.shape[0], backbone, predictor, seconds: (Date.now() - t0) / 1000 };
  } finally {
    vit.dispose();
  }
}
