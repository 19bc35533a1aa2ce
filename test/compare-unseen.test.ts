import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { npy, zip } from './fixtures/make_bad_inputs';
import { cli, tempDir } from './helpers';

/** A MedMNIST-style RGB file of `classes` classes the project has never seen: each class has its own tint. */
function rgbNpz(file: string, classes: number, perSplit: Record<string, number>): void {
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const items = Object.entries(perSplit).flatMap(([split, n]) => {
    const labels = Uint8Array.from({ length: n }, (_, i) => i % classes);
    const px = new Uint8Array(n * 28 * 28 * 3);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < 784; p++) {
        for (let c = 0; c < 3; c++) px[(i * 784 + p) * 3 + c] = Math.round(60 + 120 * ((labels[i] + c) % classes) / classes + 40 * rand());
      }
    }
    return [{ name: `${split}_images.npy`, data: npy('|u1', [n, 28, 28, 3], px) }, { name: `${split}_labels.npy`, data: npy('|u1', [n, 1], labels) }];
  });
  fs.writeFileSync(file, zip(items));
}

test('compare on an RGB 5-class .npz it has never seen (--convert) writes summary.csv with the interval and verdict columns', () => {
  const dir = tempDir();
  const file = path.join(dir, 'tintmnist.npz');
  rgbNpz(file, 5, { train: 60, val: 20, test: 30 });
  const out = path.join(dir, 'out');
  const r = cli(['compare', '--data', file, '--convert', '--out', out, '--methods', 'lora', '--arms', 'none,same', '--labels', '2', '--seeds', '0,1',
    '--tpp-epochs', '1', '--tpp-images', '40', '--epochs', '1', '--jobs', '1', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const rows = fs.readFileSync(path.join(out, 'summary.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  assert.deepEqual(rows[0], ['backbone', 'target', 'task', 'method', 'budget', 'arm', 'n_seeds', 'metric', 'mean', 'sd', 'delta_mean', 'delta_ci_low', 'delta_ci_high', 'wins', 'verdict', 'mde']);
  const same = rows.find((x) => x[5] === 'same' && x[7] === 'auc')!;
  assert.equal(same[6], '2');
  assert.ok(['helps', 'hurts', 'no detectable effect'].includes(same[14]), same.join(','));
  assert.ok(Number.isFinite(Number(same[11])) && Number(same[11]) <= Number(same[12]));
  const cells = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).cells;
  assert.ok(cells.every((c: { trainExamples: number }) => c.trainExamples === 10), '2 labels x 5 classes');
  // Without --convert the shapes are named.
  const bad = cli(['compare', '--data', file, '--out', path.join(dir, 'out2'), '--methods', 'lora', '--arms', 'none', '--labels', '2', '--seeds', '0', '--jobs', '1', '--quiet']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /28x28x3 but the backbone expects 28x28x1.*--convert/);
});
