/**
 * `npm run notebooks [-- --quick] [-- --html] [-- notebooks/02-*.ipynb ...]`
 *
 * Executes notebooks with the tpp-lab kernel, headless, in file-name order. Executed copies go to
 * build/notebooks/ (git-ignored), HTML renderings to build/notebooks/html/ with --html. Prints each notebook's
 * status and time, the failing cell and its error, and closes with `N passed, N failed`; exits 1 on any failure.
 * Each passing notebook's time is recorded in docs/tutorials-times.json (per profile, with the date and the core
 * count; `--no-record` skips it), and docs/tutorials.md, the series' table of contents, is written again from
 * notebooks/series.json and those times: no time in the table is typed by hand. `--toc` only rewrites the table
 * (after editing series.json), running nothing.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { jupyterEnv, LOCAL_JUPYTER_PATH, PYTHON, REPO_ROOT, runNotebook, writeKernelSpec } from '../kernel-setup/kernel';
import { ensureSystem, NOTEBOOK_PARTS } from '../kernel-setup/system';

interface Options {
  quick: boolean;
  html: boolean;
  record: boolean;
  tocOnly: boolean;
  timeout: number;
  outDir: string;
  files: string[];
}

function parse(argv: string[]): Options {
  const o: Options = { quick: process.env.TPP_PROFILE === 'quick', html: false, record: true, tocOnly: false, timeout: 1800, outDir: path.join(REPO_ROOT, 'build', 'notebooks'), files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--html') o.html = true;
    else if (a === '--no-record') o.record = false;
    else if (a === '--toc') o.tocOnly = true;
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (a === '--out') o.outDir = path.resolve(argv[++i]);
    else if (a.startsWith('--')) throw new Error(`Unknown option ${a}. Usage: run-notebooks [--quick] [--html] [--no-record] [--toc] [--timeout S] [--out DIR] [files...]`);
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

/** A measured run of one notebook. */
export interface NotebookTime {
  seconds: number;
  /** ISO date (YYYY-MM-DD) of the run. */
  date: string;
  /** CPU cores of the machine it ran on. */
  cores: number;
}

/** docs/tutorials-times.json: notebook file name → profile → its last passing run. */
export type NotebookTimes = Record<string, Partial<Record<'quick' | 'full', NotebookTime>>>;

/** One row of notebooks/series.json. */
export interface SeriesEntry {
  file: string;
  teaches: string;
  needs: string;
}

export const NOTEBOOKS_DIR = path.join(REPO_ROOT, 'notebooks');
export const SERIES_FILE = path.join(NOTEBOOKS_DIR, 'series.json');
export const TIMES_FILE = path.join(REPO_ROOT, 'docs', 'tutorials-times.json');
export const TOC_FILE = path.join(REPO_ROOT, 'docs', 'tutorials.md');

function formatTime(t: NotebookTime | undefined): string {
  if (!t) return 'not measured yet';
  const s = Math.round(t.seconds);
  return `${s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`} (${t.date}, ${t.cores} cores)`;
}

/** The table of contents as Markdown: every notebook of `series` with its measured times (from `times`). */
export function tocMarkdown(series: readonly SeriesEntry[], times: NotebookTimes): string {
  const rows = series.map((e) => {
    const t = times[e.file] ?? {};
    return `| [${e.file.replace(/\.ipynb$/, '')}](../notebooks/${e.file}) | ${e.teaches} | ${e.needs} | ${formatTime(t.full)} | ${formatTime(t.quick)} |`;
  });
  return [
    '# The tutorial notebooks',
    '',
    '<!-- Written by scripts/run-notebooks.ts from notebooks/series.json and docs/tutorials-times.json: edit those, not this file. -->',
    '',
    'Run them in order (`npm run notebook`, then open `notebooks/`). Times are wall times measured by the notebook',
    'runner (`npm run notebooks`; `-- --quick` for the small CI profile) with the wasm backend, on the machine and date',
    'shown; on a machine shared with other jobs they vary. Hints for the exercises: [notebooks/HINTS.md](../notebooks/HINTS.md);',
    'how to read the metrics: [reading-results.md](reading-results.md).',
    '',
    '| notebook | what it teaches | needs | full profile | quick profile |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** Write `tocFile` from notebooks/series.json and the times in `timesFile`, atomically. */
export function writeToc(timesFile = TIMES_FILE, tocFile = TOC_FILE): void {
  const times: NotebookTimes = fs.existsSync(timesFile) ? JSON.parse(fs.readFileSync(timesFile, 'utf8')) : {};
  const series = (JSON.parse(fs.readFileSync(SERIES_FILE, 'utf8')) as { notebooks: SeriesEntry[] }).notebooks;
  writeAtomic(tocFile, tocMarkdown(series, times));
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Record `seconds` for `file` in the times file and rewrite the table of contents. */
export function recordTime(file: string, profile: 'quick' | 'full', seconds: number, timesFile = TIMES_FILE, tocFile = TOC_FILE): void {
  const times: NotebookTimes = fs.existsSync(timesFile) ? JSON.parse(fs.readFileSync(timesFile, 'utf8')) : {};
  times[file] = { ...times[file], [profile]: { seconds: Math.round(seconds * 10) / 10, date: new Date().toISOString().slice(0, 10), cores: os.cpus().length } };
  writeAtomic(timesFile, JSON.stringify(Object.fromEntries(Object.keys(times).sort().map((k) => [k, times[k]])), null, 1) + '\n');
  writeToc(timesFile, tocFile);
}

function main(): number {
  let o: Options;
  try {
    o = parse(process.argv.slice(2));
    if (o.tocOnly) {
      writeToc();
      console.log(`wrote ${path.relative(process.cwd(), TOC_FILE)}`);
      return 0;
    }
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
    // Only the series' own notebooks are timed (not a test's temporary ones).
    if (run.ok && o.record && path.dirname(file) === NOTEBOOKS_DIR) recordTime(name, o.quick ? 'quick' : 'full', run.seconds);
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
