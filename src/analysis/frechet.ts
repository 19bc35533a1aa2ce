/**
 * How far apart two image sets are in a backbone's feature space: the Fréchet distance between Gaussians fitted to
 * their features (Heusel et al. 2017, the "FID" of generative models, here on a frozen ViT's pooled tokens):
 *
 *   d² = ‖μa − μb‖² + tr(Σa) + tr(Σb) − 2 tr((Σa^½ Σb Σa^½)^½)
 *
 * The last trace equals tr((Σa Σb)^½) but is computed from symmetric matrices only, so two small Jacobi
 * eigen-decompositions do it in float64. Only the statistics (n, mean, covariance) are needed, which is what a
 * bundled backbone ships of its pre-training pool: a distance to that pool needs none of its images.
 */
import { symmetricEigen } from './linalg';
import type { FeatureMatrix } from './cka';

/** Mean and covariance (unbiased, `[D, D]` row-major) of `n` feature vectors of width `dim`. */
export interface FeatureStats {
  n: number;
  dim: number;
  mean: number[];
  cov: number[];
}

/** The statistics of the `[N, D]` features `f` (float64 sums). Needs N ≥ 2. */
export function featureStats(f: FeatureMatrix): FeatureStats {
  const d = f.dim;
  const n = Math.floor(f.x.length / d);
  if (n < 2 || n * d !== f.x.length) throw new Error(`featureStats: need at least 2 rows of width ${d}, got ${f.x.length} values.`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += f.x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = f.x[i * d + j] - mean[j];
    for (let j = 0; j < d; j++) {
      const rj = row[j];
      for (let k = j; k < d; k++) cov[j * d + k] += rj * row[k];
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = j; k < d; k++) {
      cov[j * d + k] /= n - 1;
      cov[k * d + j] = cov[j * d + k];
    }
  }
  return { n, dim: d, mean: Array.from(mean), cov: Array.from(cov) };
}

/** The symmetric square root of a symmetric positive semi-definite `[d, d]` matrix (negative round-off clipped to 0). */
function sqrtPsd(m: ArrayLike<number>, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(m, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(0, values[k]));
    if (s === 0) continue;
    const v = vectors[k];
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] += s * v[i] * v[j];
  }
  return out;
}

/** `a @ b` for `[d, d]` row-major matrices. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += aik * b[k * d + j];
    }
  }
  return out;
}

/** The Fréchet distance (squared, as FID reports it) between the Gaussians of `a` and `b`; 0 for equal statistics. */
export function frechetDistance(a: FeatureStats, b: FeatureStats): number {
  if (a.dim !== b.dim) throw new Error(`frechetDistance: features of width ${a.dim} and ${b.dim} cannot be compared (different backbones?).`);
  const d = a.dim;
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (a.mean[j] - b.mean[j]) ** 2;
  let trace = 0;
  for (let j = 0; j < d; j++) trace += a.cov[j * d + j] + b.cov[j * d + j];
  const ra = sqrtPsd(a.cov, d);
  const inner = matmul(matmul(ra, b.cov, d), ra, d);
  // Symmetrise before the eigen-solver (it reads the upper triangle): round-off makes `inner` slightly asymmetric.
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) inner[i * d + j] = inner[j * d + i] = (inner[i * d + j] + inner[j * d + i]) / 2;
  let cross = 0;
  for (const v of symmetricEigen(inner, d).values) cross += Math.sqrt(Math.max(0, v));
  return Math.max(0, meanTerm + trace - 2 * cross);
}
