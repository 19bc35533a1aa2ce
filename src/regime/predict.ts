/**
 * "Will TPP help my data?" before paying for it: the cheap numbers of a target and its candidate TPP pools
 * (domain.ts), put through a frozen predictor (predictor.ts), for every method and label budget the predictor was
 * fitted on. What `tpp-lab predict` prints and the notebook shows.
 */
import type { Normalization } from '../data/sets/batches';
import type { Dataset } from '../data/sets/dataset';
import type { MAE } from '../model/mae';
import { domainNumbers, type PoolStats } from './domain';
import { type FrozenPredictor, predictWithInterval, type RegimeSetting } from './predictor';

/** A candidate TPP pool: a name for the printout and the images TPP would see (already capped and fitted). */
export interface CandidatePool {
  name: string;
  images: Dataset;
}

/** One predicted setting. */
export interface PredictionRow {
  pool: string;
  method: string;
  budget: number;
  delta: number;
  low: number;
  high: number;
  nearest: RegimeSetting[];
}

/** The whole answer for one target. */
export interface TargetPrediction {
  surprise: number;
  poolSurprise: number;
  fdBackbone: number;
  pools: { name: string; images: number; fdPool: number }[];
  rows: PredictionRow[];
}

/** Check a parsed JSON object is a frozen predictor this tpp-lab can use; the error says what is wrong. */
export function checkFrozenPredictor(p: unknown, where: string): FrozenPredictor {
  const q = p as Partial<FrozenPredictor> | null;
  if (!q || q.format !== 'tpp-lab/regime-predictor') throw new Error(`${where} is not a tpp-lab regime predictor (format "tpp-lab/regime-predictor").`);
  if (!q.model || !Array.isArray(q.model.coefficients) || !q.validation || !Array.isArray(q.training)) throw new Error(`${where}: the predictor is incomplete (model, validation, training); it may be damaged: take it again from the repository.`);
  return q as FrozenPredictor;
}

/** The methods and label budgets a predictor was fitted on (it predicts only those). */
export function predictorGrid(p: FrozenPredictor): { methods: string[]; budgets: number[] } {
  return { methods: [...new Set(p.training.map((s) => s.method))], budgets: [...new Set(p.training.map((s) => s.budget))].sort((a, b) => a - b) };
}

/** Predict Δ for `target` with each of `pools` as the TPP images, for every method and budget of `predictor`. */
export async function predictTarget(predictor: FrozenPredictor, mae: MAE, stats: PoolStats, normalization: Normalization, target: Dataset, pools: readonly CandidatePool[]): Promise<TargetPrediction> {
  const { methods, budgets } = predictorGrid(predictor);
  const rows: PredictionRow[] = [];
  const out: TargetPrediction = { surprise: NaN, poolSurprise: stats.surprise, fdBackbone: NaN, pools: [], rows };
  for (const pool of pools) {
    const n = await domainNumbers(mae, stats, normalization, target, pool.images);
    out.surprise = n.surprise;
    out.fdBackbone = n.fdBackbone;
    out.pools.push({ name: pool.name, images: pool.images.images.shape[0], fdPool: n.fdPool });
    for (const method of methods) {
      for (const budget of budgets) {
        const s: RegimeSetting = { target: 'new', arm: pool.name, method, budget, fdPool: n.fdPool, fdBackbone: n.fdBackbone, surprise: n.surprise };
        rows.push({ pool: pool.name, method, budget, ...predictWithInterval(predictor, s) });
      }
    }
  }
  return out;
}
