import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../src/backend';
import { computeNormalization } from '../src/data/sets/batches';
import type { Dataset } from '../src/data/sets/dataset';
import { vitConfig } from '../src/model/config';
import { createMAE, DECODER_PRESETS } from '../src/model/mae';
import { createViT } from '../src/model/vit';
import { saveDecoder } from '../src/io/decoder';
import { readCheckpointInfo } from '../src/io/checkpoint';
import { peftConfig } from '../src/peft';
import { meanStd } from '../src/analysis/paired';
import { readCell, runCompare } from '../src/grid/run';
import { summarize, summarizeLong } from '../src/grid/summary';
import type { CellResult } from '../src/grid/types';
import { otherArms } from '../src/grid/settings';
import { SettingsChangedError } from '../src/grid/plan';
import { folderStore } from '../src/io/folder-store';
import { settingsFingerprint } from '../src/train/settings-fingerprint';
import { writeCompareReport } from '../src/report/compare-report';
import { tempDir } from './helpers';
import { fileBytes } from '../src/io/stage-files';

before(async () => {
  await initBackend({ warn: () => {} });
});

function noise(n: number, seed: number, shift: number): Dataset {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const data = Uint8Array.from({ length: n * 784 }, (_, j) => Math.min(255, Math.round(rand() * 150 + (labels[Math.floor(j / 784)] ? shift : 0))));
  return { images: { data, shape: [n, 28, 28, 1] }, labels: { data: labels, shape: [n, 1] }, task: 'binary-class', classNames: ['a', 'b'], source: `noise/${seed}` };
}

const cell = (arm: string, seed: number, auc: number): CellResult => ({
  method: 'lora', arm, budget: '5/class', seed, trainExamples: 10, targetParameters: 1, accuracy: 0.5, balanced_accuracy: 0.5, auc, f1: 0.5,
  val_auc: 0.5, bestEpoch: 1, settings: 'sha256:test', seconds: 1, curve: [0.5], tppSeconds: null, tppFinalLoss: null,
});

describe('compare', () => {
  test('summary: mean ± sample std, paired deltas per seed and wins', () => {
    const cells = [cell('none', 0, 0.6), cell('none', 1, 0.7), cell('same', 0, 0.65), cell('same', 1, 0.68)];
    const rows = summarize(cells);
    assert.deepEqual(rows.map((r) => r.arm), ['none', 'same']);
    assert.ok(Math.abs(rows[0].auc_mean - 0.65) < 1e-12);
    assert.ok(Math.abs(rows[0].auc_std - Math.sqrt(0.005)) < 1e-12);
    // deltas +0.05 and -0.02
    assert.ok(Math.abs(rows[1].delta_auc_mean - 0.015) < 1e-12);
    assert.equal(rows[1].wins, '1/2');
    assert.ok(Number.isNaN(rows[0].delta_auc_mean));
    assert.deepEqual(meanStd([1]), { mean: 1, std: 0, n: 1 });
  });

  test('summary.csv rows: per metric, the paired difference to none with its t interval, verdict and minimum detectable effect', () => {
    const aucs = { none: [0.6, 0.7, 0.65], same: [0.66, 0.75, 0.7] };
    const cells = [...aucs.none.map((a, i) => cell('none', i, a)), ...aucs.same.map((a, i) => cell('same', i, a))];
    const rows = summarizeLong(cells, { backbone: 'b', target: 't', task: 'classification' });
    assert.deepEqual(Object.keys(rows[0]), ['backbone', 'target', 'task', 'method', 'budget', 'arm', 'n_seeds', 'metric', 'mean', 'sd', 'delta_mean', 'delta_ci_low', 'delta_ci_high', 'wins', 'verdict', 'mde']);
    assert.deepEqual(rows.map((r) => `${r.arm}:${r.metric}`), ['none:auc', 'none:balanced_accuracy', 'none:accuracy', 'same:auc', 'same:balanced_accuracy', 'same:accuracy']);
    const auc = rows[3];
    // Differences 0.06, 0.05, 0.05: mean 0.05333, sd 0.005774, t(2) = 4.303.
    const sd = Math.sqrt(((0.06 - 0.16 / 3) ** 2 + 2 * (0.05 - 0.16 / 3) ** 2) / 2);
    assert.ok(Math.abs(auc.delta_mean - 0.16 / 3) < 1e-9);
    assert.ok(Math.abs(auc.delta_ci_low - (0.16 / 3 - 4.303 * sd / Math.sqrt(3))) < 1e-9);
    assert.equal(auc.verdict, 'helps');
    assert.equal(auc.wins, '3/3');
    assert.ok(Math.abs(auc.mde - (4.303 + 1.061) * sd / Math.sqrt(3)) < 1e-9);
    // Equal accuracies everywhere: zero differences and no detectable effect; the none rows carry no difference.
    assert.equal(rows[4].verdict, 'no detectable effect');
    assert.ok(Number.isNaN(rows[0].delta_mean) && rows[0].verdict === '');
  });

  test('--other NAME=DATA names an arm; names are unique and none/same are taken', () => {
    assert.deepEqual([...otherArms(['same-modality=kermany', 'pneumoniamnist'])], [['same-modality', 'kermany'], ['pneumoniamnist', 'pneumoniamnist']]);
    assert.throws(() => otherArms(['a=x', 'a=y']), /names the arm "a" twice/);
    assert.throws(() => otherArms(['same=kermany']), /none and same are taken/);
    assert.throws(() => otherArms(['x=']), /give NAME=DATA/);
  });

  test('shared TPP seeds: fine-tuning seed s starts from TPP seed s mod K, and cells report steps and target movement', async () => {
    const dir = tempDir();
    const backbone = createViT(vitConfig('tiny'), { seed: 0 });
    const mae = createMAE(backbone, DECODER_PRESETS.tiny, { seed: 0 });
    const decoderPath = await saveDecoder(mae, path.join(dir, 'decoder.safetensors'));
    const train = noise(24, 1, 60);
    const phases: string[] = [];
    const cells = await runCompare({
      backbone, decoder: fileBytes(decoderPath), normalization: computeNormalization(train), target: { name: 'noise', train, val: noise(8, 2, 60), test: noise(8, 3, 60) },
      methods: [{ name: 'lora', config: peftConfig('lora') }], arms: [{ name: 'none', label: 'no TPP' }, { name: 'same', images: train, label: 'same' }],
      budgets: [{ perClass: 2 }], seeds: [0, 1, 2], tpp: { epochs: 1, batchSize: 8, lr: 1e-3, pretext: 'mae', seeds: 2 },
      finetune: { epochs: 2, batchSize: 4, lr: 1e-3, minStepsPerEpoch: 3 }, store: folderStore(path.join(dir, 'run')), onProgress: (e) => !e.train && phases.push(e.phase),
    });
    assert.equal(phases.filter((p) => p === 'tpp').length, 2, 'TPP seeds 0 and 1 only');
    assert.deepEqual(cells.map((c) => `${c.arm}:${c.seed}:${c.tppSeed}`).sort(), ['none:0:null', 'none:1:null', 'none:2:null', 'same:0:0', 'same:1:1', 'same:2:0']);
    // 4 labels at batch 4 is one batch; minStepsPerEpoch 3 makes each of the 2 epochs take 3 steps.
    assert.ok(cells.every((c) => c.steps === 6 && c.targetShift! > 0), JSON.stringify(cells.map((c) => [c.steps, c.targetShift])));
    mae.dispose();
    backbone.dispose();
  });

  test('a grid runs, writes its report, and a re-run skips finished cells', async () => {
    const dir = tempDir();
    const backbone = createViT(vitConfig('tiny'), { seed: 0 });
    const mae = createMAE(backbone, DECODER_PRESETS.tiny, { seed: 0 });
    const decoderPath = await saveDecoder(mae, path.join(dir, 'decoder.safetensors'));
    const train = noise(24, 1, 60);
    const target = { name: 'noise', train, val: noise(16, 2, 60), test: noise(16, 3, 60) };
    const grid = {
      backbone, decoder: fileBytes(decoderPath), normalization: computeNormalization(train), target,
      methods: [{ name: 'lora', config: peftConfig('lora') }],
      arms: [{ name: 'none', label: 'no TPP' }, { name: 'same', images: train, label: 'same' }],
      budgets: [{ perClass: 4 }], seeds: [0, 1],
      tpp: { epochs: 1, batchSize: 8, lr: 1e-3, pretext: 'mae' as const }, finetune: { epochs: 2, batchSize: 8, lr: 1e-3 },
      store: folderStore(path.join(dir, 'run')),
    };
    const outDir = grid.store.root;
    const phases: string[] = [];
    const cells = await runCompare({ ...grid, onProgress: (e) => !e.train && phases.push(e.phase) });
    assert.equal(cells.length, 4);
    assert.deepEqual(phases.filter((p) => p === 'tpp').length, 2, 'one TPP run per (method, arm, seed)');
    assert.ok(cells.every((c) => c.trainExamples === 8 && c.auc >= 0 && c.auc <= 1));
    const files = await writeCompareReport(outDir, cells, { title: 'test' }, [{ name: 'lora', target: 512, percent: 1 }]);
    const html = fs.readFileSync(files.report_html, 'utf8');
    assert.match(html, /Plotly\.newPlot/);
    assert.equal((html.match(/class="tpp-plot"/g) ?? []).length, 3, 'AUC bars, paired differences, one learning-curve chart');
    assert.match(fs.readFileSync(files.results_csv, 'utf8').split('\n')[0], /^method,arm,budget,seed,/);
    // Re-run: everything is skipped and the results are identical.
    const again: string[] = [];
    const cells2 = await runCompare({ ...grid, onProgress: (e) => !e.train && again.push(e.phase) });
    assert.deepEqual(again, ['skip', 'skip', 'skip', 'skip']);
    assert.deepEqual(cells2, cells);
    // Every cell and TPP adapter records its full settings; the csv names the run settings of each row.
    const stored = readCell(grid.store, 'cells/lora__same__4_class__s1.json');
    assert.equal(stored.fingerprint, settingsFingerprint(stored.cellSettings));
    assert.deepEqual([(stored.cellSettings.finetune as { epochs: number }).epochs, stored.cellSettings.seed, (stored.cellSettings.tpp as { epochs: number }).epochs], [2, 1, 1]);
    const tpp = JSON.parse(fs.readFileSync(path.join(outDir, 'tpp', 'lora__same__s1', 'tpp.json'), 'utf8'));
    const adapterMeta = (await readCheckpointInfo(path.join(outDir, 'tpp', 'lora__same__s1', 'adapter.safetensors'))).metadata;
    assert.equal(adapterMeta.settingsFingerprint, tpp.fingerprint);
    assert.equal(settingsFingerprint(adapterMeta.settings), tpp.fingerprint);
    assert.match(fs.readFileSync(files.results_csv, 'utf8').split('\n')[1], /,sha256:[0-9a-f]{64},/);
    // A rerun with other fine-tuning epochs refuses, naming the field; TPP adapters stay valid for it.
    await assert.rejects(runCompare({ ...grid, finetune: { ...grid.finetune, epochs: 3 } }), (e: Error) => {
      assert.ok(e instanceof SettingsChangedError);
      assert.match(e.message, /holds 4 of 4 cells made with other settings \(finetune\.epochs: 2 → 3\)\. Rerun with --recompute/);
      return true;
    });
    // Other TPP epochs invalidate the TPP arm's cells and adapters only.
    await assert.rejects(runCompare({ ...grid, tpp: { ...grid.tpp, epochs: 2 } }), /2 of 4 cells and 2 TPP adapters made with other settings \(tpp\.epochs: 1 → 2\)/);
    // Other data contents (same names and shapes) are caught too.
    await assert.rejects(runCompare({ ...grid, target: { ...target, test: noise(16, 4, 60) } }), /target\.test: "sha256:[0-9a-f]+" → "sha256:[0-9a-f]+"/);
    // --recompute redoes exactly the changed ones; an added seed computes only its own cells.
    const redo: string[] = [];
    const cells3 = await runCompare({ ...grid, finetune: { ...grid.finetune, epochs: 3 }, recompute: true, seeds: [0, 1, 2], onProgress: (e) => !e.train && redo.push(e.phase) });
    assert.equal(cells3.length, 6);
    assert.deepEqual(redo.filter((p) => p === 'tpp').length, 1, 'only seed 2 needs TPP');
    assert.deepEqual(redo.filter((p) => p === 'finetune').length, 6);
    const kept: string[] = [];
    await runCompare({ ...grid, finetune: { ...grid.finetune, epochs: 3 }, seeds: [0, 1, 2], onProgress: (e) => !e.train && kept.push(e.phase) });
    assert.deepEqual(kept, new Array(6).fill('skip'));
    mae.dispose();
    backbone.dispose();
  });
});
