/**
 * `npm run notebooks [-- --quick] [-- --html] [-- notebooks/02-*.ipynb ...]`
 *
 * Executes notebooks with the tpp-lab kernel, headless, in file-name order. Executed copies go to
 * build/notebooks/ (git-ignored), HTML renderings to build/notebooks/html/ with --html. Prints each notebook's
 * status and time, the failing cell and its error, and closes with `N passed, N failed`; exits 1 on any failure.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { jupyterEnv, LOCAL_JUPYTER_PATH, PYTHON, REPO_ROOT, runNotebook, writeKernelSpec } from '../kernel-setup/kernel';
import { ensureSystem, NOTEBOOK_PARTS } from '../kernel-setup/system';

interface Options {
  quick: boolean;
  html: boolean;
  timeout: number;
  outDir: string;
  files: string[];
}

function parse(argv: string[]): Options {
  const o: Options = { quick: process.env.TPP_PROFILE === 'quick', html: false, timeout: 1800, outDir: path.join(REPO_ROOT, 'build', 'notebooks'), files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--html') o.html = true;
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (a === '--out') o.outDir = path.resolve(argv[++i]);
    else if (a.startsWith('--')) throw new Error(`Unknown option ${a}. Usage: run-notebooks [--quick] [--html] [--timeout S] [--out DIR] [files...]`);
    else o.files.push(path.resolve(a));
  }
  if (!Number.isFinite(o.timeout) || o.timeout <= 0) throw new Error('--timeout needs a positive number of seconds');
  if (o.files.length === 0) {
    const dir = path.join(REPO_ROOT, 'notebooks');
    o.files = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort().map((f) => path.join(dir, f));
  }
  return o;
}

/** Render an executed notebook to a standalone HTML file with nbconvert. Returns an error text or ''. */
export function renderHtml(executed: string, htmlDir: string): string {
  fs.mkdirSync(htmlDir, { recursive: true });
  const r = spawnSync(PYTHON, ['-m', 'nbconvert', '--to', 'html', '--output-dir', htmlDir, executed], { env: jupyterEnv(), encoding: 'utf8' });
  return r.status === 0 ? '' : (r.stderr || '').trim().split('\n').slice(-3).join('\n');
}

function main(): number {
  let o: Options;
  try {
    o = parse(process.argv.slice(2));
    ensureSystem(NOTEBOOK_PARTS, (l) => console.log(l));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  writeKernelSpec(LOCAL_JUPYTER_PATH);
  const env = o.quick ? { TPP_PROFILE: 'quick' } : {};
  console.log(`Running ${o.files.length} notebook(s), profile ${o.quick ? 'quick' : 'full'}; executed copies in ${path.relative(process.cwd(), o.outDir) || '.'}`);
  let passed = 0;
  let failed = 0;
  for (const file of o.files) {
    const name = path.basename(file);
    const out = path.join(o.outDir, name);
    const run = runNotebook(file, out, o.timeout, env);
    if (run.ok) passed++;
    else failed++;
    console.log(`${run.ok ? 'PASS' : 'FAIL'}  ${name}  ${run.seconds.toFixed(1)} s`);
    if (!run.ok) console.log(run.error.split('\n').map((l) => `      ${l}`).join('\n'));
    if (o.html && fs.existsSync(out)) {
      const err = renderHtml(out, path.join(o.outDir, 'html'));
      if (err) console.log(`      (HTML rendering failed: ${err})`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
