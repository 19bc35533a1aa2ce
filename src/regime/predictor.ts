/**
 * A predictor of TPP's effect from the cheap numbers (domain.ts): Δ = (metric with TPP) − (metric without), per
 * setting (target, TPP arm and its dose, method, label budget), fitted by ridge regression on a few fixed features,
 * validated leave-one-target-out against the trivial predictor "always the mean Δ of the other targets", and frozen
 * as JSON.
 *
 * Everything about a version is fixed before it sees a held-out target (`PREDICTOR_DESIGNS`): the features and their
 * transforms (by name from `FEATURES`), the penalty, whether it clamps, and the interval rule (the 90th percentile of
 * the absolute leave-one-target-out errors). With only a handful of targets nothing is tuned: tuning on three or four
 * targets would fit noise.
 *
 * - v1 (2026-12-06, 66 settings of 3 targets): four features, λ 0.1. It extrapolated: held-out PBC lay far outside
 *   the other targets' distance from the pre-training pool, the slope ran off, and v1 was worse than the trivial
 *   predictor.
 * - v2 (fixed before fitting, on every measured setting of the study, the knee, the dose and the mix grids): v1's
 *   features plus the TPP dose, `log2_dose` = log2((TPP images × TPP epochs) / (546 × 40)); λ 0.1; and no
 *   extrapolation: the model keeps each feature's training range, a prediction clamps each raw feature into it and
 *   names the features that were outside. The leave-one-target-out validation follows the same rule with each
 *   fold's own ranges.
 */
import { bootstrap as bootstrapItems, type Estimate } from '../analysis/bootstrap';

export type { Estimate };

/** The dose of the study's TPP arms: 546 unlabelled images, 40 epochs (a setting without a dose has this one). */
export const STUDY_DOSE: Readonly<{ images: number; epochs: number }> = Object.freeze({ images: 546, epochs: 40 });

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
  /** Unlabelled images TPP ran on (absent: the study's 546). */
  tppImages?: number;
  /** TPP epochs (absent: the study's 40). */
  tppEpochs?: number;
  /** Measured Δ (mean over fine-tuning seeds); absent for a setting to predict. */
  delta?: number;
}

/** Every feature a predictor may use, by name, as a function of a setting (a model lists the names it uses). */
export const FEATURES: Readonly<Record<string, (s: RegimeSetting) => number>> = Object.freeze({
  log1p_fd_pool: (s: RegimeSetting) => Math.log1p(s.fdPool),
  log1p_fd_backbone: (s: RegimeSetting) => Math.log1p(s.fdBackbone),
  log2_budget: (s: RegimeSetting) => Math.log2(s.budget),
  adapter: (s: RegimeSetting) => (s.method === 'adapter' ? 1 : 0),
  /** TPP's images seen (images × epochs) against the study's dose, in doublings: 0 at 546 × 40. */
  log2_dose: (s: RegimeSetting) => Math.log2(((s.tppImages ?? STUDY_DOSE.images) * (s.tppEpochs ?? STUDY_DOSE.epochs)) / (STUDY_DOSE.images * STUDY_DOSE.epochs)),
});

/** What a predictor version is, fixed before fitting: its features, ridge penalty, and whether it clamps to its training ranges. */
export interface PredictorDesign {
  features: readonly string[];
  /** Ridge penalty on standardised features (objective: mean squared error + λ‖β‖²). */
  lambda: number;
  /** Keep each feature's training range and clamp predictions into it (no extrapolation). */
  clamp: boolean;
}

/** Ridge penalty of every version so far (on standardised features; not tuned). */
export const RIDGE_LAMBDA = 0.1;

/** The designs of the frozen versions (see the module comment). */
export const PREDICTOR_DESIGNS: Readonly<Record<number, PredictorDesign>> = Object.freeze({
  1: { features: ['log1p_fd_pool', 'log1p_fd_backbone', 'log2_budget', 'adapter'], lambda: RIDGE_LAMBDA, clamp: false },
  2: { features: ['log1p_fd_pool', 'log1p_fd_backbone', 'log2_budget', 'adapter', 'log2_dose'], lambda: RIDGE_LAMBDA, clamp: true },
});

/** A fitted linear predictor on standardised features. */
export interface RidgeModel {
  features: string[];
  mean: number[];
  sd: number[];
  coefficients: number[];
  intercept: number;
  lambda: number;
  /** Each feature's range over the training settings, where the design clamps (v2 on); absent: no clamping (v1). */
  ranges?: { min: number; max: number }[];
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

/** The function of feature `name`; the error names the features this tpp-lab computes. */
function featureOf(name: string): (s: RegimeSetting) => number {
  const of = FEATURES[name];
  if (!of) throw new Error(`regime predictor: the feature "${name}" is not one this tpp-lab computes (${Object.keys(FEATURES).join(', ')}); update tpp-lab or use a predictor of its version.`);
  return of;
}

/**
 * Fit the ridge predictor of `design` on measured settings. A feature constant over them gets sd 1 (and a
 * coefficient near 0). With `design.clamp` the model keeps each feature's range over these settings.
 */
export function fitRidge(settings: readonly RegimeSetting[], design: PredictorDesign): RidgeModel {
  const rows = settings.filter((s) => Number.isFinite(s.delta));
  if (rows.length < 2) throw new Error(`fitRidge: needs at least 2 measured settings, got ${rows.length}.`);
  const { lambda } = design;
  const n = rows.length;
  const fs = design.features.map(featureOf);
  const p = fs.length;
  const raw = rows.map((s) => fs.map((f) => f(s)));
  const mean = Array.from({ length: p }, (_, j) => raw.reduce((a, r) => a + r[j], 0) / n);
  const sd = Array.from({ length: p }, (_, j) => Math.sqrt(raw.reduce((a, r) => a + (r[j] - mean[j]) ** 2, 0) / n) || 1);
  const x = raw.map((r) => r.map((v, j) => (v - mean[j]) / sd[j]));
  const y = rows.map((s) => s.delta!);
  const yMean = meanDelta(rows);
  const gram = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => x.reduce((a, r) => a + r[i] * r[j], 0) / n + (i === j ? lambda : 0)));
  const rhs = Array.from({ length: p }, (_, i) => x.reduce((a, r, k) => a + r[i] * (y[k] - yMean), 0) / n);
  const model: RidgeModel = { features: [...design.features], mean, sd, coefficients: solve(gram, rhs), intercept: yMean, lambda };
  if (design.clamp) model.ranges = Array.from({ length: p }, (_, j) => ({ min: Math.min(...raw.map((r) => r[j])), max: Math.max(...raw.map((r) => r[j])) }));
  return model;
}

/**
 * How far outside its range a feature must lie to be named as outside (it is clamped regardless): the distance of a
 * set to itself comes out as 0 or 5e-13 by rounding, which is not extrapolation.
 */
const OUTSIDE_TOLERANCE = 1e-9;

/**
 * The standardised features the model reads for `s`, each raw value clamped into the model's training range where it
 * keeps ranges, and the names of the features that lay outside it.
 */
export function modelInputs(model: RidgeModel, s: RegimeSetting): { z: number[]; outside: string[] } {
  const outside: string[] = [];
  const z = model.features.map((name, j) => {
    let v = featureOf(name)(s);
    const r = model.ranges?.[j];
    if (r && (v < r.min || v > r.max)) {
      if (v < r.min - OUTSIDE_TOLERANCE || v > r.max + OUTSIDE_TOLERANCE) outside.push(name);
      v = Math.min(r.max, Math.max(r.min, v));
    }
    return (v - model.mean[j]) / model.sd[j];
  });
  return { z, outside };
}

/** The model's Δ for `s` (clamped into the training ranges where the model keeps them). */
export function predictDelta(model: RidgeModel, s: RegimeSetting): number {
  return modelInputs(model, s).z.reduce((acc, v, j) => acc + model.coefficients[j] * v, model.intercept);
}

/** One held-out prediction of the leave-one-target-out validation. */
export interface HeldOutPrediction {
  setting: RegimeSetting;
  predicted: number;
  /** What the trivial predictor says: the mean Δ of the other targets' settings. */
  trivial: number;
  /** Features of the setting outside the fold's training ranges (clamped; empty for a model without ranges). */
  outside: string[];
}

/** Fit `design` on all targets but one, predict that one (clamped to that fold's own ranges where it clamps); every target in turn. */
export function leaveOneTargetOut(settings: readonly RegimeSetting[], design: PredictorDesign): HeldOutPrediction[] {
  const measured = settings.filter((s) => Number.isFinite(s.delta));
  const targets = [...new Set(measured.map((s) => s.target))];
  if (targets.length < 2) throw new Error(`leaveOneTargetOut: needs settings of at least 2 targets, got ${targets.length}.`);
  const out: HeldOutPrediction[] = [];
  for (const t of targets) {
    const train = measured.filter((s) => s.target !== t);
    const model = fitRidge(train, design);
    const trivial = meanDelta(train);
    for (const s of measured.filter((s) => s.target === t)) {
      const { outside } = modelInputs(model, s);
      out.push({ setting: s, predicted: predictDelta(model, s), trivial, outside });
    }
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

/** `stat` on the held-out predictions and its percentile interval over 2,000 bootstrap resamples of the settings (seed 0). */
function bootstrap(preds: readonly HeldOutPrediction[], stat: (p: readonly HeldOutPrediction[]) => number): Estimate {
  return bootstrapItems(preds.length, (idx) => stat(idx.map((i) => preds[i])));
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

/** A prediction for a new setting. */
export interface IntervalPrediction {
  delta: number;
  low: number;
  high: number;
  /** The measured settings nearest to it in the model's (clamped, standardised) features. */
  nearest: RegimeSetting[];
  /** Features outside the fitted range: clamped, so the prediction is its clamped twin's. */
  outside: string[];
}

/** A prediction for a new setting: Δ with the interval of the validation's errors, the nearest measured settings, and what was clamped. */
export function predictWithInterval(p: FrozenPredictor, s: RegimeSetting, nearest = 3): IntervalPrediction {
  const delta = predictDelta(p.model, s);
  const w = p.validation.intervalHalfWidth;
  const { z: zs, outside } = modelInputs(p.model, s);
  const dist = (x: RegimeSetting) => modelInputs(p.model, x).z.reduce((a, v, j) => a + (v - zs[j]) ** 2, 0);
  return { delta, low: delta - w, high: delta + w, nearest: [...p.training].sort((a, b) => dist(a) - dist(b)).slice(0, nearest), outside };
}
