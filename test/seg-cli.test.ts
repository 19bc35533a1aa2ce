import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { initBackend } from '../src/backend';
import { loadSegData } from '../src/io/sources/seg-source';
import { segImages, segSubset } from '../src/data/sets/segmentation';
import { readCheckpointInfo, loadBackbone } from '../src/io/checkpoint';
import { loadSegAdapter } from '../src/io/seg-checkpoint';
import { vitConfig } from '../src/model/config';
import { backboneFingerprint } from '../src/model/fingerprint';
import { pretrainMAE } from '../src/train/pretrain';
import { fitSegToBackbone } from '../src/data/sets/fit';
import { cli, ROOT, tempDir } from './helpers';
import { stageFiles } from '../src/io/stage-files';

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);
const HC18 = path.join(ROOT, 'data', 'hc18_64.npz');
const BUSI = path.join(ROOT, 'data', 'busi_64.npz');

describe('tpp-lab finetune --task segment', () => {
  const dir = tempDir();
  const pre = path.join(dir, 'pre');

  test('a 32 px backbone (MAE, a few steps) → TPP on a segmentation pack → segmentation fine-tuning from it, with --json', async () => {
    await initBackend();
    const config = vitConfig('tiny', { imageSize: 32, patchSize: 8 });
    const pool = fitSegToBackbone(segSubset((await loadSegData(BUSI)).train, Array.from({ length: 32 }, (_, i) => i)), config, true);
    const r = await pretrainMAE({ train: segImages(pool), preset: config, epochs: 1, batchSize: 16, seed: 0, files: stageFiles(pre) });
    r.mae.dispose();
    r.mae.encoder.dispose();
    const t = cli(['tpp', '--data', BUSI, '--convert', '--backbone', pre, '--method', 'lora', '--limit', '16', '--epochs', '1', '--batch', '16', '--out', path.join(dir, 'tpp'), '--json', '--quiet']);
    assert.equal(t.code, 0, t.stderr);
    const tj = lastJson(t.stdout);
    const f = cli(['finetune', '--task', 'segment', '--data', HC18, '--convert', '--backbone', pre, '--method', 'lora', '--init', tj.adapter, '--labels', '10', '--epochs', '2', '--batch', '8', '--out', path.join(dir, 'ft'), '--json', '--quiet']);
    assert.equal(f.code, 0, f.stderr);
    const fj = lastJson(f.stdout);
    assert.equal(fj.train_examples, 10);
    assert.equal(fj.test_examples, 200);
    assert.equal(fj.head, 'progressive');
    assert.equal(fj.hd95_unit, 'mm');
    for (const k of ['dice', 'iou']) assert.ok(fj[k] >= 0 && fj[k] <= 1, `${k} = ${fj[k]}`);
    assert.ok(fj.hd95 >= 0 && Number.isFinite(fj.hd95));
    assert.ok(fj.hc_error_mm >= 0 && Number.isFinite(fj.hc_error_mm), `hc_error_mm = ${fj.hc_error_mm}`);
    assert.ok(fj.best_epoch >= 1 && fj.best_epoch <= 2);
    // The adapter holds target parameters + seg_head.* (no classification head) and opens again on the backbone.
    const info = await readCheckpointInfo(fj.adapter);
    assert.equal(info.kind, 'adapter');
    assert.equal((info.metadata as { task?: string }).task, 'segment');
    const vit = await loadBackbone(path.join(pre, 'backbone.safetensors'));
    const loaded = await loadSegAdapter(fj.adapter, vit);
    assert.equal(loaded.head.config.kind, 'progressive');
    assert.equal((loaded.metadata.test as { dice: number }).dice, fj.dice);
    loaded.peft.dispose();
    loaded.head.dispose();
    vit.dispose();
  });

  test('an RGB pack it has never seen: a clear message without --convert, results with it', () => {
    const rgb = path.join(ROOT, 'test', 'fixtures', 'seg', 'rgb_seg.npz');
    const no = cli(['finetune', '--task', 'segment', '--data', rgb, '--backbone', pre, '--head', 'linear', '--epochs', '1', '--out', path.join(dir, 'rgb0'), '--quiet']);
    assert.equal(no.code, 1);
    assert.match(no.stderr, /has images 32x32x3 but the backbone expects 32x32x1.*--convert/);
    const yes = cli(['finetune', '--task', 'segment', '--data', rgb, '--convert', '--backbone', pre, '--head', 'linear', '--method', 'adapter', '--labels', '5', '--epochs', '1', '--out', path.join(dir, 'rgb1'), '--json', '--quiet']);
    assert.equal(yes.code, 0, yes.stderr);
    const j = lastJson(yes.stdout);
    assert.equal(j.train_examples, 5);
    assert.equal(j.hd95_unit, 'px');
    assert.equal(j.hc_error_mm, undefined);
    assert.ok(j.dice >= 0 && j.dice <= 1);
  });

  test('without --backbone, a segmentation pack is fine-tuned on the bundled 64 px imagenet64 backbone (the command of a fresh clone)', async () => {
    const r = cli(['finetune', '--task', 'segment', '--data', HC18, '--labels', '10', '--epochs', '1', '--head', 'linear', '--out', path.join(dir, 'fresh'), '--json', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const j = lastJson(r.stdout);
    assert.equal(j.train_examples, 10);
    assert.equal(j.test_examples, 200);
    assert.ok(j.dice >= 0 && j.dice <= 1 && Number.isFinite(j.hc_error_mm), JSON.stringify(j));
    const info = await readCheckpointInfo(path.join(dir, 'fresh', 'adapter.safetensors'));
    const bundled = await loadBackbone(path.join(ROOT, 'data', 'backbone-imagenet64', 'backbone.safetensors'));
    assert.equal(info.fingerprint, await backboneFingerprint(bundled), 'the adapter was trained on imagenet64');
    bundled.dispose();
  });

  test('usage errors for segmentation flags', () => {
    const bad = cli(['finetune', '--task', 'segment', '--data', HC18, '--labels', '0.5', '--backbone', pre, '--out', path.join(dir, 'x'), '--quiet']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--labels for --task segment takes a whole number of labelled images/);
    const head = cli(['finetune', '--data', 'breastmnist', '--head', 'linear', '--out', path.join(dir, 'x')]);
    assert.equal(head.code, 2);
    assert.match(head.stderr, /--head applies to --task segment/);
    assert.ok(!fs.existsSync(path.join(dir, 'x', 'adapter.safetensors')));
  });
});
