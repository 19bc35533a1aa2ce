/**
 * The grid's faults, in the library (issue 24; test/robust-corpus.test.ts runs them through the CLI): sizes checked
 * from counts before any per-cell structure, unreadable records named and refused unless recomputed, writes that
 * fail at the file layer named with their file and leaving the old record, and --out folders that are files.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../src/backend';
import { encodeSafetensors } from '../src/checkpoint/safetensors';
import { parseArgs } from '../src/cli/args';
import { command as compare, limitsFromFlags } from '../src/cli/commands/compare';
import { computeNormalization } from '../src/data/sets/batches';
import type { Dataset } from '../src/data/sets/dataset';
import { readGridFile } from '../src/grid/grid-file';
import { checkReuse, CorruptResultError, planCompare } from '../src/grid/plan';
import type { GridSettings } from '../src/grid/settings';
import { checkGridSettings, checkGridSize, GRID_LIMITS, gridShape, gridSize, GridSizeError, addSizes } from '../src/grid/size';
import { targetGrids } from '../src/grid/study';
import { studyShapes, validateStudyPlan } from '../src/grid/study-plan';
import { readStudyPlan } from '../src/grid/study-plan-file';
import { nodeGridSources } from '../src/io/grid-sources';
import type { Arm, CompareGrid } from '../src/grid/types';
import { folderStore } from '../src/io/folder-store';
import { acquireRunFolder, notAFolder, RunFolderError } from '../src/io/run-folder';
import { FileWriteError, type GridStore, memoryStore } from '../src/io/store';
import { vitConfig } from '../src/model/config';
import { createViT, type ViT } from '../src/model/vit';
import { peftConfig } from '../src/peft';
import { ROOT, tempDir } from './helpers';

describe('grid sizes, before any work', () => {
  const settings: GridSettings = {
    data: 'breastmnist', other: ['natural=tinyimagenet'], methods: ['lora', 'adapter'], arms: ['none', 'same', 'natural'], budgets: [{ perClass: 1 }, { perClass: 5 }, { perClass: 10 }],
    seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], tppSeeds: 3, splitSeed: 0, tppEpochs: 40, tppLr: 3e-3, tppImages: 546, pretext: 'mae', epochs: 30, lr: 3e-3, batch: 16,
    armTpp: { natural: { epochs: 10 } }, out: '/nowhere', title: 't',
  };

  test('cells, TPP runs and hours from counts: each cell\'s epochs and each TPP run\'s at the documented cost', () => {
    const size = gridSize(gridShape(settings));
    assert.equal(size.cells, 2 * 3 * 3 * 10);
    assert.equal(size.tppRuns, 2 * 3 * 2, 'methods x TPP seeds x arms with TPP');
    const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9 * b, `${a} ≈ ${b}`);
    near(size.hours, (180 * 30 * 0.75 + 2 * 3 * (40 + 10) * 1) / 3600);
    // At least `minSteps` steps an epoch make an epoch longer once they cost more than the measured epoch.
    near(gridSize({ ...gridShape(settings), minSteps: 100 }).hours, (180 * 30 * 100 * 0.068 + 2 * 3 * 50) / 3600);
  });

  test('a grid past a limit is refused with its numbers, what makes them, the limit and the flag that raises it', () => {
    assert.doesNotThrow(() => checkGridSettings(settings));
    assert.throws(() => checkGridSettings(settings, { maxCells: 100 }), (e: Error) => e instanceof GridSizeError &&
      e.message === 'this grid has 180 cells (2 methods x 3 arms x 3 budgets x 10 seeds, 30 epochs, TPP 40/10 epochs), more than the limit of 100; make it smaller, or raise the limit with --max-cells N if you mean it.');
    assert.throws(() => checkGridSettings({ ...settings, epochs: 1e8 }), /\(180 cells and 12 TPP runs: .*100,000,000 epochs.*\) would take about 428 years of compute on one process .* more than the limit of 720 hours; .* --max-hours H/);
    assert.doesNotThrow(() => checkGridSettings({ ...settings, epochs: 1e8 }, { maxHours: 1e12 }));
    // The flags reach the limits.
    const { flags } = parseArgs(['--max-cells', '5', '--max-hours', '2.5'], compare.flags);
    assert.deepEqual(limitsFromFlags(flags), { maxCells: 5, maxHours: 2.5 });
    assert.throws(() => checkGridSettings(settings, limitsFromFlags(flags)), /limit of 5;/);
    assert.deepEqual(GRID_LIMITS, { maxCells: 100_000, maxHours: 720 });
  });

  test('a study plan of 10^9 seeds is refused from its counts, before its seed list exists', () => {
    const plan = { methods: ['lora'], budgets: [1], seeds: 1e9, targets: [{ data: 'breastmnist' }] };
    const t0 = Date.now();
    assert.throws(() => validateStudyPlan(plan, nodeGridSources), GridSizeError);
    assert.throws(() => validateStudyPlan(plan, nodeGridSources), /the study plan has 2,000,000,000 cells \(1 target; 1 method x 1,000,000,000 seeds, 30 epochs\), more than the limit of 100,000; .*"maxCells" in the plan \(or --max-cells N\)/);
    assert.ok(Date.now() - t0 < 2000, 'no list of 10^9 seeds was built');
    // The plan's own limit, and the command's, which wins.
    assert.throws(() => validateStudyPlan({ ...plan, seeds: 3, maxCells: 5 }, nodeGridSources), /has 6 cells .* limit of 5;/);
    assert.equal(validateStudyPlan({ ...plan, seeds: 3, maxCells: 5 }, nodeGridSources, { maxCells: 6 }).maxCells, 6);
    assert.throws(() => validateStudyPlan({ ...plan, seeds: 3, maxCells: 0 }, nodeGridSources), /maxCells must be a whole number >= 1/);
    assert.equal(validateStudyPlan({ ...plan, seeds: 3 }, nodeGridSources).maxCells, undefined);
  });

  test('a study\'s shapes from counts are its grids\' shapes', () => {
    for (const file of ['docs/results/study-2026-11-28/plan.json', 'docs/results/regime-2026-12-06/knee-plan.json']) {
      const plan = readStudyPlan(path.join(ROOT, file));
      const fromGrids = addSizes(plan.targets.flatMap((t) => targetGrids(plan, t, '/x')).map((s) => gridSize(gridShape(s))));
      assert.deepEqual(addSizes(studyShapes(plan, plan.seeds.length).map(gridSize)), fromGrids, file);
      assert.doesNotThrow(() => checkGridSize(fromGrids, file), 'the committed studies are well within the limits');
    }
  });
});

function noise(n: number, seed: number): Dataset {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  return { images: { data: Uint8Array.from({ length: n * 784 }, () => Math.round(rand() * 200)), shape: [n, 28, 28, 1] }, labels: { data: labels, shape: [n, 1] }, task: 'binary-class', classNames: ['a', 'b'], source: `noise/${seed}` };
}

describe('records that cannot be read', () => {
  let backbone: ViT;
  const train = noise(16, 1);
  const arms: Arm[] = [{ name: 'none', label: 'no TPP' }, { name: 'same', images: train, label: 'same' }];
  const grid = (store: GridStore): CompareGrid => ({
    backbone, normalization: computeNormalization(train), target: { name: 'noise', train, val: noise(8, 2), test: noise(8, 3) },
    methods: [{ name: 'lora', config: peftConfig('lora') }], arms, budgets: [{ perClass: 2 }], seeds: [0],
    tpp: { epochs: 1, batchSize: 8, lr: 1e-3, pretext: 'mae', maxImages: 16 }, finetune: { epochs: 1, batchSize: 4, lr: 1e-3 }, store, settings: { data: 'noise' },
  });
  before(async () => {
    await initBackend({ warn: () => {} });
    backbone = createViT(vitConfig('tiny'), { seed: 0 });
  });

  test('a truncated or non-object cell is corrupt, named by its path, refused unless recomputed; the rest are kept', async () => {
    for (const store of [folderStore(tempDir()), memoryStore('mem')]) {
      const clean = await planCompare(grid(store));
      const [none, same] = clean.cells;
      await store.writeJson(none.file, { fingerprint: none.fingerprint, cellSettings: none.settings });
      await store.writeBytes(same.file, new TextEncoder().encode('{"method": "lo'));
      const plan = await planCompare(grid(store));
      assert.deepEqual(plan.cells.map((c) => c.state), ['done', 'corrupt']);
      const where = `${store.root}/${same.file}`;
      assert.match(plan.cells[1].corrupt!, new RegExp(`^${where.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is corrupt \\(not JSON: `));
      assert.throws(() => checkReuse(plan, store.root, false), (e: Error) => e instanceof CorruptResultError &&
        e.message.startsWith(`${where} is corrupt (not JSON: `) && e.message.endsWith(': rerun with --recompute to redo it (the finished results that read fine are kept), or use a new --out.'));
      checkReuse(plan, store.root, true);
      assert.deepEqual(plan.cells.map((c) => c.state), ['done', 'pending']);
      await store.writeBytes(same.file, new TextEncoder().encode('42'));
      assert.match((await planCompare(grid(store))).cells[1].corrupt!, /is corrupt \(not a JSON object\)$/);
    }
  });

  test('a TPP run\'s unreadable settings.json, tpp.json, adapter or checkpoint is corrupt too; two files are counted in one sentence', async () => {
    const store = memoryStore('mem');
    const [task] = (await planCompare(grid(store))).tpp;
    await store.writeBytes(`${task.dir}/settings.json`, new TextEncoder().encode('garbage'));
    await store.writeBytes('cells/lora__same__2_class__s0.json', new TextEncoder().encode(''));
    const plan = await planCompare(grid(store));
    assert.equal(plan.tpp[0].state, 'corrupt');
    assert.match(plan.tpp[0].corrupt!, /^mem\/tpp\/lora__same__s0\/settings\.json is corrupt \(not JSON: /);
    assert.throws(() => checkReuse(plan, 'mem', false), /settings\.json is corrupt \(not JSON: .*\), as is 1 more file: rerun with --recompute to redo them/);
    await store.writeJson(`${task.dir}/settings.json`, { fingerprint: task.fingerprint, settings: task.settings });
    await store.writeBytes(`${task.dir}/tpp.json`, new TextEncoder().encode('{"seconds": 1,'));
    store.remove('cells');
    const summary = await planCompare(grid(store));
    assert.equal(summary.tpp[0].state, 'corrupt');
    assert.match(summary.tpp[0].corrupt!, /tpp\.json is corrupt/);
    // A finished run: its adapter must read (absent: the run is redone); a half-done run: its checkpoint.
    await store.writeJson(`${task.dir}/tpp.json`, { seconds: 1, finalLoss: 0.5, fingerprint: task.fingerprint });
    assert.equal((await planCompare(grid(store))).tpp[0].state, 'pending');
    await store.writeBytes(`${task.dir}/adapter.safetensors`, encodeSafetensors(new Map([['w', { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) }]])));
    assert.equal((await planCompare(grid(store))).tpp[0].state, 'done');
    await store.writeBytes(`${task.dir}/adapter.safetensors`, encodeSafetensors(new Map([['w', { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) }]])).subarray(0, 30));
    assert.match((await planCompare(grid(store))).tpp[0].corrupt!, /^mem\/tpp\/lora__same__s0\/adapter\.safetensors is corrupt \(not a safetensors file: header length \d+ is larger than the file \(30 bytes\)\)$/);
    store.remove(`${task.dir}/tpp.json`);
    store.remove(`${task.dir}/adapter.safetensors`);
    await store.writeBytes(`${task.dir}/checkpoint.safetensors`, new TextEncoder().encode('garbage!garbage!'));
    assert.match((await planCompare(grid(store))).tpp[0].corrupt!, /checkpoint\.safetensors is corrupt \(not a safetensors file: /);
  });

  test('an unreadable grid.json names itself and the fix', async () => {
    const store = memoryStore('mem');
    await store.writeBytes('grid.json', new TextEncoder().encode('{"format'));
    assert.throws(() => readGridFile(store), /^CorruptResultError: mem\/grid\.json is corrupt \(not JSON: .*\): rerun the grid's command, which writes it again and keeps the finished cells\.$/);
  });
});

describe('writes that fail, and --out folders that are files', () => {
  test('a write that fails at the file layer names the file, leaves the old record and no temporary file', { skip: !fs.existsSync('/dev/full') && 'no /dev/full here' }, async () => {
    const dir = tempDir();
    const store = folderStore(dir);
    await store.writeJson('cells/a.json', { old: true });
    // The atomic write's temporary file is a link to /dev/full: the write fails with ENOSPC, as on a full disk.
    fs.symlinkSync('/dev/full', path.join(dir, 'cells', `a.json.tmp-${process.pid}`));
    await assert.rejects(store.writeJson('cells/a.json', { old: false }), (e: Error) => e instanceof FileWriteError && e.code === 'ENOSPC' &&
      e.message === `Cannot write ${path.join(dir, 'cells', 'a.json')}: no space left on the device (ENOSPC).`);
    assert.deepEqual(store.readJson('cells/a.json'), { old: true });
    assert.deepEqual(fs.readdirSync(path.join(dir, 'cells')), ['a.json']);
  });

  test('--out that is a file, or inside one, is refused in one sentence', () => {
    const dir = tempDir();
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, 'x');
    assert.equal(notAFolder(file), `--out ${file} is a file, not a folder; give a folder path.`);
    assert.equal(notAFolder(path.join(file, 'a', 'b')), `--out ${path.join(file, 'a', 'b')}: ${file} is a file, not a folder; give a folder path.`);
    assert.equal(notAFolder(path.join(dir, 'new', 'folder')), null);
    assert.equal(notAFolder(dir), null);
    assert.throws(() => acquireRunFolder(file, 'test'), (e: Error) => e instanceof RunFolderError && e.message === notAFolder(file));
  });
});
