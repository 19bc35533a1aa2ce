/**
 * A predictor of TPP's effect from the cheap numbers (domain.ts): Δ = (metric with TPP) − (metric without), per
 * setting (target, TPP arm, method, label budget), fitted by ridge regression on a few fixed features, validated
 * leave-one-target-out against the trivial predictor "always the mean Δ of the other targets", and frozen as JSON.
 *
 * Everything about it is fixed before it sees a held-out target: the features and their transforms
 * (`PREDICTOR_FEATURES`), the penalty (`RIDGE_LAMBDA`), the interval rule (the 90th percentile of the absolute
 * leave-one-target-out errors). With only a handful of targets nothing is tuned: tuning on three targets would
 * fit noise.
 */
import { mulberry32 } from '../data/sets/random';

/** One setting with its cheap numbers and, where measured, its Δ. */
export interface RegimeSetting {
  target: string;
  arm: string;
  method: string;
  /** Labels per class. */
  budget: number;
  /** Cheap numbers of (backbone, target, pool): see domain.ts. */
  fdPool: number;
  fdBackbone: number;
  surprise: number;
  /** Measured Δ (mean over fine-tuning seeds); absent for a setting to predict. */
  delta?: number;
}

/** The features, in order, as functions of a setting: fixed in advance (see the module comment). */
export const PREDICTOR_FEATURES: readonly { name: string; of: (s: RegimeSetting) => number }[] = Object.freeze([
  { name: 'log1p_fd_pool', of: (s) => Math.log1p(s.fdPool) },
  { name: 'log1p_fd_backbone', of: (s) => Math.log1p(s.fdBackbone) },
  { name: 'log2_budget', of: (s) => Math.log2(s.budget) },
  { name: 'adapter', of: (s) => (s.method === 'adapter' ? 1 : 0) },
]);

/** Ridge penalty on standardised features (objective: mean squared error + λ‖β‖²). */
export const RIDGE_LAMBDA = 0.1;

/** A fitted linear predictor on standardised features. */
export interface RidgeModel {
  features: string[];
  mean: number[];
  sd: number[];
  coefficients: number[];
  intercept: number;
  lambda: number;
}

/** Solve the small symmetric positive definite system `a x = b` (Gaussian elimination with partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    if (Math.abs(m[c][c]) < 1e-300) throw new Error('ridge: singular system');
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

/** The trivial predictor's answer: the mean measured Δ of `settings` (every prediction is held against it). */
export function meanDelta(settings: readonly RegimeSetting[]): number {
  const measured = settings.filter((s) => Number.isFinite(s.delta));
  return measured.reduce((a, s) => a + s.delta!, 0) / measured.length;
}

/** Fit the ridge predictor on measured settings. A feature constant over them gets sd 1 (and a coefficient near 0). */
export function fitRidge(settings: readonly RegimeSetting[], lambda = RIDGE_LAMBDA): RidgeModel {
  const rows = settings.filter((s) => Number.isFinite(s.delta));
  if (rows.length < 2) throw new Error(`fitRidge: needs at least 2 measured settings, got ${rows.length}.`);
  const n = rows.length;
  const p = PREDICTOR_FEATURES.length;
  const raw = rows.map((s) => PREDICTOR_FEATURES.map((f) => f.of(s)));
  const mean = Array.from({ length: p }, (_, j) => raw.reduce((a, r) => a + r[j], 0) / n);
  const sd = Array.from({ length: p }, (_, j) => Math.sqrt(raw.reduce((a, r) => a + (r[j] - mean[j]) ** 2, 0) / n) || 1);
  const x = raw.map((r) => r.map((v, j) => (v - mean[j]) / sd[j]));
  const y = rows.map((s) => s.delta!);
  const yMean = meanDelta(rows);
  const gram = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => x.reduce((a, r) => a + r[i] * r[j], 0) / n + (i === j ? lambda : 0)));
  const rhs = Array.from({ length: p }, (_, i) => x.reduce((a, r, k) => a + r[i] * (y[k] - yMean), 0) / n);
  return { features: PREDICTOR_FEATURES.map((f) => f.name), mean, sd, coefficients: solve(gram, rhs), intercept: yMean, lambda };
}

/** The model's Δ for `s`. */
export function predictDelta(model: RidgeModel, s: RegimeSetting): number {
  const byName = new Map(PREDICTOR_FEATURES.map((f) => [f.name, f.of]));
  return model.features.reduce((acc, name, j) => {
    const of = byName.get(name);
    if (!of) throw new Error(`predictDelta: the model uses feature "${name}", which this tpp-lab does not compute.`);
    return acc + model.coefficients[j] * ((of(s) - model.mean[j]) / model.sd[j]);
  }, model.intercept);
}

/** One held-out prediction of the leave-one-target-out validation. */
export interface HeldOutPrediction {
  setting: RegimeSetting;
  predicted: number;
  /** What the trivial predictor says: the mean Δ of the other targets' settings. */
  trivial: number;
}

/** Fit on all targets but one, predict that one; every target in turn. */
export function leaveOneTargetOut(settings: readonly RegimeSetting[], lambda = RIDGE_LAMBDA): HeldOutPrediction[] {
  const measured = settings.filter((s) => Number.isFinite(s.delta));
  const targets = [...new Set(measured.map((s) => s.target))];
  if (targets.length < 2) throw new Error(`leaveOneTargetOut: needs settings of at least 2 targets, got ${targets.length}.`);
  const out: HeldOutPrediction[] = [];
  for (const t of targets) {
    const train = measured.filter((s) => s.target !== t);
    const model = fitRidge(train, lambda);
    const trivial = meanDelta(train);
    for (const s of measured.filter((s) => s.target === t)) out.push({ setting: s, predicted: predictDelta(model, s), trivial });
  }
  return out;
}

/** Ranks (1-based, ties averaged). */
function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation; NaN when either side is constant. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return da === 0 || db === 0 ? NaN : num / Math.sqrt(da * db);
}

/** A figure with its bootstrap 95% interval (percentile method). */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

/** `stat` on the held-out predictions and its percentile interval over `reps` bootstrap resamples of the settings (seeded). */
function bootstrap(preds: readonly HeldOutPrediction[], stat: (p: readonly HeldOutPrediction[]) => number, reps = 2000, seed = 0): Estimate {
  const rand = mulberry32(seed);
  const values: number[] = [];
  for (let r = 0; r < reps; r++) {
    const sample = Array.from({ length: preds.length }, () => preds[Math.floor(rand() * preds.length)]);
    const v = stat(sample);
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const q = (p: number) => (values.length ? values[Math.min(values.length - 1, Math.floor(p * values.length))] : NaN);
  return { value: stat(preds), low: q(0.025), high: q(0.975) };
}

const signAgree = (pred: (p: HeldOutPrediction) => number) => (ps: readonly HeldOutPrediction[]) =>
  ps.filter((p) => Math.sign(pred(p)) === Math.sign(p.setting.delta!)).length / ps.length;
const meanAbsError = (pred: (p: HeldOutPrediction) => number) => (ps: readonly HeldOutPrediction[]) =>
  ps.reduce((a, p) => a + Math.abs(pred(p) - p.setting.delta!), 0) / ps.length;

/** The validation figures of held-out predictions, the model's beside the trivial predictor's. */
export interface Validation {
  settings: number;
  targets: string[];
  spearman: Estimate;
  signAgreement: Estimate;
  meanAbsError: Estimate;
  trivial: { spearman: number; signAgreement: Estimate; meanAbsError: Estimate };
  /** Trivial's absolute error minus the model's, per setting, averaged: > 0 where the model is closer. */
  gainOverTrivial: Estimate;
  /** The interval half-width a prediction carries: the 90th percentile of the absolute held-out errors. */
  intervalHalfWidth: number;
  /** "beats the trivial predictor" only when the gain's interval lies above 0. */
  verdict: 'beats the trivial predictor' | 'no better than the trivial predictor' | 'worse than the trivial predictor';
}

/** Validate held-out predictions (bootstrap over settings; with few targets the settings are not independent: say so). */
export function validate(preds: readonly HeldOutPrediction[]): Validation {
  const model = (p: HeldOutPrediction) => p.predicted;
  const trivial = (p: HeldOutPrediction) => p.trivial;
  const gain = bootstrap(preds, (ps) => ps.reduce((a, p) => a + Math.abs(p.trivial - p.setting.delta!) - Math.abs(p.predicted - p.setting.delta!), 0) / ps.length);
  const errors = preds.map((p) => Math.abs(p.predicted - p.setting.delta!)).sort((a, b) => a - b);
  return {
    settings: preds.length,
    targets: [...new Set(preds.map((p) => p.setting.target))],
    spearman: bootstrap(preds, (ps) => spearman(ps.map(model), ps.map((p) => p.setting.delta!))),
    signAgreement: bootstrap(preds, signAgree(model)),
    meanAbsError: bootstrap(preds, meanAbsError(model)),
    trivial: { spearman: spearman(preds.map(trivial), preds.map((p) => p.setting.delta!)), signAgreement: bootstrap(preds, signAgree(trivial)), meanAbsError: bootstrap(preds, meanAbsError(trivial)) },
    gainOverTrivial: gain,
    intervalHalfWidth: errors[Math.min(errors.length - 1, Math.floor(0.9 * errors.length))],
    verdict: gain.low > 0 ? 'beats the trivial predictor' : gain.high < 0 ? 'worse than the trivial predictor' : 'no better than the trivial predictor',
  };
}

/** A predictor as committed: the model fitted on every measured setting, with the validation that came before it. */
export interface FrozenPredictor {
  format: 'tpp-lab/regime-predictor';
  version: number;
  frozen: string;
  backbone: string;
  metric: string;
  model: RidgeModel;
  validation: Validation;
  training: RegimeSetting[];
}

/** A prediction for a new setting: Δ with the interval of the validation's errors, and the nearest measured settings. */
export function predictWithInterval(p: FrozenPredictor, s: RegimeSetting, nearest = 3): { delta: number; low: number; high: number; nearest: RegimeSetting[] } {
  const delta = predictDelta(p.model, s);
  const w = p.validation.intervalHalfWidth;
  const z = (x: RegimeSetting) => PREDICTOR_FEATURES.map((f, j) => (f.of(x) - p.model.mean[j]) / p.model.sd[j]);
  const zs = z(s);
  const dist = (x: RegimeSetting) => z(x).reduce((a, v, j) => a + (v - zs[j]) ** 2, 0);
  return { delta, low: delta - w, high: delta + w, nearest: [...p.training].sort((a, b) => dist(a) - dist(b)).slice(0, nearest) };
}
