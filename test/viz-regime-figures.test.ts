import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectScatter, type EffectPoint } from '../src/viz/regime-figures';

const pts: EffectPoint[] = [
  { x: 2960, y: 0.08, low: 0.02, high: 0.13, group: 'pneumoniamnist, 10/class', label: 'all' },
  { x: 360, y: -0.01, low: -0.04, high: 0.03, group: 'pneumoniamnist, 10/class', label: '546' },
  { x: 1280, y: 0.05, low: 0.0, high: 0.1, group: 'pneumoniamnist, 10/class', label: '2,000' },
  { x: 360, y: 0.02, low: 0.0, high: 0.04, group: 'pbc, 10/class', label: '546' },
];

type Trace = { name: string; mode: string; x: number[]; y: number[]; text: string[]; error_y: { array: number[]; arrayminus: number[] } };

test('effectScatter: one trace per group with asymmetric 95 % bars, and the zero line', () => {
  const f = effectScatter(pts);
  const data = f.data as Trace[];
  assert.deepEqual(data.map((t) => t.name), ['pneumoniamnist, 10/class', 'pbc, 10/class']);
  assert.equal(data[0].mode, 'markers');
  assert.deepEqual(data[0].x, [2960, 360, 1280], 'points keep their order without lines');
  const up = data[0].error_y.array.map((v) => Number(v.toFixed(6)));
  const down = data[0].error_y.arrayminus.map((v) => Number(v.toFixed(6)));
  assert.deepEqual(up, [0.05, 0.04, 0.05]);
  assert.deepEqual(down, [0.06, 0.03, 0.05]);
  const layout = f.layout as { shapes: { y0: number; y1: number }[]; xaxis: { type?: string } };
  assert.deepEqual([layout.shapes[0].y0, layout.shapes[0].y1], [0, 0]);
  assert.equal(layout.xaxis.type, undefined);
});

test('effectScatter as a dose curve: each group joined in order of x on a log axis', () => {
  const f = effectScatter(pts, { lines: true, logX: true });
  const data = f.data as Trace[];
  assert.equal(data[0].mode, 'lines+markers');
  assert.deepEqual(data[0].x, [360, 1280, 2960]);
  assert.deepEqual(data[0].text, ['546', '2,000', 'all'], 'labels move with their points');
  assert.deepEqual(data[0].y, [-0.01, 0.05, 0.08]);
  assert.equal((f.layout as { xaxis: { type?: string } }).xaxis.type, 'log');
});
