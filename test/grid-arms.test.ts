/**
 * The grid's arms with TPP settings of their own: fingerprints follow exactly what differs, arms with the grid's
 * settings keep the fingerprints made before arms had settings (values planned with the earlier code), and the
 * store seam holds a grid's records in a folder or in memory.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../src/backend';
import { computeNormalization } from '../src/data/sets/batches';
import { type Dataset, numExamples } from '../src/data/sets/dataset';
import { buildGrid } from '../src/grid/build';
import { nodeGridSources } from '../src/io/grid-sources';
import { GRID_BACKBONE, type GridSettings } from '../src/grid/settings';
import { gridMethod, gridMethods } from '../src/grid/methods';
import { planCompare, tppImages } from '../src/grid/plan';
import type { Arm, CompareGrid } from '../src/grid/types';
import { folderStore } from '../src/io/folder-store';
import { type GridStore, memoryStore } from '../src/io/store';
import { vitConfig } from '../src/model/config';
import { createViT, type ViT } from '../src/model/vit';
import { peftConfig } from '../src/peft';
import { cli, ROOT, tempDir } from './helpers';

function noise(n: number, seed: number, shift: number): Dataset {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const data = Uint8Array.from({ length: n * 784 }, (_, j) => Math.min(255, Math.round(rand() * 150 + (labels[Math.floor(j / 784)] ? shift : 0))));
  return { images: { data, shape: [n, 28, 28, 1] }, labels: { data: labels, shape: [n, 1] }, task: 'binary-class', classNames: ['a', 'b'], source: `noise/${seed}` };
}

let backbone: ViT;
const train = noise(24, 1, 60);
const other = noise(30, 5, 10);

function grid(arms: Arm[], store: GridStore = memoryStore()): CompareGrid {
  return {
    backbone, normalization: computeNormalization(train), target: { name: 'noise', train, val: noise(8, 2, 60), test: noise(8, 3, 60) },
    methods: [{ name: 'lora', config: peftConfig('lora') }], arms, budgets: [{ perClass: 2 }], seeds: [0, 1],
    tpp: { epochs: 1, batchSize: 8, lr: 1e-3, pretext: 'mae', maxImages: 20, seeds: 2 }, finetune: { epochs: 2, batchSize: 4, lr: 1e-3 },
    store, settings: { data: 'noise', splitSeed: 0 },
  };
}

const ARMS: Arm[] = [{ name: 'none', label: 'no TPP' }, { name: 'same', images: train, label: 'same' }, { name: 'other', images: other, label: 'other' }];

/** Fingerprints the grid above had when planned with the code before arms had TPP settings of their own. */
const BEFORE = {
  run: 'sha256:81ecedba0335414328e32da870eb6f944cf000091e7ca6809fedc4b5ab128eea',
  tpp: { lora__same__s1: 'sha256:f7157cb58f0efa0a2cd2dadca27c522eeb94e64f06bd949fc1f802c0d481c1c9', lora__other__s1: 'sha256:03e1b662f24d906b6284b9a032c9c9987a3f0ba141ace46cd0c2ccd3c6d16ab5' },
  cells: {
    lora__none__2_class__s1: 'sha256:7855ff227c7ddccc5d3a78d725d846fb4b9ada4bb9fb9425d4c5d1f916b664f3',
    lora__same__2_class__s1: 'sha256:5f7ac49a16f5fc4eb02455b995b4ba40b482b7557c7916b92bcfd98859b376ed',
    lora__other__2_class__s1: 'sha256:223a37988d2d652993196959e67a7847b7a460a90fbf1005b126a773f2abb8a3',
  },
};

before(async () => {
  await initBackend({ warn: () => {} });
  backbone = createViT(vitConfig('tiny'), { seed: 0 });
});

describe('grid arms', () => {
  test('arms with the grid\'s TPP settings keep the fingerprints they had before arms had settings', async () => {
    for (const arms of [ARMS, ARMS.map((a) => (a.images ? { ...a, tpp: { images: 20, epochs: 1, seed: 0 } } : a))]) {
      const plan = await planCompare(grid(arms));
      assert.equal(plan.runFingerprint, BEFORE.run);
      for (const [key, fp] of Object.entries(BEFORE.tpp)) assert.equal(plan.tpp.find((t) => t.key === key)?.fingerprint, fp, key);
      for (const [key, fp] of Object.entries(BEFORE.cells)) assert.equal(plan.cells.find((c) => c.key === key)?.fingerprint, fp, key);
    }
  });

  test('two arms differing only in TPP images, epochs or seed get other fingerprints, and only their own change', async () => {
    const base = await planCompare(grid(ARMS));
    const fp = (plan: typeof base, key: string) => plan.cells.find((c) => c.key === key)!.fingerprint;
    for (const tpp of [{ images: 10 }, { epochs: 4 }, { seed: 7 }]) {
      const plan = await planCompare(grid([ARMS[0], ARMS[1], { ...ARMS[2], tpp }]));
      assert.notEqual(fp(plan, 'lora__other__2_class__s1'), fp(base, 'lora__other__2_class__s1'), JSON.stringify(tpp));
      assert.equal(fp(plan, 'lora__same__2_class__s1'), fp(base, 'lora__same__2_class__s1'));
      assert.equal(fp(plan, 'lora__none__2_class__s1'), fp(base, 'lora__none__2_class__s1'));
      assert.equal(plan.runFingerprint, base.runFingerprint);
      const task = plan.tpp.find((t) => t.arm === 'other')!;
      assert.deepEqual((task.settings.arm as { tpp: unknown }).tpp, tpp, 'the arm\'s own settings are in its TPP run\'s settings');
    }
    // Epochs: the TPP task runs the arm's; seed: the TPP run's seed and key shift.
    const own = await planCompare(grid([ARMS[0], { ...ARMS[1], tpp: { epochs: 4, seed: 10 } }]));
    assert.deepEqual(own.tpp.map((t) => [t.key, t.epochs, t.seed]), [['lora__same__s10', 4, 10], ['lora__same__s11', 4, 11]]);
    assert.deepEqual(own.cells.filter((c) => c.arm === 'same').map((c) => (c.settings.arm as { tppSeed: number }).tppSeed), [10, 11]);
  });

  test('the store seam: a grid plans the same against a folder and against memory, and reads back what was written', async () => {
    const folder = folderStore(tempDir());
    const memory = memoryStore();
    const [a, b] = [await planCompare(grid(ARMS, folder)), await planCompare(grid(ARMS, memory))];
    assert.deepEqual(a.cells.map((c) => [c.file, c.fingerprint, c.state]), b.cells.map((c) => [c.file, c.fingerprint, c.state]));
    for (const store of [folder, memory]) {
      const cell = a.cells[0];
      await store.writeJson(cell.file, { fingerprint: cell.fingerprint, cellSettings: cell.settings });
      await store.writeJson('tpp/x/settings.json', { a: 1 });
      assert.deepEqual(store.list('cells'), [cell.file.slice('cells/'.length)]);
      assert.deepEqual(store.list(''), ['cells', 'tpp']);
      const plan = await planCompare(grid(ARMS, store));
      assert.deepEqual(plan.cells.map((c) => c.state), ['done', ...new Array(plan.cells.length - 1).fill('pending')]);
      await store.writeJson(cell.file, { fingerprint: 'sha256:other', cellSettings: { ...cell.settings, seed: 99 } });
      const changed = await planCompare(grid(ARMS, store));
      assert.equal(changed.cells[0].state, 'changed');
      assert.deepEqual(changed.cells[0].diff, ['seed: 99 → 0']);
      await store.writeBytes('raw.bin', Uint8Array.from([1, 2, 3]));
      assert.deepEqual([...store.readBytes('raw.bin')!], [1, 2, 3]);
      store.remove('tpp');
      assert.equal(store.exists('tpp/x/settings.json'), false);
      assert.equal(store.readJson('cells/none.json'), null);
    }
    assert.equal(memory.locate, undefined, 'a memory store has no local paths');
  });

  test('methods with options: their own name and config; plain names keep the default config', () => {
    assert.deepEqual(gridMethod('lora'), { name: 'lora', config: peftConfig('lora') });
    const m = gridMethod('lora:rank=8:alpha=16');
    assert.equal(m.name, 'lora-rank8-alpha16');
    assert.deepEqual(m.config, peftConfig('lora', { rank: 8, alpha: 16 }));
    assert.throws(() => gridMethod('lora:depth=2'), /"depth=2" in "lora:depth=2" is not an option of lora as NAME=VALUE; its options: rank/);
    assert.throws(() => gridMethod('lorax'), /Unknown method "lorax"/);
    assert.throws(() => gridMethods(['lora', 'lora']), /listed twice/);
  });
});

describe('grid arms from settings', () => {
  test('an arm mixing the target\'s own images with another pool: both parts, capped each, in its own fingerprints', async () => {
    const s: GridSettings = {
      data: 'breastmnist', other: [], methods: ['lora'], arms: ['none', 'same', 'mix'], budgets: [{ perClass: 2 }], seeds: [0], splitSeed: 0,
      tppEpochs: 1, tppLr: 1e-3, tppImages: 30, pretext: 'mae', epochs: 1, lr: 1e-3, batch: 8, limit: 40, convert: true,
      armTpp: { mix: { images: 50, pools: [{ data: 'same' }, { data: path.join(ROOT, 'data', 'hc18_64.npz'), images: 20 }] } },
      out: '/unused', title: 'mix',
    };
    const notes: string[] = [];
    const { grid, vit } = await buildGrid(s, { store: memoryStore(), sources: nodeGridSources, onNote: (n) => notes.push(n) });
    try {
      assert.equal(vit.config.imageSize, 28, `the grid's default backbone is ${GRID_BACKBONE}`);
      const mix = grid.arms.find((a) => a.name === 'mix')!;
      assert.equal(numExamples(mix.images!), 40 + 20, 'all 40 own training images, then 20 of HC18');
      assert.match(mix.label, /^mix: .*breastmnist.* train images \+ hc18_64 train images$/);
      assert.deepEqual(mix.tpp, { images: 50 });
      assert.equal(numExamples(tppImages(grid, mix)!), 50, 'the arm\'s own cap');
      assert.equal(numExamples(tppImages(grid, grid.arms[1])!), 30, 'same keeps the grid\'s cap');
      assert.ok(notes.some((n) => /hc18/i.test(n)), notes.join('\n'));
      const plan = await planCompare(grid);
      const arm = (key: string) => plan.tpp.find((t) => t.key === key)!.settings.arm as { images: string; tpp?: unknown; source: string };
      assert.notEqual(arm('lora__mix__s0').images, arm('lora__same__s0').images);
      assert.deepEqual(arm('lora__mix__s0').tpp, { images: 50 });
      assert.equal(arm('lora__same__s0').tpp, undefined);
    } finally {
      vit.dispose();
    }
    await assert.rejects(buildGrid({ ...s, armTpp: { nope: { images: 3 } } }, { store: memoryStore(), sources: nodeGridSources }), /armTpp: "nope" is not a TPP arm of the grid \(same, mix\)/);
  });
});

test('compare --methods takes options per method and refuses an unknown one before loading anything', () => {
  const r = cli(['compare', '--data', 'breastmnist', '--out', tempDir(), '--methods', 'lora:depth=2,adapter']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /"depth=2" in "lora:depth=2" is not an option of lora as NAME=VALUE; its options: rank, alpha/);
});
