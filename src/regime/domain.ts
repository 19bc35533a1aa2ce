/**
 * The cheap numbers the regime predictor reads, computed before any TPP from the frozen backbone alone:
 *
 * - `surprise`: the backbone's own MAE loss on the target's images (masked-patch MSE with fixed masks): how badly
 *   its pretext fits them. Beside it, `poolSurprise` on the backbone's held-out pre-training images is the baseline.
 * - `fdBackbone`: the Fréchet distance, on pooled frozen features, between the backbone's pre-training pool (its
 *   shipped statistics) and the target: how far the target lies from what the backbone saw.
 * - `fdPool`: the same distance between a TPP pool (the images an arm would pre-train the adapter on) and the target.
 *
 * Every number here costs a forward pass over a few thousand small images (seconds on wasm).
 */
import type { Normalization } from '../data/sets/batches';
import { type Dataset, numExamples, seededShuffle, subset } from '../data/sets/dataset';
import { type FeatureStats, featureStats, frechetDistance } from '../analysis/frechet';
import { pooledFeatures, type FeatureSource } from '../train/probe';
import type { MAE } from '../model/mae';
import { maeLoss } from '../train/pretrain';

/** Masks of every surprise figure come from this seed, so figures of different sets compare. */
export const SURPRISE_MASK_SEED = 12345;

/** How many images of a target stand for it (a seeded sample of its training split when it has more). */
export const TARGET_SAMPLE = 2000;

/** The statistics a backbone ships of its pre-training pool (`pool-stats.json` beside `backbone.safetensors`). */
export interface PoolStats {
  format: 'tpp-lab/pool-stats';
  /** What the statistics were computed on, in words (pool, split, sample). */
  source: string;
  /** The backbone's fingerprint: statistics of another backbone's features mean nothing here. */
  backbone: string;
  features: FeatureStats;
  /** The backbone's MAE loss on held-out pre-training images with `SURPRISE_MASK_SEED` masks. */
  surprise: number;
}

/** At most `n` images of `ds`: all of them, or a seeded random sample (seed `seed`). */
export function sampleImages(ds: Dataset, n: number, seed: number): Dataset {
  const count = numExamples(ds);
  if (count <= n) return ds;
  const order = seededShuffle(Array.from({ length: count }, (_, i) => i), seed).slice(0, n).sort((a, b) => a - b);
  return subset(ds, order);
}

/** Feature statistics of `images` under `model` (pooled final patch tokens, as the probes read them). */
export async function imageStats(model: FeatureSource, images: Dataset, normalization: Normalization): Promise<FeatureStats> {
  const f = await pooledFeatures(model, images, normalization);
  return featureStats(f);
}

/** The backbone's MAE loss on `images` with the fixed surprise masks. */
export function surprise(mae: MAE, images: Dataset, normalization: Normalization): Promise<number> {
  return maeLoss(mae, images, normalization, { seed: SURPRISE_MASK_SEED });
}

/** The cheap numbers of a target, measured once for all the pools it is compared with. */
export interface TargetNumbers {
  surprise: number;
  fdBackbone: number;
  /** Feature statistics of its `TARGET_SAMPLE` sample, which each pool's distance is taken to. */
  stats: FeatureStats;
}

/** The numbers of `target` (a `TARGET_SAMPLE` sample of it) for the backbone of `mae`, with `stats` its shipped pool statistics. */
export async function targetNumbers(mae: MAE, stats: PoolStats, normalization: Normalization, target: Dataset): Promise<TargetNumbers> {
  const sample = sampleImages(target, TARGET_SAMPLE, 1);
  const targetStats = await imageStats(mae.encoder, sample, normalization);
  return { surprise: await surprise(mae, sample, normalization), fdBackbone: frechetDistance(stats.features, targetStats), stats: targetStats };
}

/** The distance between a TPP pool (the images an arm would pre-train on) and a target measured by `targetNumbers`. */
export async function poolDistance(model: FeatureSource, normalization: Normalization, target: TargetNumbers, pool: Dataset): Promise<number> {
  return frechetDistance(await imageStats(model, pool, normalization), target.stats);
}
