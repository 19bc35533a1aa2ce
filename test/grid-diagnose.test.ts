import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { linearCka } from '../src/analysis/cka';
import { diagnoseTarget } from '../src/grid/diagnose';
import { initBackend } from '../src/backend';
import { computeNormalization } from '../src/data/sets/batches';
import { mulberry32 } from '../src/data/sets/random';
import { loadBackbone } from '../src/io/checkpoint';
import { backboneFingerprint } from '../src/model/fingerprint';
import { peftConfig } from '../src/peft';
import { DIAGNOSTIC_COLUMNS } from '../src/report/diagnostics';
import { pretrainMAE } from '../src/train/pretrain';
import { targetParameterPretrain } from '../src/train/tpp';
import { brightness, cli, tempDir, tinyBackbone } from './helpers';
import { fileBytes, stageFiles } from '../src/io/stage-files';

/** `[n, d]` row-major with entries uniform in [-1, 1). */
function randomMatrix(n: number, d: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  return Float64Array.from({ length: n * d }, () => 2 * rand() - 1);
}

/** `x` `[n, d]` times `m` `[d, e]`. */
function matmul(x: Float64Array, n: number, d: number, m: Float64Array, e: number): Float64Array {
  const out = new Float64Array(n * e);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) for (let j = 0; j < e; j++) out[i * e + j] += x[i * d + k] * m[k * e + j];
  return out;
}

/** A `[d, d]` orthogonal matrix: a Householder reflection I - 2 v vᵀ / vᵀv times a rotation of the first two axes. */
function orthogonal(d: number, seed: number): Float64Array {
  const v = randomMatrix(1, d, seed);
  const vv = v.reduce((s, x) => s + x * x, 0);
  const h = Float64Array.from({ length: d * d }, (_, i) => (Math.floor(i / d) === i % d ? 1 : 0) - (2 * v[Math.floor(i / d)] * v[i % d]) / vv);
  const r = Float64Array.from({ length: d * d }, (_, i) => (Math.floor(i / d) === i % d ? 1 : 0));
  const [c, s] = [Math.cos(0.7), Math.sin(0.7)];
  [r[0], r[1], r[d], r[d + 1]] = [c, -s, s, c];
  return matmul(h, d, d, r, d);
}

test('linear CKA: 1 for the same features, invariant to orthogonal transforms and isotropic scaling, not to stretching one axis', () => {
  const [n, d] = [40, 6];
  const x = randomMatrix(n, d, 1);
  const q = orthogonal(d, 2);
  // Q is orthogonal: QᵀQ = I.
  const qtq = matmul(Float64Array.from({ length: d * d }, (_, i) => q[(i % d) * d + Math.floor(i / d)]), d, d, q, d);
  qtq.forEach((v, i) => assert.ok(Math.abs(v - (Math.floor(i / d) === i % d ? 1 : 0)) < 1e-12));
  const X = { x, dim: d };
  assert.ok(Math.abs(linearCka(X, X) - 1) < 1e-12);
  assert.ok(Math.abs(linearCka(X, { x: matmul(x, n, d, q, d), dim: d }) - 1) < 1e-12);
  assert.ok(Math.abs(linearCka(X, { x: x.map((v) => -3.7 * v), dim: d }) - 1) < 1e-12);
  // A non-isotropic scaling is not a similarity transform: CKA drops below 1.
  const stretched = x.map((v, i) => (i % d === 0 ? 10 * v : v));
  assert.ok(linearCka(X, { x: stretched, dim: d }) < 0.9);
  // Symmetric, and unrelated random features are far from 1.
  const y = { x: randomMatrix(n, 3, 9), dim: 3 };
  assert.equal(linearCka(X, y), linearCka(y, X));
  assert.ok(linearCka(X, y) < 0.5, String(linearCka(X, y)));
});

test('linear CKA matches a hand computation and numpy', () => {
  // One feature each: CKA is the squared Pearson correlation. a = [1,2,3,4], b = [1,3,2,5]: centred,
  // sum(ab) = 5.5, sum(a²) = 5, sum(b²) = 8.75, so r² = 30.25 / 43.75 = 121 / 175.
  assert.ok(Math.abs(linearCka({ x: [1, 2, 3, 4], dim: 1 }, { x: [1, 3, 2, 5], dim: 1 }) - 121 / 175) < 1e-15);
  // numpy: Xc, Yc = X - X.mean(0), Y - Y.mean(0);
  // np.linalg.norm(Yc.T @ Xc)**2 / (np.linalg.norm(Xc.T @ Xc) * np.linalg.norm(Yc.T @ Yc)) = 0.2845344912752347
  const X = { x: [1, 2, 0, 0, 1, 3, 2, 2, 1, 4, 0, 1, 1, 3, 2], dim: 3 };
  const Y = { x: [1, 0, 2, 1, 0, 3, 1, 1, 3, 2], dim: 2 };
  assert.ok(Math.abs(linearCka(X, Y) - 0.2845344912752347) < 1e-14);
  assert.throws(() => linearCka(X, { x: [1, 2, 3, 4], dim: 2 }), /same examples; got 5 x 3 and 2 x 2/);
  assert.ok(Number.isNaN(linearCka({ x: [2, 2, 2], dim: 1 }, { x: [1, 2, 3], dim: 1 })), 'constant features have no CKA');
});

test('tpp-lab diagnose measures a tiny study: columns, the none baseline equal to `tpp-lab probe`, and clear errors', () => {
  const dir = tempDir();
  const bb = tinyBackbone(path.join(dir, 'backbone'));
  const plan = path.join(dir, 'plan.json');
  fs.writeFileSync(plan, JSON.stringify({
    title: 'tiny study', backbone: bb, methods: ['lora'], budgets: [2], seeds: [0, 1], tppSeeds: 2,
    tpp: { epochs: 1, images: 32 }, finetune: { epochs: 1, batch: 4, minSteps: 2 }, targets: [{ data: 'breastmnist' }],
  }));
  const study = path.join(dir, 'study');
  const r = cli(['study', '--plan', plan, '--out', study, '--quiet', '--jobs', '1']);
  assert.equal(r.code, 0, r.stderr);

  const out = path.join(dir, 'diag');
  const d = cli(['diagnose', '--study', study, '--plan', plan, '--limit-train', '100', '--out', out, '--quiet']);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /breastmnist +lora +same +1 /);
  const lines = fs.readFileSync(path.join(out, 'diagnostics.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], DIAGNOSTIC_COLUMNS.join(','));
  assert.equal(lines[0], 'target,method,arm,tpp_seed,train_images,test_images,metric,linear,knn,linear_delta,knn_delta,cka,mae_loss,mae_loss_delta,tpp_norm,tpp_update,ft_shift_mean,ft_shift_n');
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [lines[0].split(',')[i], v])));
  assert.deepEqual(rows.map((x) => [x.method, x.arm, x.tpp_seed]), [['lora', 'none', ''], ['lora', 'same', '0'], ['lora', 'same', '1']]);
  const [none, ...tpp] = rows;
  assert.deepEqual([none.train_images, none.test_images, none.metric], ['100', '156', 'auc']);
  assert.ok(Math.abs(Number(none.cka) - 1) < 1e-12, none.cka);
  assert.deepEqual([none.linear_delta, none.mae_loss_delta, none.tpp_update], ['0', '0', 'NaN']);
  // Two fine-tuning seeds without TPP; each TPP seed starts one cell.
  assert.equal(none.ft_shift_n, '2');
  for (const row of tpp) {
    assert.ok(Number(row.cka) > 0 && Number(row.cka) <= 1 + 1e-12, row.cka);
    assert.ok(Number(row.tpp_update) > 0 && Number(row.tpp_norm) > 0, JSON.stringify(row));
    assert.ok(Number.isFinite(Number(row.mae_loss)) && Number(row.mae_loss) > 0);
    assert.equal(row.ft_shift_n, '1');
    assert.ok(Number(row.ft_shift_mean) > 0);
  }
  // The none row's probes are `tpp-lab probe`'s figures for the same backbone and training images.
  const p = cli(['probe', '--backbone', bb, '--data', 'breastmnist', '--limit', '100', '--json', '--quiet']);
  assert.equal(p.code, 0, p.stderr);
  const probe = JSON.parse(p.stdout.trim().split('\n').pop()!);
  assert.ok(Math.abs(Number(none.linear) - probe.linear_auc) < 1e-12, `${none.linear} vs ${probe.linear_auc}`);
  assert.ok(Math.abs(Number(none.knn) - probe.knn_auc) < 1e-12, `${none.knn} vs ${probe.knn_auc}`);

  // A missing adapter or study folder: an error naming the command that makes it, before any slow work.
  const adapter = path.join(study, 'breastmnist', 'tpp', 'lora__same__s1', 'adapter.safetensors');
  fs.renameSync(adapter, `${adapter}.away`);
  const missing = cli(['diagnose', '--study', study, '--plan', plan, '--out', out]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /lora__same__s1[/\\]adapter\.safetensors is missing: its TPP run has not finished\. Make it with: tpp-lab study --plan .*plan\.json --out .*study --targets breastmnist/);
  const noStudy = cli(['diagnose', '--study', path.join(dir, 'nowhere'), '--plan', plan]);
  assert.equal(noStudy.code, 2);
  assert.match(noStudy.stderr, /nowhere: no such folder\. Make the study first: tpp-lab study --plan /);
});

test('diagnoseTarget leaves the backbone as it found it, also for BitFit, whose target parameters are backbone tensors', async () => {
  await initBackend({ warn: () => {} });
  const dir = tempDir();
  const [train, test_] = [brightness(32, 1), brightness(16, 2)];
  const normalization = computeNormalization(train);
  const pre = await pretrainMAE({ train, preset: 'tiny', epochs: 1, batchSize: 16, files: stageFiles(path.join(dir, 'pre')) });
  // BitFit's TPP trains the biases of the backbone it is given in place: diagnose a fresh copy.
  const tpp = await targetParameterPretrain({
    backbone: pre.mae.encoder, method: peftConfig('bitfit'), decoder: fileBytes(pre.decoderPath!), images: train, normalization, epochs: 2, batchSize: 16, lr: 1e-2, seed: 0, files: stageFiles(path.join(dir, 'tpp')),
  });
  tpp.peft.dispose();
  pre.mae.dispose();
  pre.mae.encoder.dispose();
  const backbone = await loadBackbone(pre.backbonePath!);
  try {
    const before = await backboneFingerprint(backbone);
    const options = { backbone, decoderPath: pre.decoderPath!, normalization, target: { name: 'brightness', train, test: test_ }, methods: ['bitfit'] };
    const rows = await diagnoseTarget({ ...options, adapters: [{ method: 'bitfit', arm: 'same', tppSeed: 0, path: tpp.adapterPath! }] });
    assert.equal(await backboneFingerprint(backbone), before, 'the biases are put back');
    assert.deepEqual(rows.map((r) => [r.arm, r.tpp_seed, r.metric]), [['none', null, 'auc'], ['same', 0, 'auc']]);
    const [none, same] = rows;
    assert.ok(same.tpp_update > 0 && same.tpp_norm > 0, `TPP moved the biases by ${same.tpp_update} (norm ${same.tpp_norm})`);
    assert.ok(same.cka < 1 - 1e-9, `features moved: CKA ${same.cka}`);
    assert.ok(same.mae_loss !== none.mae_loss);
    assert.ok(Number.isNaN(none.ft_shift_mean) && none.ft_shift_n === 0, 'no cells given');
    // Measured again, the plain backbone gives the same figures.
    const again = await diagnoseTarget({ ...options, adapters: [] });
    assert.deepEqual(again, [none]);
    await assert.rejects(diagnoseTarget({ ...options, adapters: [{ method: 'lora', arm: 'same', tppSeed: 0, path: tpp.adapterPath! }] }), /is a bitfit adapter, but the study names it as lora/);
  } finally {
    backbone.dispose();
  }
});
