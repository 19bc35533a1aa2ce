/**
 * A grid says which kernels computed it: the same settings (and settings fingerprint) give other float32 rounding on
 * tpp-lab's own WebAssembly kernels than on tfjs ops, so grid.json's report records which ran.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { runGrid } from '../src/grid/comparison';
import { folderStore } from '../src/io/folder-store';
import { nodeGridSources } from '../src/io/grid-sources';
import { useOwnKernels } from '../src/kernels/wasm';
import { tempDir } from './helpers';

const dir = tempDir();
const settings = (out: string) => ({
  data: 'breastmnist', other: [], methods: ['linear-probe'], arms: ['none'], budgets: [{ perClass: 2 }], seeds: [0], splitSeed: 0, limit: 20,
  tppEpochs: 1, tppLr: 3e-3, tppImages: 20, pretext: 'mae' as const, epochs: 1, lr: 3e-3, batch: 4, out, title: 'kernels',
});
const reportOf = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'grid.json'), 'utf8')).report;

after(() => useOwnKernels(process.env.TPP_LAB_KERNELS !== 'off'));

test("grid.json's report names the kernels that ran, and both give a cell of the same fingerprint", async () => {
  const cells: Record<string, unknown>[] = [];
  for (const [on, name] of [[true, 'own WebAssembly kernels'], [false, 'tfjs ops']] as const) {
    useOwnKernels(on);
    const out = path.join(dir, name.replace(/ /g, '-'));
    const run = await runGrid(settings(out), { store: folderStore(out), sources: nodeGridSources });
    assert.equal(run.backend, 'wasm');
    assert.equal(reportOf(out).kernels, name);
    cells.push(run.stored[0] as unknown as Record<string, unknown>);
  }
  assert.equal(cells[0].fingerprint, cells[1].fingerprint);
});
