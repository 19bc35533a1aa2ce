/** The live training display: redraw throttling, final redraw, history, progress text and the SVG curve. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrainProgress } from '../src/train/loop';
import { formatSeconds, historyOf, lossSvg, progressHtml, progressLine, trainingDisplay } from '../src/viz/progress';

function step(step: number, extra: Partial<TrainProgress> = {}): TrainProgress {
  return { kind: 'step', stage: 'pretrain', epoch: 0, epochs: 2, step, totalSteps: 10, loss: 1 / step, lr: 1e-3, imagesPerSecond: 123.4, etaSeconds: 75, ...extra };
}

describe('trainingDisplay', () => {
  test('redraws at most once per interval, always on epoch ends and on done()', () => {
    let clock = 0;
    const drawn: string[] = [];
    const d = trainingDisplay({ sink: { html: (s) => drawn.push(s) }, now: () => clock, intervalMs: 500, title: 'MAE' });
    for (let i = 1; i <= 10; i++) {
      clock = i * 200; // a step every 200 ms
      d.onProgress(step(i));
      if (i === 5) d.onProgress(step(5, { kind: 'epoch', epochLoss: 0.4, metrics: { val_loss: 0.5 } }));
    }
    // draws: step 1 (first), step 4 (800 ms >= 200 + 500), epoch at step 5, step 8, then done()
    assert.equal(d.redraws, 4);
    d.done();
    assert.equal(d.redraws, 5);
    assert.equal(drawn.length, 5);
    assert.match(drawn[4], /MAE \(finished\)/);
    assert.match(drawn[4], /step 10\/10 \(100%\)/);
    assert.doesNotMatch(drawn[0], /finished/);
    assert.equal(d.events.length, 11);
    const h = d.history();
    assert.equal(h.steps.length, 10);
    assert.deepEqual(h.epochs, [{ step: 5, epochLoss: 0.4, metrics: { val_loss: 0.5 } }]);
  });

  test('a lower step number or another stage starts a new run: the curve and history restart; notes show with the title', () => {
    const drawn: string[] = [];
    const d = trainingDisplay({ sink: { html: (s) => drawn.push(s) }, intervalMs: 0, title: 'grid' });
    d.onProgress(step(1, { stage: 'tpp' }));
    d.onProgress(step(2, { stage: 'tpp' }));
    d.onProgress(step(1, { stage: 'finetune' }), 'seed 1');
    assert.deepEqual(d.history().steps, [{ step: 1, loss: 1 }]);
    assert.equal(d.events.length, 3);
    assert.match(drawn[2], /grid <span[^>]*>seed 1<\/span>/);
    d.onProgress(step(2, { stage: 'finetune' }));
    d.onProgress(step(1, { stage: 'finetune' }));
    assert.equal(d.history().steps.length, 1);
    assert.match(drawn[4], /seed 1/, 'the note stays until replaced');
  });

  test('outside a notebook without a sink it fails with advice at the first draw', () => {
    const d = trainingDisplay();
    assert.throws(() => d.onProgress(step(1)), /trainingDisplay\(\) needs the tslab notebook kernel; outside a notebook pass \{ sink/);
  });
});

describe('progress text and curve', () => {
  test('progressLine reads epoch, step, loss, rate and time left', () => {
    assert.equal(progressLine(step(3)), 'epoch 1/2 · step 3/10 (30%) · loss 0.3333 · lr 1.00e-3 · 123 img/s · 1 min 15 s left');
    assert.match(progressLine(step(10)), / · done$/);
  });

  test('formatSeconds', () => {
    assert.deepEqual([formatSeconds(4.4), formatSeconds(65), formatSeconds(3720), formatSeconds(NaN)], ['4 s', '1 min 05 s', '1 h 02 min', '?']);
  });

  test('lossSvg draws one polyline vertex per point, thinned to the plot width', () => {
    const pts = (n: number) => Array.from({ length: n }, (_, i) => ({ step: i + 1, loss: Math.exp(-i / 50) }));
    const vertices = (svg: string) => (/points="([^"]*)"/.exec(svg)?.[1] ?? '').split(' ').length;
    assert.equal(vertices(lossSvg(pts(100), { width: 520 })), 100);
    const many = lossSvg(pts(5000), { width: 520 });
    assert.ok(vertices(many) <= 460 + 1, `thinned: ${vertices(many)}`);
    assert.match(many, /step 5000/);
    assert.doesNotMatch(lossSvg([]), /polyline/);
  });

  test('progressHtml shows the last epoch\'s loss and metrics', () => {
    const html = progressHtml([step(4), step(4, { kind: 'epoch', epochLoss: 0.4, metrics: { val_auc: 0.75 } })]);
    assert.match(html, /last epoch: epoch 1 · loss 0\.4000 · val_auc 0\.750/);
    assert.doesNotMatch(progressHtml([step(1)]), /last epoch/);
  });

  test('progressHtml before any event says it is waiting', () => {
    assert.match(progressHtml([]), /waiting for the first step/);
    assert.deepEqual(historyOf([]), { steps: [], epochs: [] });
  });
});
