import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { featureStats, frechetDistance } from '../src/analysis/frechet';
import { FEATURES, fitRidge, leaveOneTargetOut, modelInputs, predictDelta, PREDICTOR_DESIGNS, predictWithInterval, type RegimeSetting, spearman, validate } from '../src/regime/predictor';
import { mulberry32 } from '../src/data/sets/random';

/** Gaussian samples `[n, d]` with per-column means `mu` and standard deviations `sd` (Box-Muller, seeded). */
function gaussian(n: number, mu: number[], sd: number[], seed: number): { x: Float64Array; dim: number } {
  const rand = mulberry32(seed);
  const d = mu.length;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n * d; i++) {
    const z = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    x[i] = mu[i % d] + sd[i % d] * z;
  }
  return { x, dim: d };
}

describe('frechetDistance', () => {
  it('is 0 for equal statistics, symmetric, and matches the closed form for diagonal covariances', () => {
    const a = featureStats(gaussian(4000, [0, 1, -1], [1, 2, 0.5], 1));
    const b = featureStats(gaussian(4000, [0.5, 1, 0], [2, 1, 0.5], 2));
    assert.ok(frechetDistance(a, a) < 1e-9);
    assert.ok(Math.abs(frechetDistance(a, b) - frechetDistance(b, a)) < 1e-9);
    // With diagonal covariances, d² = Σ (μa − μb)² + Σ (σa − σb)²: test it on exact statistics.
    const diag = (mean: number[], sd: number[]) => ({ n: 10, dim: 3, mean, cov: [sd[0] ** 2, 0, 0, 0, sd[1] ** 2, 0, 0, 0, sd[2] ** 2] });
    const d = frechetDistance(diag([0, 1, -1], [1, 2, 0.5]), diag([0.5, 1, 0], [2, 1, 0.5]));
    assert.ok(Math.abs(d - (0.25 + 0 + 1 + 1 + 1 + 0)) < 1e-9, `got ${d}`);
    // Sample statistics land near the population distance (3.25) of the same two Gaussians.
    assert.ok(Math.abs(frechetDistance(a, b) - 3.25) < 0.2, `got ${frechetDistance(a, b)}`);
  });
  it('matches tr((Σa Σb)^½) for correlated covariances (checked against a 2x2 closed form)', () => {
    // For 2x2 SPD matrices, tr(sqrt(M)) = sqrt(tr M + 2 sqrt(det M)) with M = Σa Σb.
    const ca = [2, 0.8, 0.8, 1];
    const cb = [1, -0.3, -0.3, 0.5];
    const m = [ca[0] * cb[0] + ca[1] * cb[2], ca[0] * cb[1] + ca[1] * cb[3], ca[2] * cb[0] + ca[3] * cb[2], ca[2] * cb[1] + ca[3] * cb[3]];
    const trSqrt = Math.sqrt(m[0] + m[3] + 2 * Math.sqrt(m[0] * m[3] - m[1] * m[2]));
    const expected = 1 + 4 + (2 + 1 + 1 + 0.5) - 2 * trSqrt;
    const d = frechetDistance({ n: 5, dim: 2, mean: [0, 0], cov: ca }, { n: 5, dim: 2, mean: [1, 2], cov: cb });
    assert.ok(Math.abs(d - expected) < 1e-9, `got ${d}, expected ${expected}`);
  });
  it('refuses features of different widths', () => {
    assert.throws(() => frechetDistance({ n: 2, dim: 1, mean: [0], cov: [1] }, { n: 2, dim: 2, mean: [0, 0], cov: [1, 0, 0, 1] }), /width 1 and 2/);
  });
});

/** Settings whose Δ is an exact linear function of the features the predictor uses. */
function linearSettings(noise = 0): RegimeSetting[] {
  const rand = mulberry32(7);
  const out: RegimeSetting[] = [];
  for (const [target, fdBackbone] of [['a', 2], ['b', 3], ['c', 8], ['d', 12]] as const) {
    for (const fdPool of [0, 1, 5, 9]) {
      for (const method of ['lora', 'adapter']) {
        for (const budget of [1, 5, 10]) {
          const delta = -0.02 * Math.log1p(fdPool) + 0.01 * Math.log1p(fdBackbone) - 0.003 * Math.log2(budget) + (method === 'adapter' ? -0.01 : 0) + noise * (rand() - 0.5);
          out.push({ target, arm: `p${fdPool}`, method, budget, fdPool, fdBackbone, surprise: 0.3, delta });
        }
      }
    }
  }
  return out;
}

const V1 = PREDICTOR_DESIGNS[1];
const V2 = PREDICTOR_DESIGNS[2];

describe('regime predictor', () => {
  it('recovers a linear rule (tiny penalty) and predicts held-out targets from it', () => {
    const s = linearSettings();
    const m = fitRidge(s, { ...V1, lambda: 1e-9 });
    for (const x of s) assert.ok(Math.abs(predictDelta(m, x) - x.delta!) < 1e-6);
    const v = validate(leaveOneTargetOut(s, { ...V1, lambda: 1e-9 }));
    assert.ok(v.spearman.value > 0.99);
    assert.equal(v.verdict, 'beats the trivial predictor');
    assert.ok(v.gainOverTrivial.low > 0);
  });
  it('says so when the features carry nothing: Δ is noise', () => {
    const rand = mulberry32(3);
    const s = linearSettings().map((x) => ({ ...x, delta: (rand() - 0.5) * 0.05 }));
    const v = validate(leaveOneTargetOut(s, V1));
    assert.notEqual(v.verdict, 'beats the trivial predictor');
    assert.ok(v.gainOverTrivial.low <= 0);
  });
  it('gives an interval from the held-out errors and the nearest measured settings', () => {
    const s = linearSettings(0.01);
    const p = { format: 'tpp-lab/regime-predictor' as const, version: 1, frozen: 'x', backbone: 'b', metric: 'auc', model: fitRidge(s, V1), validation: validate(leaveOneTargetOut(s, V1)), training: s };
    const r = predictWithInterval(p, { ...s[0], delta: undefined });
    assert.ok(r.low < r.delta && r.delta < r.high);
    assert.equal(r.nearest.length, 3);
    assert.deepEqual([r.nearest[0].target, r.nearest[0].arm, r.nearest[0].method, r.nearest[0].budget], [s[0].target, s[0].arm, s[0].method, s[0].budget]);
  });
  it('Spearman: ties averaged, NaN for a constant side', () => {
    assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
    assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 0.9486832980505138) < 1e-12);
  });
  it('refuses too little data', () => {
    assert.throws(() => leaveOneTargetOut(linearSettings().filter((x) => x.target === 'a'), V1), /at least 2 targets/);
  });
});

describe('regime predictor v2: the dose feature and no extrapolation', () => {
  it('log2_dose counts doublings of TPP images x epochs over the study\'s 546 x 40; a setting without a dose has the study\'s', () => {
    const s = linearSettings()[0];
    assert.equal(FEATURES.log2_dose(s), 0);
    assert.equal(FEATURES.log2_dose({ ...s, tppImages: 546, tppEpochs: 160 }), 2);
    assert.equal(FEATURES.log2_dose({ ...s, tppImages: 1092 }), 1);
    assert.ok(Math.abs(FEATURES.log2_dose({ ...s, tppImages: 11963, tppEpochs: 40 }) - Math.log2(11963 / 546)) < 1e-12);
    assert.deepEqual(fitRidge(linearSettings(), V2).features, ['log1p_fd_pool', 'log1p_fd_backbone', 'log2_budget', 'adapter', 'log2_dose']);
    assert.throws(() => predictDelta({ ...fitRidge(linearSettings(), V1), features: ['log1p_fd_pool', 'surprise_ratio', 'log2_budget', 'adapter'] }, s), /feature "surprise_ratio" is not one this tpp-lab computes/);
  });
  it('a setting outside the fitted range predicts as its clamped twin and is flagged; a v1 model (no ranges) extrapolates', () => {
    const s = linearSettings(0.01);
    const m = fitRidge(s, V2);
    assert.deepEqual(m.ranges![1], { min: Math.log1p(2), max: Math.log1p(12) });
    const far = { ...s[0], fdBackbone: 40, tppImages: 2000, delta: undefined };
    const twin = { ...far, fdBackbone: 12, tppImages: 546 };
    assert.deepEqual(modelInputs(m, far).outside, ['log1p_fd_backbone', 'log2_dose']);
    assert.deepEqual(modelInputs(m, twin).outside, []);
    assert.equal(predictDelta(m, far), predictDelta(m, twin));
    const v1 = fitRidge(s, V1);
    assert.equal(v1.ranges, undefined);
    assert.deepEqual(modelInputs(v1, far).outside, []);
    assert.ok(Math.abs(predictDelta(v1, far) - predictDelta(v1, twin)) > 0.005, 'v1 follows its slope out of the range');
  });
  it('leave one target out clamps each held-out target to its own fold\'s ranges', () => {
    const s = linearSettings();
    const preds = leaveOneTargetOut(s, V2);
    // Target d (FD 12) lies beyond the other targets' largest (8): clamped to 8 by the fold without it.
    const fold = fitRidge(s.filter((x) => x.target !== 'd'), V2);
    for (const p of preds.filter((p) => p.setting.target === 'd')) {
      assert.deepEqual(p.outside, ['log1p_fd_backbone']);
      assert.equal(p.predicted, predictDelta(fold, { ...p.setting, fdBackbone: 8 }));
    }
    // Target b (FD 3) lies inside the others' range [2, 12]: nothing is clamped.
    assert.ok(preds.filter((p) => p.setting.target === 'b').every((p) => p.outside.length === 0));
    // The full model would not clamp d's FD 12: the fold's own range is what counts.
    assert.deepEqual(modelInputs(fitRidge(s, V2), s.find((x) => x.target === 'd')!).outside, []);
  });
});

describe('the committed predictor v1', () => {
  it('is what the code fits and validates from the committed study contrasts and distance table', async () => {
    const fs = await import('node:fs');
    const { regimeSettings } = await import('../src/regime/settings');
    const { contrastRows, readCsvRows } = await import('../src/report/study-tables');
    const dir = 'docs/results/regime-2026-12-06';
    const all = regimeSettings(contrastRows(readCsvRows('docs/results/study-2026-11-28/contrasts.csv')), readCsvRows(`${dir}/distances.csv`));
    assert.equal(all.length, 66);
    const settings = all.map(({ target, arm, method, budget, fdPool, fdBackbone, surprise, delta }) => ({ target, arm, method, budget, fdPool, fdBackbone, surprise, delta }));
    const frozen = JSON.parse(fs.readFileSync(`${dir}/predictor-v1.json`, 'utf8'));
    assert.deepEqual(settings, frozen.training);
    assert.deepEqual(fitRidge(settings, V1), frozen.model);
    assert.deepEqual(validate(leaveOneTargetOut(settings, V1)), frozen.validation);
  });
  it('still predicts for the knee exactly what it committed before the knee grid ran (knee-prediction-v1.json)', async () => {
    const fs = await import('node:fs');
    const { predictRows } = await import('../src/regime/predict');
    const dir = 'docs/results/regime-2026-12-06';
    const v1 = JSON.parse(fs.readFileSync(`${dir}/predictor-v1.json`, 'utf8'));
    const committed = JSON.parse(fs.readFileSync(`${dir}/knee-prediction-v1.json`, 'utf8'));
    const rows = predictRows(v1, committed);
    assert.equal(rows.length, committed.rows.length);
    const key = (x: RegimeSetting) => `${x.target}/${x.arm}/${x.method}/${x.budget}`;
    rows.forEach((r, i) => {
      const c = committed.rows[i];
      assert.deepEqual([r.pool, r.method, r.budget, r.delta, r.low, r.high], [c.pool, c.method, c.budget, c.delta, c.low, c.high]);
      assert.deepEqual(r.nearest.map(key), c.nearest.map(key));
      assert.deepEqual(r.outside, []);
    });
  });
});

describe('the committed predictor v2', () => {
  it('is what the code fits and validates from the committed study, knee, dose and mix files', async () => {
    const fs = await import('node:fs');
    const { readRegimeSettings } = await import('../src/regime/open');
    const all = await readRegimeSettings();
    assert.equal(all.length, 86);
    assert.deepEqual([...new Set(all.map((x) => x.target))], ['pneumoniamnist', 'breastmnist', 'pbc', 'knee']);
    assert.equal(all.filter((x) => x.arm === 'same' && x.target === 'pbc' && x.method === 'lora' && x.budget === 1).length, 1, 'the dose grid\'s rerun of the study\'s cells is kept once');
    assert.deepEqual(all.find((x) => x.target === 'pbc' && x.arm === 'own-all')!.tppImages, 11963);
    assert.deepEqual(all.find((x) => x.target === 'knee' && x.arm === 'mix-chest-xray')!.tppImages, 1092);
    assert.ok(!all.some((x) => x.arm === 'mix-hc18'), 'the broken BreastMNIST + HC18 mix is left out');
    const settings = all.map(({ target, arm, method, budget, fdPool, fdBackbone, surprise, tppImages, tppEpochs, delta }) => ({ target, arm, method, budget, fdPool, fdBackbone, surprise, tppImages, tppEpochs, delta }));
    const frozen = JSON.parse(fs.readFileSync('docs/results/regime-2026-12-06/predictor-v2.json', 'utf8'));
    assert.deepEqual(settings, frozen.training);
    assert.deepEqual(fitRidge(settings, V2), frozen.model);
    assert.deepEqual(validate(leaveOneTargetOut(settings, V2)), frozen.validation);
  });
  it('predicts each pool at its dose, flags and clamps a pool smaller than any it was fitted on', async () => {
    const { predictRows } = await import('../src/regime/predict');
    const { readPredictor } = await import('../src/regime/open');
    const v2 = readPredictor();
    assert.equal(v2.version, 2);
    const m = { surprise: 0.3, poolSurprise: 0.58, fdBackbone: 2.2, pools: [{ name: 'own images', images: 546, fdPool: 0.002 }, { name: 'own images (all)', images: 2184, fdPool: 0.002 }, { name: 'tiny', images: 100, fdPool: 0.002 }] };
    const rows = predictRows(v2, m);
    assert.equal(rows.length, 3 * 2 * 3);
    const at = (pool: string) => rows.find((r) => r.pool === pool && r.method === 'lora' && r.budget === 10)!;
    assert.deepEqual([at('own images (all)').tppImages, at('own images (all)').tppEpochs], [2184, 40]);
    // Four times the images: log2_dose 2, which the model weighs positively.
    assert.ok(Math.abs(at('own images (all)').delta - at('own images').delta - 2 * v2.model.coefficients[4] / v2.model.sd[4]) < 1e-12);
    assert.deepEqual(at('tiny').outside, ['log2_dose']);
    assert.equal(at('tiny').delta, at('own images').delta);
  });
});

describe('regime tables', () => {
  it('the prospective table pairs each prediction with its measurement by arm, and says what is not measured yet', async () => {
    const { prospectiveTable } = await import('../src/regime/tables');
    const predicted = [{ pool: 'own images', method: 'lora', budget: 1, delta: 0.01, low: -0.2, high: 0.22 }, { pool: 'kermany', method: 'lora', budget: 1, delta: -0.02, low: -0.2, high: 0.2 }];
    const before = prospectiveTable(predicted, [], { same: 'own images', 'chest-xray': 'kermany' }).split('\n');
    assert.equal(before[2], '| own images | lora | 1 | +0.010 [−0.200, +0.220] | not measured yet | — |');
    const m = { target: 'knee', arm: 'chest-xray', method: 'lora', budget: 1, fdPool: 1, fdBackbone: 2, surprise: 0.3, delta: 0.03, ciLow: 0.01, ciHigh: 0.05, verdict: 'helps', metric: 'auc' };
    const after = prospectiveTable(predicted, [m], { same: 'own images', 'chest-xray': 'kermany' }).split('\n');
    assert.equal(after[2], '| kermany | lora | 1 | −0.020 [−0.200, +0.200] | +0.030 [+0.010, +0.050] **helps** | 0.050 |');
    assert.match(after.at(-1)!, /Mean absolute error of the frozen predictions: 0\.050 over 1 measured settings/);
  });

  it('the dose table gives each arm against no TPP and against 546 own images, reading same − arm the other way round', async () => {
    const { doseTable } = await import('../src/regime/tables');
    const row = (question: string, arm: string, versus: string, d: number, lo: number, hi: number, verdict: string) =>
      ({ target: 'pbc', method: 'lora', budget: '1/class', metric: 'auc', question, arm, versus, delta_mean: String(d), delta_ci_low: String(lo), delta_ci_high: String(hi), verdict });
    const contrasts = [
      row('tpp-helps', 'same', 'none', 0.01, -0.01, 0.03, 'no detectable effect'),
      row('tpp-helps', 'own-all', 'none', 0.05, 0.02, 0.08, 'helps'),
      row('modality', 'same', 'own-all', -0.04, -0.07, -0.01, 'hurts'),
      row('tpp-helps', 'own-all', 'none', 0.9, 0.9, 0.9, 'helps'),
    ];
    contrasts[3].metric = 'balanced_accuracy';
    const lines = doseTable(contrasts, { pbc: { same: { images: 546, epochs: 40, label: '546' }, 'own-all': { images: 11963, epochs: 40, label: '11,963 (all)' }, 'own-x': { images: 9, epochs: 1, label: '9' } } }).split('\n');
    assert.equal(lines.length, 4, 'one row per measured arm: own-x has no contrast, balanced accuracy is not the metric');
    assert.equal(lines[2], '| pbc | lora | 1/class | own images | 546 | 40 | +0.010 [−0.010, +0.030] n.d.e. | (reference) |');
    assert.equal(lines[3], '| pbc | lora | 1/class | own-all | 11,963 (all) | 40 | +0.050 [+0.020, +0.080] **helps** | +0.040 [+0.010, +0.070] **helps** |');
  });

  it('the capacity table pairs each arm with no TPP per seed within a backbone, and the two backbones by seed', async () => {
    const { capacityRows, capacityTable } = await import('../src/regime/tables');
    const cell = (target: string, arm: string, seed: number, auc: number) => ({ target, method: 'lora', budget: '1/class', arm, seed: String(seed), auc: String(auc) });
    // Larger backbone: arm − none per seed = +0.10, +0.20, +0.30; base: +0.00, +0.10, +0.10 (a repeated cell of seed 0 later is ignored).
    const larger = [cell('t', 'none', 0, 0.6), cell('t', 'none', 1, 0.5), cell('t', 'none', 2, 0.7), cell('t', 'same', 0, 0.7), cell('t', 'same', 1, 0.7), cell('t', 'same', 2, 1.0)];
    const base = [cell('t', 'none', 0, 0.5), cell('t', 'none', 1, 0.5), cell('t', 'none', 2, 0.5), cell('t', 'same', 0, 0.5), cell('t', 'same', 1, 0.6), cell('t', 'same', 2, 0.6), cell('t', 'same', 0, 0.9)];
    const doses = { t: { same: { images: 546, epochs: 40, label: '546' }, 'own-all': { images: 9000, epochs: 40, label: '9,000 (all)' } } };
    const rows = capacityRows(larger, base, doses);
    assert.deepEqual(rows[0].change.n, 3);
    const lines = capacityTable(rows, { larger: 'L', base: 'B' }).split('\n');
    assert.equal(lines.length, 3, 'own-all has no cells on the larger backbone: no row');
    const cols = lines[2].split(' | ');
    assert.equal(cols[5], '0.500 → 0.600', 'mean AUC without TPP, base then larger');
    // base: mean +0.067, sd 0.0577, t(2) = 4.303 → ± 0.143; larger: +0.200 ± 0.248; larger − base per seed +0.10, +0.10, +0.20.
    assert.equal(cols[6], '+0.067 [−0.077, +0.210] n.d.e.');
    assert.equal(cols[7], '+0.200 [−0.048, +0.448] n.d.e.');
    assert.equal(cols[8], '+0.133 [−0.010, +0.277] n.d.e. |');
    // A change between backbones that the interval separates from 0 reads "lower" / "higher", not hurts / helps.
    const down = capacityRows(
      [cell('u', 'none', 0, 0.7), cell('u', 'none', 1, 0.7), cell('u', 'none', 2, 0.7), cell('u', 'same', 0, 0.6), cell('u', 'same', 1, 0.61), cell('u', 'same', 2, 0.59)],
      [cell('u', 'none', 0, 0.5), cell('u', 'none', 1, 0.5), cell('u', 'none', 2, 0.5), cell('u', 'same', 0, 0.5), cell('u', 'same', 1, 0.5), cell('u', 'same', 2, 0.5)],
      { u: { same: { images: 546, epochs: 40, label: '546' } } });
    assert.equal(down[0].change.verdict, 'hurts');
    const row = capacityTable(down, { larger: 'L', base: 'B' }).split('\n')[2].split(' | ');
    assert.equal(row[7], '−0.100 [−0.125, −0.075] **hurts**', 'the effect on one backbone keeps helps / hurts');
    assert.equal(row[8], '−0.100 [−0.125, −0.075] **lower** |');
  });

  it('the committed capacity block reproduces the larger backbone grid contrasts', async () => {
    const fs = await import('fs');
    const path = await import('path');
    const { readCsvRows } = await import('../src/report/study-tables');
    const regime = path.resolve(__dirname, '..', 'docs', 'results', 'regime-2026-12-06');
    const text = fs.readFileSync(path.join(regime, 'README.md'), 'utf8');
    const block = text.slice(text.indexOf('<!-- regime:capacity -->'), text.indexOf('<!-- /regime:capacity -->')).split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| target') && !l.startsWith('| ---'));
    assert.ok(block.length >= 6, 'the block holds at least PneumoniaMNIST\'s six rows');
    const contrasts = readCsvRows(path.join(regime, 'capacity', 'contrasts.csv'));
    const signedText = (x: string) => { const v = Number(x); return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`; };
    for (const line of block) {
      const [target, method, budget, arm] = line.slice(2).split(' | ');
      const c = contrasts.find((r) => r.target === target && r.method === method && r.budget === budget && r.question === 'tpp-helps' && r.arm === (arm === 'own images' ? 'same' : arm) && r.versus === 'none' && r.metric === 'auc');
      assert.ok(c, `capacity/contrasts.csv has ${target} ${budget} ${arm}`);
      assert.ok(line.split(' | ')[7].startsWith(`${signedText(c.delta_mean)} [${signedText(c.delta_ci_low)}, ${signedText(c.delta_ci_high)}]`), line);
    }
  });
});
