/** Readable log axes (`logTicks`, `logAxis`) and chance lines / reference points (`chanceLine`, `withReferences`). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogTick, logAxis, logTicks } from '../src/viz/axes';
import { barChart, lossCurve } from '../src/viz/charts';
import { chanceLine, withReferences } from '../src/viz/references';

describe('log axes', () => {
  test('1-2-5 ticks over a few decades, one step beyond each end, every label in full', () => {
    assert.deepEqual(logTicks([32, 64, 128, 256, 512]), {
      tickvals: [20, 50, 100, 200, 500, 1000], ticktext: ['20', '50', '100', '200', '500', '1,000'],
    });
  });

  test('decades only beyond 4 decades; 1-2-3-5 within one decade; every digit within half a decade', () => {
    assert.deepEqual(logTicks([32, 64, 128]).ticktext, ['30', '50', '100', '200']);
    assert.deepEqual(logTicks([3, 2e6]).ticktext, ['1', '10', '100', '1,000', '10k', '100k', '1M', '10M']);
    assert.deepEqual(logTicks([0.3, 0.8]).tickvals, [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  });

  test('the steps can be forced; zeros and negatives are ignored; no positive value gives the range 1 to 100', () => {
    assert.deepEqual(logTicks([1, 1000], { steps: 'decades' }).tickvals, [0.1, 1, 10, 100, 1000, 10000]);
    assert.deepEqual(logTicks([0, -5, 10, 30], { steps: '125' }).tickvals, [5, 10, 20, 50]);
    assert.deepEqual(logTicks([0, -1]).tickvals, [0.5, 1, 2, 5, 10, 20, 50, 100, 200]);
  });

  test('labels: small values as decimals, tiny ones in exponent form, never a bare digit for a minor tick', () => {
    assert.deepEqual([0.002, 0.05, 1, 2500, 20000, 3e6, 1e-5].map(formatLogTick), ['0.002', '0.05', '1', '2,500', '20k', '3M', '1e-5']);
    assert.throws(() => formatLogTick(0), /positive finite number/);
  });

  test('logAxis keeps the extra fields and sets type, tick mode and ticks', () => {
    const a = logAxis([10, 1000], { title: 'images' });
    assert.equal(a.title, 'images');
    assert.equal(a.type, 'log');
    assert.equal(a.tickmode, 'array');
    assert.deepEqual(a.ticktext, ['5', '10', '20', '50', '100', '200', '500', '1,000', '2,000']);
  });

  test('the library charts use it: bars and loss curves on log axes carry explicit ticks', () => {
    const bars = barChart(['a', 'b'], [120, 45000], { logY: true }).layout?.yaxis as { ticktext: string[] };
    assert.ok(bars.ticktext.includes('100') && bars.ticktext.includes('50k'));
    const loss = lossCurve({ steps: [{ step: 1, loss: 2 }, { step: 2, loss: 0.5 }] }, { logY: true }).layout?.yaxis as { ticktext: string[] };
    assert.deepEqual(loss.ticktext, ['0.3', '0.5', '1', '2', '3']);
  });
});

describe('chance lines and reference points', () => {
  test('chance levels of AUC, balanced accuracy and accuracy', () => {
    assert.deepEqual(chanceLine('auc'), { y: 0.5, label: 'chance (AUC 0.5)' });
    assert.equal(chanceLine('balanced-accuracy', { classes: 3 }).y, 1 / 3);
    assert.deepEqual(chanceLine('accuracy', { majorityShare: 0.731 }), { y: 0.731, label: 'always the majority class (accuracy 0.73)' });
    assert.throws(() => chanceLine('accuracy'), /majorityShare/);
    assert.throws(() => chanceLine('balanced-accuracy', { classes: 1 }), /classes must be an integer ≥ 2/);
  });

  test('a line becomes a dashed shape across the plot named in the legend; a point with x a named marker trace', () => {
    const fig = barChart(['LoRA', 'SSF'], [0.7, 0.65], {
      references: { lines: [chanceLine('auc')], points: [{ label: 'linear probe', x: 'SSF', y: 0.6 }, { label: 'all labels', y: 0.82 }] },
    });
    const shapes = fig.layout?.shapes as { xref: string; x0: number; x1: number; y0: number; line: { dash: string }; name: string; showlegend: boolean }[];
    assert.deepEqual(shapes.map((s) => [s.xref, s.x0, s.x1, s.y0, s.line.dash]), [['paper', 0, 1, 0.5, 'dash'], ['paper', 0, 1, 0.82, 'dot']]);
    assert.deepEqual(shapes.map((s) => [s.name, s.showlegend]), [['chance (AUC 0.5)', true], ['all labels (0.82)', true]]);
    const t = fig.data as { name: string; x: unknown[]; y: number[]; showlegend?: boolean }[];
    assert.equal(t.length, 2);
    assert.equal(t[0].showlegend, false, 'the unnamed bar series stays out of the legend');
    assert.deepEqual([t[1].name, t[1].x, t[1].y], ['linear probe', ['SSF'], [0.6]]);
    assert.equal(fig.layout?.showlegend, true);
  });

  test('the figure given is not modified; no references returns it as is; a non-finite value is refused', () => {
    const fig = { data: [{ y: [1] }], layout: { shapes: [{ type: 'rect' }] } };
    const out = withReferences(fig, { lines: [{ y: 1, label: 'x' }] });
    assert.equal((fig.layout.shapes as object[]).length, 1);
    assert.equal((out.layout?.shapes as object[]).length, 2);
    assert.equal(withReferences(fig, undefined), fig);
    assert.throws(() => withReferences(fig, { points: [{ label: 'probe', y: NaN }] }), /reference point "probe" has y = NaN/);
  });
});
