/**
 * `npm run bench`: every bench variant of one preset (default `tutorial`, batch 64) with tfjs on 1 and 2
 * worker threads, and, when Debian's python3-torch is installed, the same steps in PyTorch
 * (scripts/torch_bench.py, on scripts/torch_vit.py's model) on 1 and 2 threads, measured back to back in one
 * run; then a table with the ratio tfjs / PyTorch at equal thread counts.
 *
 *   npm run bench [-- --preset tutorial] [--steps 20] [--repeat 1] [--workers 1,2] [--json out.json]
 *
 * Each measurement is its own process (one tfjs engine each). With --repeat R every cell is measured R times,
 * interleaved, and the median of the R medians is reported (the machine may be shared: repeat and compare
 * within one run only).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const VARIANTS = ['fwd', 'full', 'lora', 'mae'];

interface Cell {
  engine: 'tfjs' | 'torch';
  variant: string;
  workers: number;
  ms: number[];
  backend: string;
  rss: number;
}

function flag(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

function runJson(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Record<string, unknown> | null {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) {
    process.stderr.write(`bench: ${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}\n`);
    return null;
  }
  return JSON.parse(line) as Record<string, unknown>;
}

function torchAvailable(): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0;
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function main(): number {
  const argv = process.argv.slice(2);
  const preset = flag(argv, 'preset', 'tutorial');
  const steps = flag(argv, 'steps', '20');
  const repeat = Number(flag(argv, 'repeat', '1'));
  const workerList = flag(argv, 'workers', '1,2').split(',').map(Number);
  const torch = torchAvailable();
  const cells = new Map<string, Cell>();
  const cell = (engine: Cell['engine'], variant: string, workers: number) => {
    const key = `${engine}/${variant}/${workers}`;
    if (!cells.has(key)) cells.set(key, { engine, variant, workers, ms: [], backend: '', rss: 0 });
    return cells.get(key)!;
  };
  for (let r = 0; r < repeat; r++) {
    for (const variant of VARIANTS) {
      for (const w of workerList) {
        const t = runJson(process.execPath, [path.join(ROOT, 'bin', 'tpp-lab.js'), 'bench', '--preset', preset, '--variant', variant, '--steps', steps, '--workers', String(w), '--json']);
        if (t) Object.assign(cell('tfjs', variant, w), { backend: t.backend, rss: t.rss_mb }).ms.push(t.ms_median as number);
        if (torch) {
          const p = runJson('/usr/bin/python3', [path.join(ROOT, 'scripts', 'torch_bench.py'), '--preset', preset, '--variant', variant, '--steps', steps, '--threads', String(w)], { OPENBLAS_NUM_THREADS: '1' });
          if (p) Object.assign(cell('torch', variant, w), { backend: p.backend, rss: p.rss_mb }).ms.push(p.ms_median as number);
        }
      }
    }
  }
  const rows: Record<string, unknown>[] = [];
  console.log(`preset ${preset}, ${steps} timed steps, median of ${repeat} run(s); ratio = tfjs / PyTorch step time at the same thread count`);
  console.log(['variant', 'threads', 'tfjs ms', 'img/s', 'torch ms', 'img/s', 'ratio'].map((h, i) => (i < 2 ? h.padEnd(8) : h.padStart(9))).join(''));
  for (const variant of VARIANTS) {
    for (const w of workerList) {
      const t = cells.get(`tfjs/${variant}/${w}`);
      const p = cells.get(`torch/${variant}/${w}`);
      const tm = t?.ms.length ? median(t.ms) : NaN;
      const pm = p?.ms.length ? median(p.ms) : NaN;
      const batch = preset === 'tiny' ? 8 : preset === 'large' ? 32 : 64;
      const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-').padStart(9);
      console.log(`${variant.padEnd(8)}${String(w).padEnd(8)}${f(tm)}${f((batch * 1000) / tm, 0)}${f(pm)}${f((batch * 1000) / pm, 0)}${f(tm / pm, 2)}`);
      rows.push({ variant, workers: w, tfjs_ms: tm, tfjs_runs: t?.ms ?? [], torch_ms: pm, torch_runs: p?.ms ?? [], ratio: tm / pm, tfjs_backend: t?.backend, torch: p?.backend });
    }
  }
  if (!torch) console.log('(python3-torch not found: apt-get install -y python3-torch for the PyTorch columns)');
  const out = flag(argv, 'json', '');
  if (out) fs.writeFileSync(out, JSON.stringify({ preset, steps: Number(steps), repeat, rows }, null, 2));
  return 0;
}

process.exitCode = main();
