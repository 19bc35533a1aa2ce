import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pairedSentence, pairedSummary, tCritical95 } from '../src/analysis/paired';
import { loraCosine, type LoraFactors } from '../src/analysis/lora-svd';

describe('pairedSummary', () => {
  test('a consistent gain helps, a consistent loss hurts, a mixed result is no detectable effect', () => {
    const up = pairedSummary([0.02, 0.03, 0.025, 0.02, 0.03]);
    assert.equal(up.verdict, 'helps');
    assert.equal(up.wins, 5);
    assert.ok(up.low > 0 && Math.abs(up.mean - 0.025) < 1e-12);
    assert.equal(pairedSummary([-0.05, -0.04, -0.06]).verdict, 'hurts');
    const mixed = pairedSummary([0.05, -0.04, 0.01]);
    assert.equal(mixed.verdict, 'no detectable effect');
    assert.equal(mixed.wins, 2);
  });

  test('the interval uses Student t: two seeds need a large, steady effect', () => {
    const s = pairedSummary([0.01, 0.03]);
    const half = 12.706 * (Math.SQRT2 * 0.01) / Math.SQRT2;
    assert.ok(Math.abs(s.high - (0.02 + half)) < 1e-12);
    assert.equal(s.verdict, 'no detectable effect');
    assert.equal(tCritical95(4), 2.776);
    assert.equal(tCritical95(100), 1.96);
    assert.throws(() => tCritical95(0), /whole number ≥ 1/);
  });

  test('the minimum detectable effect is (t_0.975 + t_0.80) standard errors, for 80 % power', () => {
    // 10 pairs, sample std 0.05: se = 0.05 / sqrt(10); t_0.975(9) = 2.262, t_0.80(9) = 0.883.
    const xs = [0.05, -0.05, 0.05, -0.05, 0.05, -0.05, 0.05, -0.05, 0.05, -0.05].map((x) => x * Math.sqrt(9 / 10));
    const s = pairedSummary(xs);
    assert.ok(Math.abs(s.std - 0.05) < 1e-12);
    assert.ok(Math.abs(s.mde - (2.262 + 0.883) * 0.05 / Math.sqrt(10)) < 1e-12, `mde ${s.mde}`);
    assert.ok(Number.isNaN(pairedSummary([0.1]).mde));
    // More pairs with the same spread detect smaller effects.
    assert.ok(pairedSummary([...xs, ...xs]).mde < s.mde);
  });

  test('for an error (lower is better) a consistent drop helps, a rise hurts, and wins count the drops', () => {
    const drop = pairedSummary([-2.1, -1.9, -2.4, -2.0], true);
    assert.equal(drop.verdict, 'helps');
    assert.equal(drop.wins, 4);
    assert.ok(drop.high < 0);
    const rise = pairedSummary([2.1, 1.9, 2.4, 2.0], true);
    assert.equal(rise.verdict, 'hurts');
    assert.equal(rise.wins, 0);
    assert.deepEqual({ ...pairedSummary([2.1, 1.9, 2.4, 2.0]), verdict: 'x', wins: 0 }, { ...rise, verdict: 'x' }, 'the interval itself does not change');
    assert.equal(pairedSummary([-1, 1, -0.5, 0.4], true).verdict, 'no detectable effect');
  });

  test('one seed is too few, and the sentence says so', () => {
    const s = pairedSummary([0.1, NaN]);
    assert.equal(s.verdict, 'too few runs');
    assert.match(pairedSentence('TPP on ultrasound', 'test AUC', s), /^TPP on ultrasound changed test AUC by \+0\.100 ± 0\.000 \(mean ± std over 1 seed; better in 1\/1\): one seed cannot/);
    assert.match(pairedSentence('x', 'AUC', pairedSummary([])), /no paired runs/);
  });

  test('sentences carry the numbers and the verdict', () => {
    assert.match(pairedSentence('TPP', 'AUC', pairedSummary([-0.05, -0.04, -0.06])), /by −0\.050 ± 0\.010 .*better in 0\/3; 95 % CI −0\.075 to −0\.025\): it hurts/);
    assert.match(pairedSentence('TPP', 'AUC', pairedSummary([0.05, -0.04, 0.01])), /includes zero, so these runs show no detectable effect/);
  });
});

test('loraCosine: 1 for the same update, −1 for its negation, NaN for zero, error for other shapes', () => {
  const f: LoraFactors = { module: 'm', a: Float32Array.from([1, 2, 0, 1]), b: Float32Array.from([1, 0, 0, 2]), rank: 2, fanIn: 2, fanOut: 2 };
  assert.ok(Math.abs(loraCosine(f, 1, f, 3) - 1) < 1e-7);
  assert.ok(Math.abs(loraCosine(f, 1, f, -1) + 1) < 1e-7);
  assert.ok(Number.isNaN(loraCosine(f, 1, { ...f, b: new Float32Array(4) }, 1)));
  assert.throws(() => loraCosine(f, 1, { ...f, fanIn: 1, a: Float32Array.from([1, 1]) }, 1), /compare updates of the same module/);
});
