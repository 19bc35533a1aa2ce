/**
 * `tpp-lab compare` across processes: --jobs N child processes and --shard I/N + --merge give the serial run's
 * results.csv byte for byte; a rerun with other settings is refused naming the change; merges check their shards.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { cli, ROOT, tempDir } from './helpers';

const dir = tempDir();
const backbone = path.join(dir, 'backbone');
// A tiny grid: 1 method x 2 arms (none, TPP on the target's own images) x 1 budget x 2 seeds.
const GRID = ['compare', '--data', 'breastmnist', '--methods', 'lora', '--arms', 'none,same', '--labels', '4', '--seeds', '0,1', '--limit', '40',
  '--tpp-epochs', '1', '--tpp-images', '40', '--epochs', '2', '--batch', '8', '--quiet'];

/** Run the CLI without blocking (shards run at the same time). */
function cliAsync(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'tpp-lab.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

const csv = (out: string) => fs.readFileSync(path.join(out, 'results.csv'), 'utf8');

describe('compare across processes', () => {
  before(() => {
    const r = cli(['pretrain', '--data', 'breastmnist', '--preset', 'tiny', '--limit', '32', '--epochs', '1', '--batch', '16', '--out', backbone, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('--jobs 2 equals the serial run; a rerun with other settings is refused naming the change', () => {
    const serial = cli([...GRID, '--backbone', backbone, '--out', path.join(dir, 'serial'), '--jobs', '1']);
    assert.equal(serial.code, 0, serial.stderr);
    const jobs = cli([...GRID, '--backbone', backbone, '--out', path.join(dir, 'jobs'), '--jobs', '2']);
    assert.equal(jobs.code, 0, jobs.stderr);
    assert.equal(csv(path.join(dir, 'jobs')), csv(path.join(dir, 'serial')));
    assert.equal(csv(path.join(dir, 'serial')).trim().split('\n').length, 5);
    const report = fs.readFileSync(path.join(dir, 'jobs', 'report.html'), 'utf8');
    assert.match(report, /Command: <code>tpp-lab compare --data breastmnist .*--jobs 2<\/code>/);
    const changed = cli([...GRID, '--backbone', backbone, '--out', path.join(dir, 'jobs'), '--epochs', '3']);
    assert.equal(changed.code, 2);
    assert.match(changed.stderr, /holds 4 of 4 cells made with other settings \(finetune\.epochs: 2 → 3\)\. Rerun with --recompute/);
    // The same command again reuses every cell, in child processes too.
    const again = cli([...GRID, '--backbone', backbone, '--out', path.join(dir, 'jobs'), '--jobs', '2']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(csv(path.join(dir, 'jobs')), csv(path.join(dir, 'serial')));
  });

  test('3 shards as separate processes, merged, equal the serial run; merges refuse foreign or missing shards', async () => {
    const shards = [1, 2, 3].map((i) => path.join(dir, `shard-${i}`));
    const runs = await Promise.all(shards.map((out, i) => cliAsync([...GRID, '--backbone', backbone, '--out', out, '--shard', `${i + 1}/3`, '--jobs', '1'])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const owned = shards.map((s) => fs.readdirSync(path.join(s, 'cells')).length);
    assert.equal(owned.reduce((a, b) => a + b, 0), 4, 'each cell computed by exactly one shard');
    const merged = cli(['compare', '--merge', ...shards, '--out', path.join(dir, 'merged'), '--quiet']);
    assert.equal(merged.code, 0, merged.stderr);
    if (!fs.existsSync(path.join(dir, 'serial', 'results.csv'))) assert.equal(cli([...GRID, '--backbone', backbone, '--out', path.join(dir, 'serial'), '--jobs', '1']).code, 0);
    assert.equal(csv(path.join(dir, 'merged')), csv(path.join(dir, 'serial')));
    const missing = cli(['compare', '--merge', shards[0], shards[2], '--out', path.join(dir, 'merged2')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /shard 2\/3 missing/);
    const foreign = path.join(dir, 'foreign-2');
    assert.equal((await cliAsync([...GRID, '--backbone', backbone, '--out', foreign, '--shard', '2/3', '--jobs', '1', '--epochs', '1'])).code, 0);
    const mixed = cli(['compare', '--merge', shards[0], foreign, shards[2], '--out', path.join(dir, 'merged3')]);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /ran other settings than .*shard-1 \(run\.finetune\.epochs: 2 → 1\)/);
  });
});
