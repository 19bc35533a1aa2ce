import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LoraUpdateRow } from '../src/analysis/lora-svd';
import { attentionFigure, loraNormsFigure, singularValuesFigure } from '../src/viz/lora-figures';
import { chanceLine } from '../src/viz/references';
import { confusionFigure, lineFigure, rankSweepFigure, sizeBarsFigure } from '../src/viz/run-figures';

type Trace = Record<string, unknown> & { x?: unknown[]; y?: unknown[]; z?: unknown[][] };
const traces = (f: { data: object[] }) => f.data as Trace[];

describe('run figures', () => {
  test('lineFigure: one trace per series with its points', () => {
    const f = lineFigure([{ name: 'a', x: [1, 2, 3], y: [0.5, 0.6, 0.7] }, { name: 'b', x: [1, 2], y: [0.4, null], dash: 'dash' }], { title: 't', logY: true });
    assert.equal(f.data.length, 2);
    assert.deepEqual(traces(f)[1].y, [0.4, null]);
    const y = f.layout!.yaxis as { type: string; ticktext: string[] };
    assert.equal(y.type, 'log');
    assert.deepEqual(y.ticktext, ['0.3', '0.4', '0.5', '0.6', '0.7', '0.8']);
  });

  test('metric charts take references: a chance line and named points', () => {
    const f = lineFigure([{ name: 'val AUC', x: [1, 2], y: [0.6, 0.7] }], { references: { lines: [chanceLine('auc')], points: [{ label: 'all labels', y: 0.8 }] } });
    const shapes = f.layout!.shapes as { y0: number }[];
    assert.deepEqual(shapes.map((s) => s.y0), [0.5, 0.8]);
    const r = rankSweepFigure([{ rank: 1, parameters: 512, values: [0.6] }], 'AUC', 'sweep', { points: [{ label: 'linear probe', x: 512, y: 0.55 }] });
    assert.deepEqual(traces(r).map((t) => t.name), ['mean', 'runs', 'linear probe']);
  });

  test('confusionFigure: one heatmap per panel on its own axes, a count annotation per cell', () => {
    const f = confusionFigure([{ title: 'zero init', matrix: [[3, 1], [2, 4]] }, { title: 'TPP', matrix: [[4, 0], [1, 5]] }], ['m', 'b']);
    assert.deepEqual(traces(f).map((t) => [t.type, t.xaxis, t.yaxis]), [['heatmap', 'x', 'y'], ['heatmap', 'x2', 'y2']]);
    const notes = (f.layout!.annotations as { text: string; font: { color: string } }[]).filter((a) => /^\d+$/.test(a.text));
    assert.deepEqual(notes.map((a) => Number(a.text)), [3, 1, 2, 4, 4, 0, 1, 5]);
    // dark cells (above half the panel's largest count) get white text, light cells black
    assert.deepEqual(notes.map((a) => a.font.color), ['#fff', '#111', '#111', '#fff', '#fff', '#111', '#111', '#fff']);
  });

  test('sizeBarsFigure: bars in KiB on a log axis, one trace per group', () => {
    const f = sizeBarsFigure([{ name: 'backbone', bytes: 2048, group: 'shared' }, { name: 'us', bytes: 512, group: 'site' }, { name: 'xr', bytes: 1024, group: 'site' }]);
    assert.equal(f.data.length, 2);
    assert.deepEqual(traces(f)[1].y, [0.5, 1]);
    assert.deepEqual(traces(f)[1].x, ['us', 'xr']);
    assert.deepEqual(traces(f)[0].text, ['2.0 KiB']);
    assert.equal((f.layout!.yaxis as Record<string, unknown>).type, 'log');
    assert.equal(f.layout!.showlegend, true);
  });

  test('rankSweepFigure: a mean line and a marker per run', () => {
    const f = rankSweepFigure([{ rank: 1, parameters: 512, values: [0.6, 0.7] }, { rank: 2, parameters: 1024, values: [0.8] }]);
    assert.equal(f.data.length, 2);
    assert.ok(Math.abs((traces(f)[0].y as number[])[0] - 0.65) < 1e-12);
    assert.deepEqual(traces(f)[1].x, [512, 512, 1024]);
    assert.deepEqual((f.layout!.xaxis as { ticktext: string[] }).ticktext, ['500', '600', '700', '800', '900', '1,000', '2,000']);
  });
});

describe('LoRA figures', () => {
  const rows = (k: number): LoraUpdateRow[] => [
    { module: 'blocks.0.attn.q', block: 0, target: 'attn.q', rank: 2, norm: k, singularValues: [k, k / 2], topShare: 0.8 },
    { module: 'blocks.0.attn.v', block: 0, target: 'attn.v', rank: 2, norm: 2 * k, singularValues: [2 * k, k], topShare: 0.8 },
  ];

  test('norms: a bar trace per run with a bar per module; singular values: r points per module', () => {
    const runs = [{ name: 'TPP', rows: rows(1) }, { name: 'FT', rows: rows(2) }, { name: 'TPP+FT', rows: rows(3) }];
    const n = loraNormsFigure(runs);
    assert.equal(n.data.length, 3);
    assert.deepEqual(traces(n)[1].y, [2, 4]);
    const s = singularValuesFigure(runs);
    assert.equal(s.data.length, 3);
    assert.deepEqual(traces(s)[0].x, ['blocks.0.attn.q σ1', 'blocks.0.attn.q σ2', 'blocks.0.attn.v σ1', 'blocks.0.attn.v σ2']);
  });

  test('attentionFigure: (1 + heads) heatmaps per row, each on its own axes, one colour scale, heads from 0', () => {
    const head = [[0.1, 0.2], [0.3, 0.1]];
    const sharp = [[0.05, 0.9], [0.02, 0.01]];
    const f = attentionFigure([[0, 1], [1, 0]], [{ name: 'before', heads: [head, head, head] }, { name: 'after', heads: [head, sharp, head] }]);
    assert.equal(f.data.length, 8);
    assert.deepEqual(new Set(traces(f).map((t) => t.xaxis)).size, 8);
    assert.equal(traces(f)[0].colorscale, 'Greys');
    const maps = traces(f).filter((t) => t.colorscale === 'Viridis');
    assert.ok(maps.every((t) => t.zmin === 0 && t.zmax === 0.9), 'every map on 0 to the largest weight of both rows');
    assert.equal(maps.filter((t) => t.showscale).length, 1);
    const labels = (f.layout!.annotations as { text: string }[]).map((a) => a.text);
    assert.deepEqual(labels.slice(0, 4), ['before: image', 'head 0', 'head 1', 'head 2']);
  });
});
