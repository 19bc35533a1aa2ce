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
    }
    assert.match(out.validation.verdict, /trivial predictor/);
  });
  it('says in words that the predictor does not beat the mean, and refuses another backbone', () => {
    const r = cli(['predict', '--data', 'breastmnist', '--limit', '200']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Validation, leave one target out: worse than the trivial predictor/);
    assert.match(r.stdout, /Read every prediction below as "we cannot tell"/);
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
