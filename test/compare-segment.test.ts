/**
 * `tpp-lab compare` on a segmentation target: budgets in images, Dice/IoU/HD95/HC error in the results, paired
 * Dice differences in the summary, the same results with --jobs 2 as serially, and flags that do not apply refused.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { cli, tempDir, tinyBackbone } from './helpers';

const dir = tempDir();
const backbone = path.join(dir, 'backbone');
// HC18 (64 px) converted to the tiny 28 px backbone: 1 method x 2 arms x 2 budgets x 2 seeds.
const GRID = ['compare', '--data', 'data/hc18_64.npz', '--convert', '--methods', 'lora', '--arms', 'none,same', '--labels', '4,all', '--seeds', '0,1',
  '--limit', '16', '--tpp-epochs', '1', '--tpp-images', '16', '--epochs', '2', '--batch', '8', '--min-steps', '2', '--head', 'linear', '--quiet'];

const csv = (out: string) => fs.readFileSync(path.join(out, 'results.csv'), 'utf8');

describe('compare on a segmentation target', () => {
  before(() => tinyBackbone(backbone));

  test('cells report Dice, IoU, HD95 and HC error; --jobs 2 equals the serial run; summary pairs Dice by seed', () => {
    const serial = cli([...GRID, '--backbone', backbone, '--out', path.join(dir, 'serial'), '--jobs', '1']);
    assert.equal(serial.code, 0, serial.stderr);
    assert.match(serial.stdout, /test Dice .* HD95 .* HC err mm Δ Dice vs none/);
    const jobs = cli([...GRID, '--backbone', backbone, '--out', path.join(dir, 'jobs'), '--jobs', '2']);
    assert.equal(jobs.code, 0, jobs.stderr);
    assert.equal(csv(path.join(dir, 'jobs')), csv(path.join(dir, 'serial')));
    const [header, ...rows] = csv(path.join(dir, 'serial')).trim().split('\n');
    assert.equal(rows.length, 8);
    const cols = header.split(',');
    for (const c of ['dice', 'iou', 'hd95', 'hc_error_mm', 'val_dice', 'task']) assert.ok(cols.includes(c), `results.csv has ${c}`);
    for (const c of ['auc', 'accuracy']) assert.ok(!cols.includes(c), `results.csv has no ${c} for segmentation`);
    const cells = JSON.parse(fs.readFileSync(path.join(dir, 'serial', 'results.json'), 'utf8')).cells;
    const budgets = new Set(cells.map((c: { budget: string }) => c.budget));
    assert.deepEqual([...budgets], ['4 images', 'all images']);
    for (const c of cells) {
      assert.equal(c.trainExamples, c.budget === '4 images' ? 4 : 16);
      assert.ok(c.dice >= 0 && c.dice <= 1 && c.iou >= 0 && c.iou <= c.dice + 1e-12, `Dice ${c.dice}, IoU ${c.iou}`);
      assert.ok(c.hd95 >= 0 && c.hc_error_mm >= 0);
      assert.equal(c.curve.length, 2);
      assert.equal(c.steps, 4, 'at least 2 steps an epoch, 2 epochs');
    }
    const summary = fs.readFileSync(path.join(dir, 'serial', 'summary.csv'), 'utf8').trim().split('\n');
    const head = summary[0].split(',');
    const metric = head.indexOf('metric');
    const arm = head.indexOf('arm');
    const delta = head.indexOf('delta_mean');
    assert.deepEqual([...new Set(summary.slice(1).map((r) => r.split(',')[metric]))], ['dice', 'iou', 'hd95', 'hc_error_mm']);
    // The paired Dice difference of `same` at 4 images equals the mean over seeds of the per-seed differences.
    const dice = (a: string, seed: number) => cells.find((c: { arm: string; budget: string; seed: number }) => c.arm === a && c.budget === '4 images' && c.seed === seed).dice;
    const expected = ((dice('same', 0) - dice('none', 0)) + (dice('same', 1) - dice('none', 1))) / 2;
    const row = summary.slice(1).map((r) => r.split(',')).find((r) => r[arm] === 'same' && r[metric] === 'dice' && r[head.indexOf('budget')] === '4 images')!;
    assert.ok(Math.abs(Number(row[delta]) - expected) < 1e-9, `${row[delta]} vs ${expected}`);
    assert.match(fs.readFileSync(path.join(dir, 'serial', 'report.html'), 'utf8'), /Test Dice by TPP arm/);
  });

  test('flags of the other task are refused with the reason', () => {
    const r = cli(['compare', '--data', 'breastmnist', '--head', 'linear', '--out', path.join(dir, 'x')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--head applies to segmentation targets/);
    const h = cli([...GRID, '--backbone', backbone, '--head-lr', '0.01', '--out', path.join(dir, 'y')]);
    assert.equal(h.code, 2);
    assert.match(h.stderr, /--head-lr applies to classification/);
    const b = cli([...GRID.map((a) => (a === '4,all' ? '4,many' : a)), '--backbone', backbone, '--out', path.join(dir, 'z')]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /labelled images \(e\.g\. 10\) or "all"; got "many"/);
  });

  test('a study with a segmentation target answers its questions on Dice; a segmentation target without budgets is refused', () => {
    const plan = {
      title: 'seg', backbone, methods: ['lora'], budgets: [1], seeds: 2, tppSeeds: 1, tpp: { epochs: 1, images: 16 }, finetune: { epochs: 1, batch: 8, minSteps: 2 },
      targets: [{ data: 'data/hc18_64.npz', name: 'hc18', convert: true, budgets: [4], head: 'linear' }],
    };
    const file = path.join(dir, 'plan.json');
    fs.writeFileSync(file, JSON.stringify(plan));
    const r = cli(['study', '--plan', file, '--out', path.join(dir, 'study'), '--jobs', '1', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const contrasts = fs.readFileSync(path.join(dir, 'study', 'contrasts.csv'), 'utf8').trim().split('\n');
    assert.equal(contrasts.length, 2, 'one contrast: same − none at 4 images');
    assert.match(contrasts[1], /^hc18,lora,4 images,dice,tpp-helps,same,none,2,/);
    const summary = fs.readFileSync(path.join(dir, 'study', 'summary.csv'), 'utf8');
    assert.match(summary, /,hc18,segmentation,lora,4 images,none,2,dice,/);
    const index = fs.readFileSync(path.join(dir, 'study', 'index.html'), 'utf8');
    assert.match(index, /paired difference in test Dice/);
    assert.match(index, /Without TPP: .*\(test Dice, mean ± sd over seeds\)/);
    fs.writeFileSync(file, JSON.stringify({ ...plan, targets: [{ data: 'data/hc18_64.npz', convert: true }] }));
    const bad = cli(['study', '--plan', file, '--out', path.join(dir, 'study2')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /target hc18_64 is segmentation data; give its budgets in labelled images, e\.g\. "budgets": \[10, 50, "all"\]/);
  });
});
