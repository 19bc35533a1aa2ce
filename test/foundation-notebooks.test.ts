import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { LOCAL_JUPYTER_PATH, makeNotebook, verifyKernel, writeKernelSpec } from '../kernel-setup/kernel';
import { ROOT, tempDir } from './helpers';

function runner(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'run-notebooks.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('kernel and notebook runner', () => {
  // The repo-local kernelspec of this checkout (what `npm test` and the runner write first).
  before(() => writeKernelSpec(LOCAL_JUPYTER_PATH));

  test('the kernel starts in the repo root and imports ./src', () => {
    const run = verifyKernel();
    assert.equal(run.ok, true);
  });

  test('a good notebook passes; a broken one fails with its error text; the summary counts both', () => {
    const dir = tempDir();
    const good = path.join(dir, 'a-good.ipynb');
    const bad = path.join(dir, 'b-bad.ipynb');
    fs.writeFileSync(good, JSON.stringify(makeNotebook(['import { profile } from "./src/profile";\nconsole.log("profile=" + profile())'])));
    fs.writeFileSync(bad, JSON.stringify(makeNotebook(['const x = 1;', 'throw new Error("deliberate failure 42")'])));
    const out = path.join(dir, 'out');
    const r = runner(['--quick', '--out', out, good, bad]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^PASS {2}a-good\.ipynb {2}[\d.]+ s$/m);
    assert.match(r.out, /^FAIL {2}b-bad\.ipynb/m);
    assert.match(r.out, /deliberate failure 42/);
    assert.match(r.out, /^1 passed, 1 failed$/m);
    // Executed copies are written, the quick profile reached the kernel.
    const executed = JSON.parse(fs.readFileSync(path.join(out, 'a-good.ipynb'), 'utf8'));
    assert.match(JSON.stringify(executed.cells[0].outputs), /profile=quick/);
    assert.ok(fs.existsSync(path.join(out, 'b-bad.ipynb')), 'the failing notebook is written too, for reading the error');
  });

  test('a type error in a cell fails the notebook', () => {
    const dir = tempDir();
    const nb = path.join(dir, 'types.ipynb');
    fs.writeFileSync(nb, JSON.stringify(makeNotebook(['const n: number = "not a number";'])));
    const r = runner(['--out', path.join(dir, 'out'), nb]);
    assert.equal(r.code, 1);
    assert.match(r.out, /0 passed, 1 failed/);
    assert.match(r.out, /not assignable to type 'number'/);
  });
});
