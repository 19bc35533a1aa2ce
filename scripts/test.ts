/**
 * `npm test`: the one test command (CI runs it too). It sets up what is missing first, then runs:
 *   1. set-up: the system packages the tests need (kernel-setup/system.ts: Jupyter and the Notebook, Chromium,
 *      PyTorch with OpenBLAS, SciPy, Vulkan + Mesa 25 lavapipe; apt-get when root and missing, otherwise one
 *      message with the commands) and the repo-local tslab kernelspec,
 *   2. the type checks (project TypeScript and tslab's TypeScript 5.0),
 *   3. the unit and integration tests (Node's test runner, test/*.test.ts),
 *   4. every notebook in the quick profile (TPP_PROFILE=quick), with HTML renderings; their times are not recorded
 *      (docs/tutorials-times.json is `npm run notebooks`' to write), so the work tree stays clean.
 * Flags: `--skip-notebooks`, `--only unit|notebooks|typecheck`, and test file paths to run just those.
 * Closes with one line `all: N passed, N failed` (each test, type check and notebook counts once).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LOCAL_JUPYTER_PATH, REPO_ROOT, writeKernelSpec } from '../kernel-setup/kernel';
import { ensureSystem, TEST_PARTS } from '../kernel-setup/system';

interface Tally {
  passed: number;
  failed: number;
}

/** Run a command, echoing its output, and return the output text and exit status. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number; out: string } {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  process.stdout.write(out);
  return { status: r.status ?? 1, out };
}

/** Count the PASS/FAIL lines and the `N passed, N failed` / `ℹ pass N` summaries a stage printed. */
function tally(out: string, status: number): Tally {
  const node = { pass: /^ℹ pass (\d+)$/m.exec(out), fail: /^ℹ fail (\d+)$/m.exec(out) };
  if (node.pass && node.fail) return { passed: Number(node.pass[1]), failed: Number(node.fail[1]) };
  const plain = /^(\d+) passed, (\d+) failed$/m.exec(out);
  if (plain) return { passed: Number(plain[1]), failed: Number(plain[2]) };
  const passed = (out.match(/^PASS /gm) ?? []).length;
  const failed = (out.match(/^FAIL /gm) ?? []).length;
  return status === 0 || failed ? { passed, failed } : { passed, failed: failed + 1 };
}

function main(): number {
  const argv = process.argv.slice(2);
  let only: string | null = null;
  let skipNotebooks = false;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') only = argv[++i];
    else if (argv[i] === '--skip-notebooks') skipNotebooks = true;
    else if (argv[i].startsWith('--')) {
      console.error(`Unknown option ${argv[i]}. Usage: npm test [-- --only unit|typecheck|notebooks] [-- --skip-notebooks] [test files...]`);
      return 2;
    } else files.push(argv[i]);
  }
  // Named test files run just those tests; otherwise every stage runs unless --only/--skip-notebooks say not.
  const want = (stage: string) => (only ? only === stage : files.length ? stage === 'unit' : !(stage === 'notebooks' && skipNotebooks));
  const total: Tally = { passed: 0, failed: 0 };
  const add = (t: Tally) => {
    total.passed += t.passed;
    total.failed += t.failed;
  };
  const t0 = Date.now();

  console.log('== set-up: system packages and the tpp-lab kernelspec');
  try {
    ensureSystem(TEST_PARTS, (l) => console.log(l));
    console.log(`kernelspec: ${writeKernelSpec(LOCAL_JUPYTER_PATH)}`);
  } catch (e) {
    console.error((e as Error).message);
    console.log('all: 0 passed, 1 failed');
    return 1;
  }

  if (want('typecheck')) {
    console.log('\n== type checks');
    const r = run(process.execPath, [path.join('scripts', 'typecheck.js')]);
    add(tally(r.out, r.status));
  }
  if (want('unit')) {
    console.log('\n== tests');
    const testFiles = files.length
      ? files
      : fs.readdirSync(path.join(REPO_ROOT, 'test')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join('test', f));
    const r = run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...testFiles]);
    add(tally(r.out, r.status));
  }
  if (want('notebooks')) {
    console.log('\n== notebooks (quick profile)');
    // --no-record: a test run leaves the work tree as it found it; `npm run notebooks` records the tutorial times.
    const r = run(process.execPath, ['--import', 'tsx', path.join('scripts', 'run-notebooks.ts'), '--quick', '--html', '--no-record'], { TPP_PROFILE: 'quick' });
    add(tally(r.out, r.status));
  }
  console.log(`\n(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  console.log(`all: ${total.passed} passed, ${total.failed} failed`);
  return total.failed ? 1 : 0;
}

process.exitCode = main();
