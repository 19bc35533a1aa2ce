/**
 * "Will TPP help my data?" before paying for it: the cheap numbers of a target and its candidate TPP pools
 * (domain.ts), put through a frozen predictor (predictor.ts), for every method and label budget the predictor was
 * fitted on. What `tpp-lab predict` prints and the notebook shows.
 */
import type { Normalization } from '../data/sets/batches';
import type { Dataset } from '../data/sets/dataset';
import type { MAE } from '../model/mae';
import { poolDistance, type PoolStats, targetNumbers } from './domain';
import { type FrozenPredictor, predictWithInterval, type RegimeSetting, STUDY_DOSE } from './predictor';

/** A candidate TPP pool: a name for the printout and the images TPP would see (already capped and fitted). */
export interface CandidatePool {
  name: string;
  images: Dataset;
}

/** One predicted setting. */
export interface PredictionRow {
  pool: string;
  /** The TPP dose the row assumes: the pool's images (as measured) for the study's epochs. */
  tppImages: number;
  tppEpochs: number;
  method: string;
  budget: number;
  delta: number;
  low: number;
  high: number;
  nearest: RegimeSetting[];
  /** Features of the setting outside the predictor's fitted range (clamped into it): the prediction is its clamped twin's. */
  outside: string[];
}

/** A target's cheap numbers and each candidate pool's distance to it: what a prediction is made from. */
export interface TargetMeasurement {
  surprise: number;
  poolSurprise: number;
  fdBackbone: number;
  pools: { name: string; images: number; fdPool: number }[];
}

/** The whole answer for one target. */
export interface TargetPrediction extends TargetMeasurement {
  rows: PredictionRow[];
}

/** Check a parsed JSON object is a frozen predictor this tpp-lab can use; the error says what is wrong. */
export function checkFrozenPredictor(p: unknown, where: string): FrozenPredictor {
  const q = p as Partial<FrozenPredictor> | null;
  if (!q || q.format !== 'tpp-lab/regime-predictor') throw new Error(`${where} is not a tpp-lab regime predictor (format "tpp-lab/regime-predictor").`);
  if (!q.model || !Array.isArray(q.model.coefficients) || !Array.isArray(q.model.features) || !q.validation || !Array.isArray(q.training)) throw new Error(`${where}: the predictor is incomplete (model, validation, training); it may be damaged: take it again from the repository.`);
  return q as FrozenPredictor;
}

/** The methods and label budgets a predictor was fitted on (it predicts only those). */
export function predictorGrid(p: FrozenPredictor): { methods: string[]; budgets: number[] } {
  return { methods: [...new Set(p.training.map((s) => s.method))], budgets: [...new Set(p.training.map((s) => s.budget))].sort((a, b) => a - b) };
}

/** Measure `target` once and the distance of each of `pools` to it. */
export async function measureTarget(mae: MAE, stats: PoolStats, normalization: Normalization, target: Dataset, pools: readonly CandidatePool[]): Promise<TargetMeasurement> {
  const t = await targetNumbers(mae, stats, normalization, target);
  const measured: TargetMeasurement['pools'] = [];
  for (const pool of pools) measured.push({ name: pool.name, images: pool.images.images.shape[0], fdPool: await poolDistance(mae.encoder, normalization, t, pool.images) });
  return { surprise: t.surprise, poolSurprise: stats.surprise, fdBackbone: t.fdBackbone, pools: measured };
}

/** The predictor's Δ for each measured pool (TPP on its images for the study's epochs), for every method and budget it was fitted on. */
export function predictRows(predictor: FrozenPredictor, m: TargetMeasurement): PredictionRow[] {
  const { methods, budgets } = predictorGrid(predictor);
  const tppEpochs = STUDY_DOSE.epochs;
  return m.pools.flatMap((pool) => methods.flatMap((method) => budgets.map((budget) => {
    const s: RegimeSetting = { target: 'new', arm: pool.name, method, budget, fdPool: pool.fdPool, fdBackbone: m.fdBackbone, surprise: m.surprise, tppImages: pool.images, tppEpochs };
    return { pool: pool.name, tppImages: pool.images, tppEpochs, method, budget, ...predictWithInterval(predictor, s) };
  })));
}

/** Predict Δ for `target` with each of `pools` as the TPP images, for every method and budget of `predictor`. */
export async function predictTarget(predictor: FrozenPredictor, mae: MAE, stats: PoolStats, normalization: Normalization, target: Dataset, pools: readonly CandidatePool[]): Promise<TargetPrediction> {
  const m = await measureTarget(mae, stats, normalization, target, pools);
  return { ...m, rows: predictRows(predictor, m) };
}
