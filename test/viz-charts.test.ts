/** Figure specs (loss curve, bars, heatmaps, histogram) and HTML tables: trace counts, values, errors. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { barChart, binCounts, heatmapGrid, histogram, lossCurve, movingAverage } from '../src/viz/charts';
import { dataFrameHtml, formatCell, tableHtml } from '../src/viz/table';

type Trace = { name?: string; x?: unknown[]; y?: unknown[]; text?: string[]; type?: string; z?: number[][]; zmin?: number; zmax?: number; showscale?: boolean };
const traces = (fig: { data: object[] }) => fig.data as Trace[];

describe('lossCurve', () => {
  const steps = Array.from({ length: 30 }, (_, i) => ({ step: i + 1, loss: 1 / (i + 1) }));

  test('raw and smoothed step losses, epoch means, and loss-like metrics only', () => {
    const fig = lossCurve({ steps, epochs: [{ step: 15, epochLoss: 0.2, metrics: { val_loss: 0.3, auc: 0.8 } }, { step: 30, epochLoss: 0.1, metrics: { val_loss: 0.25, auc: 0.9 } }] });
    assert.deepEqual(traces(fig).map((t) => t.name), ['loss per step', 'moving average (20 steps)', 'epoch mean', 'val_loss']);
    assert.equal(traces(fig)[0].x?.length, 30);
    assert.deepEqual(traces(fig)[2].y, [0.2, 0.1]);
    assert.deepEqual(traces(fig)[3].x, [15, 30]);
  });

  test('no smoothing for short curves or smooth <= 1; log axis on request', () => {
    assert.equal(traces(lossCurve({ steps: steps.slice(0, 10) })).length, 1);
    assert.equal(traces(lossCurve({ steps }, { smooth: 1 })).length, 1);
    assert.equal((lossCurve({ steps }, { logY: true }).layout?.yaxis as { type: string }).type, 'log');
  });

  test('movingAverage is a trailing mean', () => {
    assert.deepEqual(movingAverage([2, 4, 6, 8], 2), [2, 3, 5, 7]);
  });
});

describe('barChart', () => {
  test('one series: one trace with value labels', () => {
    const fig = barChart(['a', 'b'], [1234, 5]);
    assert.equal(traces(fig).length, 1);
    assert.deepEqual(traces(fig)[0].text, ['1,234', '5']);
    assert.equal(fig.layout?.showlegend, false);
  });

  test('grouped series: one trace each, legend shown, log axis', () => {
    const fig = barChart(['a', 'b'], [{ name: 'train', y: [1, 2] }, { name: 'val', y: [3, 4] }, { name: 'test', y: [5, 6] }], { logY: true, format: 1 });
    assert.deepEqual(traces(fig).map((t) => t.name), ['train', 'val', 'test']);
    assert.deepEqual(traces(fig)[2].text, ['5.0', '6.0']);
    assert.equal(fig.layout?.showlegend, true);
    assert.equal((fig.layout?.yaxis as { type: string }).type, 'log');
  });

  test('a series of the wrong length is refused', () => {
    assert.throws(() => barChart(['a', 'b'], [{ name: 's', y: [1] }]), /series "s" has 1 values for 2 categories/);
  });
});

describe('heatmapGrid', () => {
  test('one heatmap trace per matrix on its own axes, one shared colour range and scale bar', () => {
    const m = (v: number) => [[v, v + 1], [v + 2, v + 3]];
    const fig = heatmapGrid([m(0), m(1), m(2), m(3), m(4)], { cols: 2, titles: ['a', 'b', 'c', 'd', 'e'] });
    const t = traces(fig);
    assert.equal(t.length, 5);
    assert.ok(t.every((h) => h.type === 'heatmap' && h.zmin === 0 && h.zmax === 7));
    assert.deepEqual(t.map((h) => h.showscale), [true, false, false, false, false]);
    assert.deepEqual(t[4].z, m(4));
    const layout = fig.layout as Record<string, { domain: number[] }>;
    assert.ok(layout.xaxis5 && layout.yaxis5, 'axes for the fifth heatmap');
    assert.ok(layout.xaxis.domain[1] < layout.xaxis2.domain[0], 'columns do not overlap');
    assert.ok(layout.yaxis3.domain[1] < layout.yaxis.domain[0], 'rows do not overlap');
    assert.equal((fig.layout?.annotations as object[]).length, 5);
  });

  test('nothing to draw is an error', () => {
    assert.throws(() => heatmapGrid([]), /no matrices/);
  });
});

describe('histogram', () => {
  test('binCounts splits [min, max] into equal bins; the maximum goes in the last', () => {
    assert.deepEqual(binCounts([0, 1, 2, 3], 2), { edges: [0, 1.5, 3], counts: [2, 2] });
    assert.deepEqual(binCounts([5, 5], 3).counts, [2, 0, 0]);
  });

  test('the bars hold every value; each band is a bracket in its own row above the bars, named in the legend', () => {
    const values = Int16Array.from({ length: 1000 }, (_, i) => i - 500);
    const fig = histogram(values, { bins: 10, bands: [{ name: 'lung', from: -100, to: 0 }, { name: 'bone', from: 100, to: 400 }] });
    const t = traces(fig);
    assert.equal(t.length, 3);
    assert.equal((t[0].y as number[]).reduce((s, v) => s + v, 0), 1000);
    assert.equal(t[0].x?.length, 10);
    assert.deepEqual(t.slice(1).map((b) => b.name), ['lung (-100 to 0)', 'bone (100 to 400)']);
    type Shape = { type: string; x0: number; x1: number; y0: number; y1: number; fillcolor?: string };
    const shapes = fig.layout?.shapes as Shape[];
    assert.ok(shapes.every((sh) => sh.type === 'line' && sh.fillcolor === undefined), 'lines only: nothing shaded, no mixed colours');
    const bars = shapes.filter((sh) => sh.y0 === sh.y1);
    assert.deepEqual(bars.map((b) => [b.x0, b.x1]), [[-100, 0], [100, 400]]);
    const top = (fig.layout?.yaxis as { domain: number[] }).domain[1];
    assert.ok(bars.every((b) => b.y0 > top), 'brackets sit above the bars');
    assert.notEqual(bars[0].y0, bars[1].y0, 'one row per bracket');
  });

  test('without bands the bars fill the plot; the count axis is a readable log axis', () => {
    const fig = histogram([1, 2, 2, 3, 3, 3], { bins: 3 });
    const y = fig.layout?.yaxis as { domain: number[]; type: string; ticktext: string[] };
    assert.deepEqual(y.domain, [0, 1]);
    assert.equal(y.type, 'log');
    assert.ok(y.ticktext.includes('1') && y.ticktext.includes('2'));
  });
});

describe('tables', () => {
  test('a danfojs DataFrame becomes an HTML table: header, rows, number formats, escaping', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const dfd = require('danfojs');
    const df = new dfd.DataFrame([{ method: 'lora <q,v>', params: 4096, pct: 2.96 }, { method: 'ssf', params: 4864, pct: 3.5153 }]);
    const html = dataFrameHtml(df, { digits: 2, caption: 'PEFT' });
    assert.equal(html.match(/<tr>/g)?.length, 3);
    assert.equal(html.match(/<th /g)?.length, 3);
    assert.match(html, />lora &lt;q,v&gt;</);
    assert.match(html, />4,096</);
    assert.match(html, />3\.52</);
    assert.match(html, /text-align:right">2\.96/);
    assert.match(html, /<caption[^>]*>PEFT<\/caption>/);
  });

  test('tableHtml takes records; missing values are empty cells', () => {
    const html = tableHtml([{ a: 1, b: 'x' }, { a: 2 }]);
    assert.equal(html.match(/<td /g)?.length, 4);
    assert.match(html, /text-align:left"><\/td>/);
    assert.equal(tableHtml([]).match(/<td /g), null);
  });

  test('formatCell: integers grouped, tiny values in exponent form, NaN as a dash', () => {
    assert.deepEqual([formatCell(1200), formatCell(0.71234, 3), formatCell(0.00001, 3), formatCell(0, 3), formatCell(NaN), formatCell(-Infinity), formatCell(null), formatCell('a')],
      ['1,200', '0.712', '1.00e-5', '0', '–', '–', '', 'a']);
  });
});
