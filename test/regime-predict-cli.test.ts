import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { cli, ROOT, tempDir } from './helpers';

// `tpp-lab predict` on bundled data only (no ../shared), as a clone without the pools runs it.
describe('tpp-lab predict', () => {
  it('predicts Δ for own images and a bundled pool, with the cheap numbers and the validation figures', () => {
    const r = cli(['predict', '--data', 'breastmnist', '--pool', 'data/hc18_64.npz', '--convert', '--json', '--quiet'], { TPP_POOLS_DIR: '/nonexistent' });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(out.backbone, 'imagenet28');
    assert.equal(out.pools.length, 2);
    // BreastMNIST has 546 training images: its own TPP pool is all of them, so its distance to itself is 0.
    assert.equal(out.pools[0].images, 546);
    assert.ok(Math.abs(out.pools[0].fdPool) < 1e-6, `own-pool FD ${out.pools[0].fdPool}`);
    // The committed distance table of the study has the same numbers (same backbone, data and samples).
    const table = fs.readFileSync(path.join(ROOT, 'docs/results/regime-2026-12-06/distances.csv'), 'utf8').split('\n').find((l) => l.includes(',breastmnist,same-modality,'))!.split(',');
    assert.ok(Math.abs(out.fdBackbone - Number(table[8])) < 1e-6, `${out.fdBackbone} vs ${table[8]}`);
    assert.ok(Math.abs(out.pools[1].fdPool - Number(table[9])) < 1e-6, `${out.pools[1].fdPool} vs ${table[9]}`);
    assert.ok(Math.abs(out.surprise - Number(table[6])) < 1e-6);
    // 2 pools x 2 methods x 3 budgets, each with an interval around it and 3 nearest measured settings.
    assert.equal(out.rows.length, 12);
    for (const row of out.rows) {
      assert.ok(Number.isFinite(row.delta) && row.low < row.delta && row.delta < row.high);
      assert.equal(row.nearest.length, 3);
      // Each row says the dose it assumes (the study's: 546 images, 40 epochs) and what was clamped (nothing here).
      assert.deepEqual([row.tppImages, row.tppEpochs, row.outside], [546, 40, []]);
    }
    assert.match(out.validation.verdict, /trivial predictor/);
  });
  it('predicts own images at 546 and at all of them, names what it clamped, says it does not beat the mean, and refuses another backbone', () => {
    const r = cli(['predict', '--data', 'pneumoniamnist', '--limit', '700', '--pool', 'data/hc18_64.npz', '--convert'], { TPP_POOLS_DIR: '/nonexistent' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /predictor v2 \(frozen 2026-12-06, fitted on 86 settings of pneumoniamnist, breastmnist, pbc, knee\)/);
    assert.match(r.stdout, /Validation, leave one target out: no better than the trivial predictor/);
    assert.match(r.stdout, /Read every prediction below as "we cannot tell"/);
    assert.match(r.stdout, /TPP pool own images: 546 images x 40 epochs/);
    assert.match(r.stdout, /TPP pool own images \(all\): 700 images x 40 epochs/);
    // HC18 lies farther from chest X-rays (about 17) than any pool the predictor was fitted on (at most 12.2).
    assert.match(r.stdout, /hc18_64 \| lora \| [−+]\d\.\d{3}\* \|/);
    assert.match(r.stdout, /\* outside the range the predictor was fitted on, so clamped into it .*: hc18_64: log1p_fd_pool$/m);
    const other = cli(['predict', '--data', 'breastmnist', '--backbone', 'fashion28']);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /fitted on settings of the imagenet28 backbone/);
  });
  it('names a damaged predictor file and what to do', () => {
    const dir = tempDir();
    const bad = path.join(dir, 'p.json');
    fs.writeFileSync(bad, '{"format": "tpp-lab/regime-predictor", "model"');
    const r = cli(['predict', '--data', 'breastmnist', '--predictor', bad]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /p\.json cannot be read as JSON/);
    fs.writeFileSync(bad, '{"format": "something-else"}');
    assert.match(cli(['predict', '--data', 'breastmnist', '--predictor', bad]).stderr, /is not a tpp-lab regime predictor/);
  });
});
