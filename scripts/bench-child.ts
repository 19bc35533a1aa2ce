/**
 * Children of the bench scripts (scripts/bench.ts, scripts/bench-sweep.ts): each measurement runs in its own process
 * (one tfjs engine, or one Python with its own BLAS settings) and prints one JSON line, read back here.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..');
/** Debian's python, which has python3-torch (a python3 earlier on PATH may not). */
export const PYTHON = '/usr/bin/python3';

/** Run `cmd args` with `env` added; its last stdout line that starts with `{`, parsed, or null (reported on stderr). */
export function runJson(cmd: string, args: string[], env: Record<string, string> = {}): Record<string, unknown> | null {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) {
    process.stderr.write(`bench: ${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}\n`);
    return null;
  }
  return JSON.parse(line) as Record<string, unknown>;
}

/** One `tpp-lab bench --json` run (a child process) with the given flags and extra environment. */
export function tfjsBench(flags: string[], env: Record<string, string> = {}): Record<string, unknown> | null {
  return runJson(process.execPath, [path.join(ROOT, 'bin', 'tpp-lab.js'), 'bench', ...flags, '--json'], env);
}

/** Whether Debian's python3-torch can be imported. */
export function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

/** Median of a non-empty list (NaN for an empty one). */
export function median(a: readonly number[]): number {
  if (!a.length) return NaN;
  const s = [...a].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Value of `--name` in argv, or `fallback`. */
export function flag(argv: readonly string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}
