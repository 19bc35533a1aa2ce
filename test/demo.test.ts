import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEMO_DOSE, DEMO_STUDY, demoSettings } from '../src/grid/demo';
import { targetSettings } from '../src/grid/study';
import { readStudyPlan } from '../src/grid/study-plan-file';
import type { CellResult } from '../src/grid/types';
import { studyComparison } from '../src/report/demo-comparison';
import { readCsvRows } from '../src/report/study-tables';
import { ROOT } from './helpers';

const STUDY_DIR = path.join(ROOT, DEMO_STUDY);

test('the demo is the study\'s BreastMNIST grid restricted to bundled arms, LoRA, 10 labels per class and seeds 0-2', () => {
  const plan = readStudyPlan(path.join(STUDY_DIR, 'plan.json'));
  const study = targetSettings(plan, plan.targets.find((t) => t.name === 'breastmnist')!, '/x');
  const demo = demoSettings(plan, { full: false, out: '/y', root: ROOT });
  assert.deepEqual(demo.arms, ['none', 'same', 'same-modality']);
  assert.deepEqual([demo.methods, demo.budgets, demo.seeds], [['lora'], [{ perClass: 10 }], [0, 1, 2]]);
  assert.match(demo.other[0], /^same-modality=\/.*data\/hc18_64\.npz$/);
  // Every setting that decides a cell's numbers is the study's.
  for (const k of ['data', 'splitSeed', 'tppEpochs', 'tppLr', 'tppImages', 'tppSeeds', 'epochs', 'lr', 'batch', 'minSteps', 'headLr', 'convert', 'backbone', 'pretext'] as const) {
    assert.deepEqual(demo[k], study[k], k);
  }
  assert.deepEqual(demoSettings(plan, { full: true, out: '/z', root: ROOT }).seeds, plan.seeds);
});

test('the demo checks its cells against the study\'s and sets its verdicts beside the study\'s', () => {
  const rows = readCsvRows(path.join(STUDY_DIR, 'breastmnist', 'results.csv')).filter((r) => r.method === 'lora' && r.budget === '10/class' && ['none', 'same', 'same-modality'].includes(r.arm) && Number(r.seed) < 3);
  assert.equal(rows.length, 9);
  const cells = rows.map((r) => ({ method: r.method, arm: r.arm, budget: r.budget, seed: Number(r.seed), auc: Number(r.auc), settings: r.settings }) as CellResult);
  const lines = studyComparison(cells, STUDY_DIR);
  assert.equal(lines[0], '9 of 9 demo cells reproduced the study\'s test AUC exactly (same settings, same seed).');
  assert.ok(lines.some((l) => /^ {2}lora 10\/class same − none: demo [+-]\d\.\d{3} \[.*\] .*; study [+-]\d\.\d{3} \[/.test(l)), lines.join('\n'));
  // The last line points to the whole map, counted from the study's contrasts (66 settings: 1 helps, 13 hurt).
  assert.match(lines.at(-1)!, /over the study's 66 settings .* TPP helped in 1, hurt in 13 and showed no detectable effect in 52\. For your own data, `tpp-lab predict --data YOURS`/);
  // With the dose axis beside it, the line before says what longer TPP found (counted from its committed contrasts).
  const withDose = studyComparison(cells, STUDY_DIR, path.join(ROOT, DEMO_DOSE));
  assert.equal(withDose.length, lines.length + 1);
  assert.match(withDose.at(-2)!, /^The study trained TPP briefly \(546 images, 40 epochs\)\. Trained longer .* TPP helped in \d+ of \d+ settings and hurt in \d+ \(pneumoniamnist/);
  cells[0] = { ...cells[0], auc: cells[0].auc + 0.01 };
  assert.match(studyComparison(cells, STUDY_DIR).join('\n'), /8 of 9 demo cells reproduced[\s\S]*Differ: lora\/none\/10\/class\/seed 0/);
});
