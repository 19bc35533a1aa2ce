/**
 * Jupyter + tslab for this repository: write the kernelspec, run notebooks, verify the kernel. Jupyter itself is
 * a system package (kernel-setup/system.ts installs it). Used by `npm run kernel` (kernel-setup/setup.ts),
 * `npm run notebook`, the notebook runner and the tests.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..');
/** The kernel's name as Jupyter lists it. */
export const KERNEL_NAME = 'tpp-lab';
/** Repo-local Jupyter data folder: point `JUPYTER_PATH` here to see the kernel without a user install. */
export const LOCAL_JUPYTER_PATH = path.join(REPO_ROOT, '.jupyter');
/** Debian's python, which has jupyter_client/nbclient; a pyenv or venv python3 earlier on PATH may not. */
export const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** The kernelspec that starts tslab in the repository root (see kernel-setup/launch.js). */
export function kernelSpec(): object {
  return {
    argv: [process.execPath, path.join(REPO_ROOT, 'kernel-setup', 'launch.js'), '{connection_file}'],
    display_name: 'TypeScript (tpp-lab)',
    language: 'typescript',
    metadata: { tpp_lab_root: REPO_ROOT },
  };
}

/** Where Jupyter keeps per-user data (`jupyter --data-dir`), without needing jupyter on PATH. */
export function userDataDir(): string {
  try {
    return execFileSync(PYTHON, ['-c', 'from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return path.join(os.homedir(), '.local', 'share', 'jupyter');
  }
}

/** Write `kernel.json` into `<dataDir>/kernels/tpp-lab/` atomically; returns its path. Idempotent. */
export function writeKernelSpec(dataDir: string): string {
  const dir = path.join(dataDir, 'kernels', KERNEL_NAME);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'kernel.json');
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(kernelSpec(), null, 2) + '\n');
  fs.renameSync(tmp, file);
  return file;
}

/** Environment in which Jupyter sees the repo-local kernelspec. */
export function jupyterEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const paths = [LOCAL_JUPYTER_PATH, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
  return { ...process.env, JUPYTER_PATH: paths, ...extra };
}

/** A minimal notebook with the given TypeScript cells. */
export function makeNotebook(cells: string[]): object {
  return {
    cells: cells.map((source, i) => ({ id: `cell-${i}`, cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })),
    metadata: {
      kernelspec: { name: KERNEL_NAME, display_name: 'TypeScript (tpp-lab)', language: 'typescript' },
      language_info: { name: 'typescript' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

export interface NotebookRun {
  ok: boolean;
  seconds: number;
  /** The failing cell's source and error text when `ok` is false. */
  error: string;
}

/** Execute `input` with the tpp-lab kernel, writing the executed copy to `output`. */
export function runNotebook(input: string, output: string, timeoutS = 1800, env: NodeJS.ProcessEnv = {}): NotebookRun {
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const t0 = Date.now();
  const r = spawnSync(PYTHON, [path.join(REPO_ROOT, 'kernel-setup', 'run_notebook.py'), input, output, KERNEL_NAME, String(timeoutS)], {
    env: jupyterEnv(env),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (Date.now() - t0) / 1000;
  const error = r.status === 0 ? '' : (r.stderr || r.stdout || `exit code ${r.status}`).trim();
  return { ok: r.status === 0, seconds, error };
}

/** Start the kernel and run one cell that imports the library; throws with the error text if it fails. */
export function verifyKernel(): NotebookRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-lab-kernel-'));
  const nb = path.join(dir, 'check.ipynb');
  fs.writeFileSync(nb, JSON.stringify(makeNotebook(['import { BACKEND_ORDER } from "./src/backend";\nBACKEND_ORDER.includes("wasm")'])));
  const run = runNotebook(nb, path.join(dir, 'check.out.ipynb'), 120);
  const executed = run.ok ? JSON.parse(fs.readFileSync(path.join(dir, 'check.out.ipynb'), 'utf8')) : null;
  fs.rmSync(dir, { recursive: true, force: true });
  if (!run.ok) throw new Error(`The tpp-lab kernel did not run a cell:\n${run.error}`);
  // tslab shows a cell's last value as a stdout stream.
  const text = executed.cells[0].outputs
    .map((o: { text?: string | string[]; data?: Record<string, string> }) => [o.text ?? '', o.data?.['text/plain'] ?? ''].flat().join(''))
    .join('');
  if (text.trim() !== 'true') throw new Error(`The tpp-lab kernel ran a cell but returned "${text.trim()}" instead of true.`);
  return run;
}
