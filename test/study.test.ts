import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { referenceSettings, targetSettings } from '../src/grid/study';
import { validateStudyPlan } from '../src/grid/study-plan';
import { nodeGridSources } from '../src/io/grid-sources';
import { cli, tempDir, tinyBackbone } from './helpers';

const base = { methods: ['lora'], budgets: [2], seeds: 2, targets: [{ data: 'breastmnist' }] };

test('a target\'s further TPP arms: pools with their own settings, as arms of its grid; none in its reference grid', () => {
  const mix = { pools: [{ data: 'same' }, { data: 'data/hc18_64.npz', images: 1454 }], images: 2000 };
  const p = validateStudyPlan({ ...base, references: ['linear-probe'], targets: [{ data: 'breastmnist', arms: { natural: 'tinyimagenet' }, tppArms: { mix, 'same-4x': { pools: [{ data: 'same' }], epochs: 160 } } }] }, nodeGridSources);
  assert.deepEqual(p.targets[0].tppArms, { mix, 'same-4x': { pools: [{ data: 'same' }], epochs: 160 } });
  const s = targetSettings(p, p.targets[0], '/out');
  assert.deepEqual(s.arms, ['none', 'same', 'natural', 'mix', 'same-4x']);
  assert.deepEqual(s.armTpp, p.targets[0].tppArms);
  const r = referenceSettings(p, p.targets[0], '/out')!;
  assert.deepEqual([r.arms, r.armTpp], [['none'], undefined]);
  // Without further arms the settings are those of before (no armTpp field at all).
  assert.equal('armTpp' in targetSettings(p, { ...p.targets[0], tppArms: undefined }, '/out'), false);
  const bad: [unknown, RegExp][] = [
    [{ natural: { pools: [{ data: 'same' }] } }, /tppArms\.natural is already an arm of the target \(none, same, natural\)/],
    [{ mix: { pools: [] } }, /tppArms\.mix\.pools must be a non-empty list/],
    [{ mix: { pools: [{ data: 'same', images: 0 }] } }, /tppArms\.mix\.pools\[0\]\.images must be a whole number >= 1, got 0/],
    [{ mix: { pools: [{ data: 'same' }], lr: 1 } }, /tppArms\.mix\.lr is not a known field; known: pools, images, epochs, seed/],
  ];
  for (const [tppArms, message] of bad) assert.throws(() => validateStudyPlan({ ...base, targets: [{ data: 'breastmnist', arms: { natural: 'tinyimagenet' }, tppArms }] }, nodeGridSources), message);
});

test('a study plan fills its defaults and names the first bad field', () => {
  const p = validateStudyPlan({ ...base, targets: [{ data: 'breastmnist', arms: { 'same-modality': 'hc18' } }, { data: 'data/x.npz', convert: true }] }, nodeGridSources);
  assert.deepEqual(p.seeds, [0, 1]);
  assert.equal(p.tppSeeds, 3);
  assert.deepEqual(p.targets.map((t) => [t.name, t.convert]), [['breastmnist', false], ['x', true]]);
  assert.deepEqual(p.targets[0].arms, { 'same-modality': 'hc18' });
  assert.equal(p.targets[0].valImages, undefined);
  assert.equal(validateStudyPlan({ ...base, targets: [{ data: 'pbc', valImages: 500 }] }, nodeGridSources).targets[0].valImages, 500);
  const bad: [unknown, RegExp][] = [
    [{ ...base, budget: [1] }, /the plan\.budget is not a known field/],
    [{ ...base, budgets: [0] }, /budgets\[0\] must be a whole number >= 1, got 0/],
    [{ ...base, seeds: [1, 1] }, /seeds must not repeat/],
    [{ ...base, finetune: { lr: -1 } }, /finetune\.lr must be a number > 0, got -1/],
    [{ ...base, targets: [{ data: 'breastmnist', arms: { same: 'x' } }] }, /targets\[0\]\.arms\.same is built in/],
    [{ ...base, targets: [{ data: 'breastmnist' }, { data: 'breastmnist' }] }, /need distinct names/],
    [{ ...base, targets: [] }, /targets must be a non-empty list/],
    [{ ...base, references: ['lora'] }, /references repeats the method "lora"/],
    [{ ...base, targets: [{ data: 'pbc', valImages: 0 }] }, /targets\[0\]\.valImages must be a whole number >= 1, got 0/],
  ];
  for (const [plan, message] of bad) assert.throws(() => validateStudyPlan(plan, nodeGridSources), message);
});

test('tpp-lab study runs every target as a compare grid and writes the front page, summary.csv and contrasts.csv', () => {
  const dir = tempDir();
  const bb = tinyBackbone(path.join(dir, 'backbone'));
  const plan = path.join(dir, 'plan.json');
  fs.writeFileSync(plan, JSON.stringify({
    title: 'tiny study', backbone: bb, methods: ['lora'], references: ['linear-probe'], continued: true, budgets: [2], seeds: [0, 1], tppSeeds: 1,
    tpp: { epochs: 1, images: 32 }, finetune: { epochs: 1, batch: 4, minSteps: 2 },
    targets: [{ data: 'breastmnist', arms: { 'other-modality': 'pneumoniamnist' } }],
  }));
  const out = path.join(dir, 'study');
  const r = cli(['study', '--plan', plan, '--out', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Front page: .*index\.html/);
  const summary = fs.readFileSync(path.join(out, 'summary.csv'), 'utf8').trim().split('\n');
  assert.equal(summary[0], 'backbone,target,task,method,budget,arm,n_seeds,metric,mean,sd,delta_mean,delta_ci_low,delta_ci_high,wins,verdict,mde');
  assert.equal(summary.length, 1 + 5 * 3, 'three TPP arms of lora, the reference method and the continued-MAE arm, x three metrics');
  assert.deepEqual([...new Set(summary.slice(1).map((l) => l.split(',').slice(3, 6).join(' ')))].sort(),
    ['linear-probe 2/class none', 'lora 2/class continued-mae', 'lora 2/class none', 'lora 2/class other-modality', 'lora 2/class same']);
  const contrasts = fs.readFileSync(path.join(out, 'contrasts.csv'), 'utf8').trim().split('\n');
  // Question 1: same and other-modality against none; question 2: same against other-modality.
  assert.deepEqual(contrasts.slice(1).map((l) => l.split(',').slice(4, 7).join(' ')),
    ['tpp-helps same none', 'tpp-helps other-modality none', 'modality same other-modality', 'reference continued-mae none']);
  assert.equal(contrasts[0].split(',').pop(), 'by_tpp_seed');
  // One TPP seed: the mean difference per TPP seed is the mean difference.
  for (const line of contrasts.slice(1)) {
    const f = line.split(',');
    assert.match(f[f.length - 1], /^0:[+-]\d\.\d{3}$/);
    assert.ok(Math.abs(Number(f[f.length - 1].slice(2)) - Number(f[8])) < 6e-4, line);
  }
  const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
  assert.match(html, /Question 1: does TPP help\?/);
  assert.equal((html.match(/class="tpp-plot"/g) ?? []).length, 2, 'one forest plot per question');
  assert.match(html, /Reference: MAE of the whole backbone continued/);
  // The continued backbone kept the backbone's normalisation and recorded its settings; its cells start from it.
  const record = JSON.parse(fs.readFileSync(path.join(out, 'breastmnist', 'continued', 's0', 'continued.json'), 'utf8'));
  assert.deepEqual([record.images, record.epochs, record.seed], [32, 1, 0]);
  const cont = JSON.parse(fs.readFileSync(path.join(out, 'breastmnist', 'continued', 's0', 'grid', 'results.json'), 'utf8')).cells;
  assert.deepEqual(cont.map((c: { arm: string; seed: number }) => `${c.arm} ${c.seed}`), ['none 0', 'none 1']);
  assert.match(html, /href="breastmnist\/report\.html"/);
  assert.match(html, /<th>lora<\/th><th>linear-probe<\/th>/, 'the no-TPP table has a column per method and reference');
  // The reference ran without TPP, on the same labelled subsets (same seeds) as lora's none arm.
  const refs = JSON.parse(fs.readFileSync(path.join(out, 'breastmnist', 'references', 'results.json'), 'utf8')).cells;
  assert.deepEqual(refs.map((c: { method: string; arm: string; seed: number }) => `${c.method} ${c.arm} ${c.seed}`), ['linear-probe none 0', 'linear-probe none 1']);
  // The one TPP seed is shared by both fine-tuning seeds.
  const cells = JSON.parse(fs.readFileSync(path.join(out, 'breastmnist', 'results.json'), 'utf8')).cells;
  assert.deepEqual(cells.filter((c: { arm: string }) => c.arm !== 'none').map((c: { tppSeed: number }) => c.tppSeed), [0, 0, 0, 0]);
  assert.ok(cells.every((c: { steps: number }) => c.steps === 2));
  // Rerun: every cell is reused.
  const again = cli(['study', '--plan', plan, '--out', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /done earlier/);
  assert.doesNotMatch(again.stderr, /continued MAE: breastmnist/, 'the continued backbone is reused');
  // A changed TPP setting makes the continued backbone stale: refused, naming the change.
  fs.writeFileSync(plan, JSON.stringify({ ...JSON.parse(fs.readFileSync(plan, 'utf8')), tpp: { epochs: 2, images: 32 } }));
  const changed = cli(['study', '--plan', plan, '--out', out, '--quiet']);
  assert.notEqual(changed.code, 0);
  assert.match(changed.stderr, /other settings/);
  const badPlan = cli(['study', '--plan', path.join(dir, 'missing.json'), '--out', out]);
  assert.equal(badPlan.code, 2);
  assert.match(badPlan.stderr, /study plan .*missing\.json/);
});

test('a study run one target at a time (--targets) gets one front page covering every finished target', () => {
  const dir = tempDir();
  const bb = tinyBackbone(path.join(dir, 'backbone'));
  const plan = path.join(dir, 'plan.json');
  fs.writeFileSync(plan, JSON.stringify({
    title: 'two targets', backbone: bb, methods: ['lora'], budgets: [2], seeds: [0, 1], tppSeeds: 1,
    tpp: { epochs: 1, images: 16 }, finetune: { epochs: 1, batch: 4, minSteps: 1 },
    targets: [{ data: 'breastmnist' }, { data: 'pneumoniamnist' }],
  }));
  const out = path.join(dir, 'study');
  const targetsIn = () => [...new Set(fs.readFileSync(path.join(out, 'summary.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]))];
  const first = cli(['study', '--plan', plan, '--out', out, '--targets', 'breastmnist', '--quiet']);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(targetsIn(), ['breastmnist'], 'a target that has not run is left off');
  const second = cli(['study', '--plan', plan, '--out', out, '--targets', 'pneumoniamnist', '--quiet']);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(targetsIn(), ['breastmnist', 'pneumoniamnist'], 'the earlier target stays on the front page');
  const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
  assert.match(html, /href="breastmnist\/report\.html"/);
  assert.match(html, /href="pneumoniamnist\/report\.html"/);
});
