import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { cli, tempDir } from './helpers';

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);

describe('tpp-lab pretrain / tpp / finetune', () => {
  const dir = tempDir();
  const pre = path.join(dir, 'pre');

  test('the three stages chain on the command line, with --json results', () => {
    const p = cli(['pretrain', '--data', 'breastmnist', '--preset', 'tiny', '--limit', '64', '--epochs', '1', '--batch', '32', '--out', pre, '--json', '--quiet']);
    assert.equal(p.code, 0, p.stderr);
    const pj = lastJson(p.stdout);
    assert.ok(fs.existsSync(pj.backbone) && fs.existsSync(pj.decoder));
    const t = cli(['tpp', '--data', 'breastmnist', '--backbone', pre, '--method', 'lora', '--limit', '64', '--epochs', '1', '--batch', '32', '--out', path.join(dir, 'tpp'), '--json', '--quiet']);
    assert.equal(t.code, 0, t.stderr);
    const tj = lastJson(t.stdout);
    assert.equal(tj.pretext, 'mae');
    assert.ok(tj.adapter_bytes > 0 && fs.existsSync(tj.adapter));
    const f = cli(['finetune', '--data', 'breastmnist', '--backbone', pre, '--method', 'lora', '--init', tj.adapter, '--labels', '5', '--epochs', '2', '--out', path.join(dir, 'ft'), '--json', '--quiet']);
    assert.equal(f.code, 0, f.stderr);
    const fj = lastJson(f.stdout);
    for (const k of ['accuracy', 'balanced_accuracy', 'auc', 'f1']) assert.ok(fj[k] >= 0 && fj[k] <= 1, `${k} = ${fj[k]}`);
    assert.equal(fj.train_examples, 10);
    assert.ok(fs.existsSync(fj.adapter));
  });

  test('errors name the problem and the fix', () => {
    const noData = cli(['finetune', '--out', path.join(dir, 'x')]);
    assert.equal(noData.code, 2);
    assert.match(noData.stderr, /--data is required/);
    const missing = cli(['finetune', '--data', 'organamnist', '--backbone', pre, '--out', path.join(dir, 'x'), '--quiet']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /organamnist/);
    assert.match(missing.stderr, /tpp-lab data download organamnist/);
    const badLabels = cli(['finetune', '--data', 'breastmnist', '--labels', '-3', '--out', path.join(dir, 'x')]);
    assert.equal(badLabels.code, 2);
    assert.match(badLabels.stderr, /--labels: A label budget is a whole number per class \(e.g. 10\), a fraction in \(0, 1\) \(e.g. 0.1\), or "all"; got "-3"/);
    const wrongFlag = cli(['tpp', '--data', 'breastmnist', '--method', 'adapter', '--rank', '8', '--out', path.join(dir, 'x')]);
    assert.equal(wrongFlag.code, 2);
    assert.match(wrongFlag.stderr, /--rank applies to lora, not to --method adapter/);
    const noBackbone = cli(['tpp', '--data', 'breastmnist', '--backbone', path.join(dir, 'nowhere'), '--out', path.join(dir, 'x')]);
    assert.equal(noBackbone.code, 1);
    assert.match(noBackbone.stderr, /No backbone at .*nowhere.*tpp-lab pretrain --out DIR/);
  });

  test('an adapter from another backbone is refused, naming the fingerprints', () => {
    const other = path.join(dir, 'pre2');
    assert.equal(cli(['pretrain', '--data', 'breastmnist', '--preset', 'tiny', '--limit', '32', '--epochs', '1', '--seed', '1', '--out', other, '--quiet']).code, 0);
    const adapter = path.join(dir, 'tpp', 'adapter.safetensors');
    const r = cli(['finetune', '--data', 'breastmnist', '--backbone', other, '--init', adapter, '--labels', '5', '--epochs', '1', '--out', path.join(dir, 'ft2'), '--quiet']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Backbone fingerprint mismatch loading adapter .*adapter\.safetensors: the adapter was trained on backbone sha256:/);
  });
});
