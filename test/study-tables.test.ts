import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { type CsvRow, fillBlocks, longerDose, LONGER_DOSE_ARMS, pooledRows, questionOneTable, segHeadsTable, segResultsTable, segTimesTable } from '../src/report/study-tables';

const row = (o: Partial<CsvRow>): CsvRow => ({ target: 't', method: 'lora', budget: '1/class', metric: 'auc', question: 'tpp-helps', arm: 'same', versus: 'none', delta_mean: '0', delta_ci_low: '-1', delta_ci_high: '1', verdict: 'no detectable effect', ...o } as CsvRow);

test('the pooled difference averages the settings\' mean differences, with a t interval over settings', () => {
  const rows = [row({ delta_mean: '0.1' }), row({ budget: '5/class', delta_mean: '0.2', verdict: 'helps' }), row({ budget: '10/class', delta_mean: '0.3', verdict: 'hurts' }), row({ metric: 'accuracy', delta_mean: '9' })];
  const [p] = pooledRows(rows);
  assert.equal(p.groups, 3);
  assert.deepEqual([p.helps, p.nde, p.hurts], [1, 1, 1]);
  assert.ok(Math.abs(p.mean - 0.2) < 1e-12);
  // sd 0.1 over 3 settings, t(0.975, 2) = 4.303: half-width 4.303 * 0.1 / sqrt(3) = 0.2484.
  assert.ok(Math.abs(p.high - p.mean - 0.2484) < 1e-3, String(p.high));
  assert.equal(p.verdict, 'no detectable effect');
});

test('question 1\'s table puts budgets in order and marks an arm a target lacks with a dash', () => {
  const summary = [{ target: 't', method: 'lora', budget: '10/class', arm: 'none', metric: 'auc', mean: '0.7', sd: '0.05' }, { target: 't', method: 'lora', budget: '1/class', arm: 'none', metric: 'auc', mean: '0.6', sd: '0.1' }] as CsvRow[];
  const contrasts = [row({ budget: '10/class', delta_mean: '0.02', delta_ci_low: '0.01', delta_ci_high: '0.03', verdict: 'helps' }), row({}), row({ target: 'u', arm: 'natural' })];
  const lines = questionOneTable(summary, contrasts).split('\n');
  assert.equal(lines[0], '| target | method | labels/class | no TPP (AUC, mean ± sd) | TPP on own images | natural images |');
  assert.equal(lines[2], '| t | lora | 1 | 0.600 ± 0.100 | +0.000 [−1.000, +1.000] n.d.e. | — |');
  assert.equal(lines[3], '| t | lora | 10 | 0.700 ± 0.050 | +0.020 [+0.010, +0.030] **helps** | — |');
  assert.equal(lines[4], '| u | lora | 1 | — | — | +0.000 [−1.000, +1.000] n.d.e. |');
});

test('longer TPP against no TPP: the dose arms\' rows and how their verdicts fell; the study\'s dose, other arms, questions and metrics left out', () => {
  const rows = [
    row({ target: 'pbc', arm: 'same', verdict: 'helps' }), // the study's own dose: not longer
    row({ target: 'pbc', arm: 'own-2000', verdict: 'helps', delta_mean: '0.05' }),
    row({ target: 'pbc', arm: 'own-all', budget: '10/class', verdict: 'hurts' }),
    row({ target: 'pneu', arm: 'own-546-4x' }),
    row({ target: 'pneu', arm: 'own-all', verdict: 'helps' }),
    row({ target: 'pneu', arm: 'same-modality', verdict: 'hurts' }), // not a dose arm
    row({ target: 'knee', arm: 'own-2000', question: 'modality', versus: 'same', verdict: 'hurts' }), // against the study's dose, not none
    row({ target: 'knee', arm: 'own-2000', versus: 'natural', verdict: 'hurts' }),
    row({ target: 'knee', arm: 'own-2000', metric: 'accuracy', verdict: 'helps' }),
  ];
  const d = longerDose(rows);
  assert.deepEqual(d.rows, [rows[1], rows[2], rows[3], rows[4]]);
  assert.deepEqual(d.targets, ['pbc', 'pneu']);
  assert.deepEqual([d.helps, d.hurts, d.noEffect], [2, 1, 1]);
  assert.equal(d.rows[0].delta_mean, '0.05');
  // Another metric picks its own rows.
  assert.deepEqual(longerDose(rows, 'accuracy').rows, [rows[8]]);
  assert.deepEqual(longerDose([]), { rows: [], targets: [], helps: 0, hurts: 0, noEffect: 0 });
  assert.deepEqual(LONGER_DOSE_ARMS, ['own-2000', 'own-all', 'own-546-4x']);
});

test('the committed dose grid\'s longer arms are the ones LONGER_DOSE_ARMS names', () => {
  const plan = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'docs', 'results', 'regime-2026-12-06', 'dose-plan.json'), 'utf8')) as { targets: { tppArms: Record<string, unknown> }[] };
  for (const t of plan.targets) assert.deepEqual(Object.keys(t.tppArms), LONGER_DOSE_ARMS);
});

test('a README block is refilled from its table and an unknown block name fails', () => {
  const text = 'intro\n<!-- study:q1 -->\nold\n<!-- /study:q1 -->\nend\n';
  assert.equal(fillBlocks(text, { q1: 'new' }), 'intro\n<!-- study:q1 -->\nnew\n<!-- /study:q1 -->\nend\n');
  assert.throws(() => fillBlocks('<!-- study:q9 -->\nx\n<!-- /study:q9 -->', { q1: '' }), /study:q9 --> block has no table of that name/);
});

test('the READMEs\' study tables equal what the committed CSVs give (scripts/study-tables.ts)', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'scripts', 'study-tables.ts')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // The check means something only while the README carries the blocks.
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  for (const name of ['pooled', 'q1', 'q2', 'baselines']) assert.match(readme, new RegExp(`<!-- study:${name} -->\\n\\|`), name);
});

test('the segmentation table: Dice without TPP, each arm\'s paired Δ Dice, HD95 and HC error without / with TPP on own images', () => {
  const r = (arm: string, metric: string, mean: string, extra: Partial<CsvRow> = {}) => ({ target: 'hc18', method: 'lora', budget: '10 images', arm, metric, mean, sd: '0.02', n_seeds: '5', ...extra }) as CsvRow;
  const summary = [
    r('none', 'dice', '0.7'), r('none', 'hd95', '9.25'), r('none', 'hc_error_mm', '12.34'),
    r('same', 'dice', '0.75', { delta_mean: '0.05', delta_ci_low: '0.01', delta_ci_high: '0.09', verdict: 'helps' }), r('same', 'hd95', '8'), r('same', 'hc_error_mm', '10'),
    r('other-modality', 'dice', '0.69', { delta_mean: '-0.01', delta_ci_low: '-0.03', delta_ci_high: '0.01', verdict: 'no detectable effect' }),
  ];
  const lines = segResultsTable(summary).split('\n');
  assert.equal(lines[0], '| target | method | labelled images | no TPP: Dice (mean ± sd) | TPP on own images: Δ Dice | other modality: Δ Dice | HD95 no TPP / own images | HC error mm no TPP / own images | seeds |');
  assert.equal(lines[1].split('---').length - 1, 9);
  assert.equal(lines[2], '| hc18 | lora | 10 | 0.700 ± 0.020 | +0.050 [+0.010, +0.090] **helps** | −0.010 [−0.030, +0.010] n.d.e. | 9.3 / 8.0 | 12.3 / 10.0 | 5 |');
});

test('the head table gives validation and test Dice per target and head, and the mean seconds of a cell', () => {
  const c = (head: string, val: number, dice: number, seconds: number) => ({ target: 'busi', head, budget: '50 images', val_dice: String(val), dice: String(dice), seconds: String(seconds) }) as CsvRow;
  const lines = segHeadsTable([c('linear', 0.5, 0.4, 50), c('linear', 0.7, 0.6, 70), c('progressive', 0.6, 0.55, 300)]).split('\n');
  assert.equal(lines[2], '| busi | linear | 50 | 0.600 ± 0.141 | 0.500 ± 0.141 | 2 | 60 |');
  assert.equal(lines[3], '| busi | progressive | 50 | 0.600 ± 0.000 | 0.550 ± 0.000 | 1 | 300 |');
});

test('the time table: mean seconds of a fine-tuning cell per budget, and of a TPP run counted once', () => {
  const c = (budget: string, arm: string, seconds: number, tppSeconds: number | null) => ({ budget, method: 'lora', arm, seconds, tppSeconds });
  const lines = segTimesTable({ hc18: [c('10 images', 'none', 40, null), c('10 images', 'same', 50, 100), c('50 images', 'same', 70, 100), c('50 images', 'none', 60, null)] }).split('\n');
  assert.deepEqual(lines.slice(2), ['| hc18 | 10 | 2 | 45 | 1 | 100 |', '| hc18 | 50 | 2 | 65 | 1 | 100 |']);
});
