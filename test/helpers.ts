/** Small helpers shared by the tests (no mocks: they run the real CLI and kernel). */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import type { Dataset } from '../src/data/sets/dataset';
import { POOLS, poolDirs, poolPaths } from '../src/io/sources/pools';
import { poolBuildCommand } from '../src/data/sources/pool-recipes';

export const ROOT = path.resolve(__dirname, '..');

/** Run the real `tpp-lab` CLI in a child process. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tpp-lab.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, TPP_BACKEND: '', ...env },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A tiny MAE backbone and its decoder in `out` (tiny preset, 1 epoch on 64 BreastMNIST images), made with the real
 * CLI, for tests that need a backbone of their own quickly.
 */
export function tinyBackbone(out: string): string {
  const r = cli(['pretrain', '--data', 'breastmnist', '--preset', 'tiny', '--limit', '64', '--epochs', '1', '--batch', '32', '--out', out, '--quiet', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

/** A fresh temporary folder, removed when the process exits. */
export function tempDir(prefix = 'tpp-lab-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A learnable synthetic task: class 1 images are brighter than class 0 images, both with strong pixel noise.
 * Any working training loop separates them; a broken one does not. (A top-half/bottom-half task is a bad
 * choice: at initialisation a ViT's class token averages the patches, whose mean is then the same.)
 */
export function brightness(n: number, seed: number): Dataset {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const data = new Uint8Array(n * 28 * 28);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 784; p++) data[i * 784 + p] = Math.max(0, Math.min(255, (labels[i] === 1 ? 150 : 100) + Math.round((rand() - 0.5) * 160)));
  }
  return { images: { data, shape: [n, 28, 28, 1] }, labels: { data: labels, shape: [n, 1] }, task: 'binary-class', classNames: ['dark', 'bright'], source: `brightness/${seed}` };
}

/**
 * Does a real image pool exist here (in `poolDirs()`)? If not, skips the test with a message naming the missing
 * file and the command that builds it, and returns false: `if (!needsPool(t, 'kermany')) return;`. A clone without
 * `../shared` skips these tests; CI, which has it, runs them. `TPP_NO_SHARED_POOLS=1` makes this machine act so.
 */
export function needsPool(t: TestContext, name: string): boolean {
  try {
    poolPaths(name);
    return true;
  } catch {
    t.skip(`needs ${POOLS[name]?.files.join(' + ') ?? name} (pool ${name}) in ${poolDirs().join(', ')}: build it with ${poolBuildCommand(name)}`);
    return false;
  }
}
