import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { loadSegNpz } from '../src/io/sources/seg-load';
import type { SegDataset } from '../src/data/sets/segmentation';
import { ellipsePerimeter, fitEllipse, hd95, headCircumference, overlap, segScores } from '../src/train/seg-metrics';
import { ROOT } from './helpers';

interface Case {
  pack: string;
  pred: number;
  ref: number;
  transform: { kind: 'none' | 'shift' | 'erode' | 'empty'; dy?: number; dx?: number; iterations?: number };
  spacing: [number, number];
  dice: number;
  iou: number;
  hd95: number;
}

const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'seg', 'expected.json'), 'utf8')) as { cases: Case[] };
const packs = new Map<string, SegDataset>();
const pack = (name: string) => packs.get(name) ?? packs.set(name, loadSegNpz(path.join(ROOT, 'data', name))).get(name)!;

function maskOf(ds: SegDataset, i: number): Uint8Array {
  const [, h, w] = ds.masks.shape;
  return ds.masks.data.slice(i * h * w, (i + 1) * h * w);
}

/** The fixture's transforms, written again here (zero-fill shift; erosion by the 4-neighbour cross, outside = 0). */
function transform(m: Uint8Array, h: number, w: number, t: Case['transform']): Uint8Array {
  if (t.kind === 'empty') return new Uint8Array(m.length);
  if (t.kind === 'shift') {
    const out = new Uint8Array(m.length);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const yy = y - t.dy!;
      const xx = x - t.dx!;
      if (yy >= 0 && yy < h && xx >= 0 && xx < w) out[y * w + x] = m[yy * w + xx];
    }
    return out;
  }
  let cur = m;
  for (let k = 0; k < (t.kind === 'erode' ? t.iterations! : 0); k++) {
    const out = new Uint8Array(m.length);
    for (let y = 1; y < h - 1; y++) for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      out[i] = cur[i] & cur[i - 1] & cur[i + 1] & cur[i - w] & cur[i + w];
    }
    cur = out;
  }
  return cur;
}

describe('segmentation metrics', () => {
  test('Dice, IoU and HD95 equal numpy/scipy on real masks (test/fixtures/make_seg_expected.py)', () => {
    assert.equal(expected.cases.length, 12);
    for (const c of expected.cases) {
      const ds = pack(c.pack);
      const [, h, w] = ds.masks.shape;
      const pred = transform(maskOf(ds, c.pred), h, w, c.transform);
      const s = segScores(pred, maskOf(ds, c.ref), h, w, c.spacing);
      const what = `${c.pack} ${c.pred} vs ${c.ref} (${c.transform.kind})`;
      assert.ok(Math.abs(s.dice - c.dice) < 1e-12, `${what}: dice ${s.dice} vs ${c.dice}`);
      assert.ok(Math.abs(s.iou - c.iou) < 1e-12, `${what}: iou ${s.iou} vs ${c.iou}`);
      assert.ok(Math.abs(s.hd95 - c.hd95) < 1e-9 * Math.max(1, c.hd95), `${what}: hd95 ${s.hd95} vs ${c.hd95}`);
    }
  });

  test('empty masks: both empty is perfect, one empty is the worst case (image diagonal)', () => {
    const empty = new Uint8Array(16);
    const one = Uint8Array.from({ length: 16 }, (_, i) => (i === 5 ? 1 : 0));
    assert.deepEqual(segScores(empty, empty, 4, 4, [0.5, 2]), { dice: 1, iou: 1, hd95: 0 });
    assert.deepEqual(segScores(one, empty, 4, 4, [0.5, 2]), { dice: 0, iou: 0, hd95: Math.hypot(4 * 0.5, 4 * 2) });
    assert.deepEqual(segScores(empty, one, 4, 4), { dice: 0, iou: 0, hd95: Math.hypot(4, 4) });
    assert.deepEqual(overlap(one, one), { dice: 1, iou: 1 });
    assert.equal(hd95(one, one, 4, 4), 0);
  });

  test('an ellipse drawn with known axes is fitted back (perimeter within 1 %)', () => {
    const h = 96;
    const w = 128;
    const sp: [number, number] = [0.3, 0.45];
    const [a, b, angle] = [14, 8, 0.6]; // mm
    const m = new Uint8Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const dx = (x + 0.5) * sp[0] - 19;
      const dy = (y + 0.5) * sp[1] - 21;
      const u = dx * Math.cos(angle) + dy * Math.sin(angle);
      const v = -dx * Math.sin(angle) + dy * Math.cos(angle);
      m[y * w + x] = (u / a) ** 2 + (v / b) ** 2 <= 1 ? 1 : 0;
    }
    const e = fitEllipse(m, h, w, sp)!;
    assert.ok(Math.abs(e.a - a) / a < 0.01 && Math.abs(e.b - b) / b < 0.01, JSON.stringify(e));
    assert.ok(Math.abs(e.angle - angle) < 0.02);
    assert.ok(Math.abs(headCircumference(m, h, w, sp) - ellipsePerimeter(a, b)) / ellipsePerimeter(a, b) < 0.01);
    assert.ok(Number.isNaN(headCircumference(new Uint8Array(h * w), h, w, sp)));
  });

  test("HC18's reference masks give the reference head circumference within 2 % (64 px pack)", () => {
    const ds = pack('hc18_64.npz');
    const [n, h, w] = ds.masks.shape;
    const rel: number[] = [];
    for (let i = 0; i < n; i++) {
      const hc = headCircumference(maskOf(ds, i), h, w, [ds.pixelSize![2 * i], ds.pixelSize![2 * i + 1]]);
      rel.push(Math.abs(hc - ds.measures!.head_circumference_mm[i]) / ds.measures!.head_circumference_mm[i]);
    }
    rel.sort((x, y) => x - y);
    assert.ok(rel[n >> 1] < 0.005, `median relative error ${rel[n >> 1]}`);
    assert.ok(rel[n - 1] < 0.02, `worst relative error ${rel[n - 1]}`);
  });
});
