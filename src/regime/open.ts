/**
 * The regime predictor's files, and "will TPP help this data?" in one call, for the CLI (`tpp-lab predict`) and the
 * notebooks: opens the frozen predictor, the backbone with its decoder and the statistics of its pre-training pool,
 * loads the data and the candidate pools, measures them (`measureTarget`, src/regime/predict.ts) and predicts. Node
 * only (it reads files): the browser entry src/core.ts leaves it out; a page calls `predictTarget` with what it
 * loaded itself.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fitImages, type PrepareOptions } from '../data/sets/prepare';
import { openData } from '../io/sources/open';
import { loadData } from '../io/sources/load';
import { backboneFingerprint } from '../model/fingerprint';
import type { PoolStats } from './domain';
import { checkFrozenPredictor, type CandidatePool, measureTarget, predictRows, type TargetMeasurement, type TargetPrediction } from './predict';
import { type FrozenPredictor, STUDY_DOSE } from './predictor';
import { firstOfEach, type MeasuredSetting, regimeSettings } from './settings';
import { contrastRows, readCsvRows } from '../report/study-tables';
import { capImages, numExamples } from '../data/sets/dataset';
import { normalizationFrom } from '../train/common';
import { backbonePaths, openBackbone } from '../io/backbone';
import { loadDecoder } from '../io/decoder';
import { readCheckpointInfo } from '../io/checkpoint';
import type { ArmDose, TargetCell } from './tables';

/** The committed results the regime map reads. */
const RESULTS = path.resolve(__dirname, '..', '..', 'docs', 'results');

/** The predictor `predict` uses unless told otherwise: v2, refitted on every measured setting after the knee's prospective test of v1. */
export const SHIPPED_PREDICTOR = path.join(RESULTS, 'regime-2026-12-06', 'predictor-v2.json');

/** TPP images per pool that `predict` assumes first: the study's dose (own images are also predicted at all of them). */
export const PREDICT_TPP_IMAGES = STUDY_DOSE.images;

/**
 * The regime map's measured settings, under docs/results: each grid's contrasts, the distance table of its arms, and
 * for grids whose arms carry their own dose the folder whose adapters record it (the study's and the knee grid's arms
 * have the study's 546 images x 40 epochs: their plans say so, and the knee's adapters predate the recorded dose).
 * In this order: where a later grid reran an earlier one's cells, the earlier row is kept (`firstOfEach`).
 */
export const REGIME_SOURCES: readonly { contrasts: string; distances: string; doses?: string }[] = Object.freeze([
  { contrasts: 'study-2026-11-28/contrasts.csv', distances: 'regime-2026-12-06/distances.csv' },
  { contrasts: 'regime-2026-12-06/knee/contrasts.csv', distances: 'regime-2026-12-06/knee-distances.csv' },
  { contrasts: 'regime-2026-12-06/dose/contrasts.csv', distances: 'regime-2026-12-06/dose-distances.csv', doses: 'regime-2026-12-06/dose' },
  { contrasts: 'regime-2026-12-06/mix/contrasts.csv', distances: 'regime-2026-12-06/mix-distances.csv', doses: 'regime-2026-12-06/mix' },
]);

/**
 * Arms (`target/arm`) left out of the regime settings that predictor v2 was fitted on, and why. BreastMNIST + HC18:
 * when v2 was fitted, the arm's results came from broken TPP images (`concatDatasets` then joined BreastMNIST's 0..255
 * bytes with HC18's converted 0..1 floats without rescaling the bytes; its FD to the target was 27.7). The join was
 * fixed and the arm rerun after v2 was frozen; it stays out so v2 refits exactly from the committed files, and goes
 * into the next refit.
 */
export const LEFT_OUT_ARMS: Readonly<Record<string, string>> = Object.freeze({
  'breastmnist/mix-hc18': 'v2 was fitted while its results came from TPP images joined at the wrong pixel scale; rerun after v2 was frozen',
});

export async function readRegimeSettings(root = RESULTS): Promise<MeasuredSetting[]> {
  const all: MeasuredSetting[] = [];
  for (const src of REGIME_SOURCES) {
    const doses = src.doses ? await readArmDoses(path.join(root, src.doses)) : {};
    all.push(...regimeSettings(contrastRows(readCsvRows(path.join(root, src.contrasts))), readCsvRows(path.join(root, src.distances)), doses));
  }
  return firstOfEach(all).filter((s) => !(`${s.target}/${s.arm}` in LEFT_OUT_ARMS));
}

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

/** Where a bundled backbone keeps the statistics of its pre-training pool (`pool-stats.json` beside it). */
export function poolStatsFile(backbone: string): string {
  return path.join(path.dirname(backbonePaths(backbone).backbone), 'pool-stats.json');
}

/** The shipped pool statistics of `backbone`, checked to belong to the backbone of fingerprint `fingerprint`. */
export function readPoolStats(backbone: string, fingerprint: string): PoolStats {
  const file = poolStatsFile(backbone);
  const stats = readJson(file, `the backbone ${backbone} ships no statistics of its pre-training pool, which the distances need.`) as PoolStats;
  if (stats.format !== 'tpp-lab/pool-stats' || stats.backbone !== fingerprint) throw new Error(`${file} does not belong to this backbone (fingerprint ${fingerprint}); take the backbone folder again from the repository.`);
  return stats;
}

/** Options of `measureData`. */
export interface MeasureDataOptions {
  /** The backbone whose cheap numbers are measured (a bundled name). */
  backbone: string;
  /** Other TPP pools (pool names or .npz files) besides the data's own images. */
  pools?: readonly string[];
  /** Resize images and convert channels of the data and the pools to fit the backbone. */
  convert?: boolean;
  splitSeed?: number;
  /** Use at most the first N training images of the data. */
  limit?: number;
  /** Notes (what `convert` did to each set). */
  onNote?: PrepareOptions['onNote'];
}

/** What `measureData` found, what it was made from, and how long the cheap numbers took. */
export interface DataMeasurement extends TargetMeasurement {
  data: string;
  trainImages: number;
  backbone: string;
  seconds: number;
}

/**
 * The cheap numbers of `spec` and of each candidate pool for a bundled backbone: its own training images at the
 * study's dose (`PREDICT_TPP_IMAGES`), all of them when it has more (`own images (all)`), then `options.pools` in
 * order, each capped at `PREDICT_TPP_IMAGES` as the grid caps them. What `predict` is made of.
 */
export async function measureData(spec: string, options: MeasureDataOptions): Promise<DataMeasurement> {
  const { backbone } = options;
  const images = PREDICT_TPP_IMAGES;
  const { vit, metadata, paths } = await openBackbone(backbone);
  try {
    const stats = readPoolStats(backbone, await backboneFingerprint(vit));
    if (!paths.decoder) throw new Error(`predict needs the MAE decoder beside ${paths.backbone} (decoder.safetensors).`);
    const mae = await loadDecoder(paths.decoder, vit);
    const fit = { config: vit.config, convert: !!options.convert };
    const data = await openData(spec, { splitSeed: options.splitSeed, limit: options.limit, fit, onNote: options.onNote });
    const train = data.train;
    const pools: CandidatePool[] = [{ name: 'own images', images: capImages(train, images) }];
    if (numExamples(train) > images) pools.push({ name: 'own images (all)', images: train });
    for (const p of options.pools ?? []) {
      const d = await loadData(p, { splitSeed: options.splitSeed, imageSize: vit.config.imageSize, channels: vit.config.channels });
      pools.push({ name: d.name, images: fitImages(capImages(d.train, images), fit, options.onNote) });
    }
    const t0 = Date.now();
    const m = await measureTarget(mae, stats, normalizationFrom(metadata, train), train, pools);
    return { ...m, data: data.name, trainImages: train.images.shape[0], backbone, seconds: (Date.now() - t0) / 1000 };
  } finally {
    vit.dispose();
  }
}

/** Options of `predictData`: those of `measureData` but the backbone, which is the predictor's. */
export interface PredictDataOptions extends Omit<MeasureDataOptions, 'backbone'> {
  predictor?: FrozenPredictor;
}

/** What `predictData` answers: the prediction, what it was made from, and how long the cheap numbers took. */
export interface DataPrediction extends DataMeasurement, TargetPrediction {
  predictor: FrozenPredictor;
}

/** Predict TPP's Δ for `spec` (own images, and each of `options.pools`) with the frozen predictor's backbone. */
export async function predictData(spec: string, options: PredictDataOptions = {}): Promise<DataPrediction> {
  const predictor = options.predictor ?? readPredictor();
  const m = await measureData(spec, { ...options, backbone: predictor.backbone });
  return { ...m, rows: predictRows(predictor, m), predictor };
}

/**
 * What each TPP arm of a study folder's targets trained on (`{ target: { arm: dose } }`), read from its seed-0
 * adapter, which carries its TPP settings: the image count and source, the epochs. For the dose and mix grids.
 */
export async function readArmDoses(dir: string): Promise<Record<string, Record<string, ArmDose>>> {
  const out: Record<string, Record<string, ArmDose>> = {};
  for (const target of fs.readdirSync(dir).filter((t) => fs.existsSync(path.join(dir, t, 'grid.json'))).sort()) {
    const grid = readJson(path.join(dir, target, 'grid.json'), 'a compare grid\'s record') as { axes: { arms: string[]; methods: { name: string }[] } };
    out[target] = {};
    for (const arm of grid.axes.arms.filter((a) => a !== 'none')) {
      const file = path.join(dir, target, 'tpp', `${grid.axes.methods[0].name}__${arm}__s0`, 'adapter.safetensors');
      if (!fs.existsSync(file)) continue;
      const meta = (await readCheckpointInfo(file)).metadata as { armLabel?: string; settings?: { arm?: { tpp?: { images?: number } } }; tppSettings?: { epochs: number; images: { count: number } } };
      if (!meta.tppSettings) throw new Error(`${file} carries no TPP settings (tppSettings); it was not made by a grid's TPP run.`);
      const images = meta.tppSettings.images.count;
      const cap = meta.settings?.arm?.tpp?.images;
      const words = meta.armLabel?.startsWith('mix: ') && meta.armLabel.includes(' + ') ? ` (${meta.armLabel.slice(5).replace(/ train images/g, '')})` : cap !== undefined && cap > images ? ' (all)' : '';
      out[target][arm] = { images, epochs: meta.tppSettings.epochs, label: `${images.toLocaleString('en-US')}${words}` };
    }
  }
  return out;
}


/** The fine-tuning cells of every target of a grid folder (`<dir>/<target>/results.csv`), each with its target. */
export function readGridCells(dir: string): TargetCell[] {
  return fs.readdirSync(dir).filter((t) => fs.existsSync(path.join(dir, t, 'results.csv'))).sort()
    .flatMap((t) => readCsvRows(path.join(dir, t, 'results.csv')).map((r) => ({ ...r, target: t })));
}
