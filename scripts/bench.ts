/**
 * `npm run bench`: every bench variant of one preset (default `tutorial`, batch 64) in tpp-lab (1 thread and N
 * workers) and, when Debian's python3-torch is installed, the same steps in PyTorch (scripts/torch_bench.py) at the
 * same core counts, with OpenBLAS's own kernels and pinned to a generic core (OPENBLAS_CORETYPE), all interleaved in
 * one run, each measurement in its own process. Then a table per configuration and the ratio of tpp-lab's best to
 * PyTorch's best at equal cores (each engine's fastest configuration using at most that many cores). A baseline row
 * (`--baseline on`, the default) times tpp-lab on 1 thread with its own WebAssembly kernels off (TPP_LAB_KERNELS=off:
 * tfjs's kernels only, as before src/kernels existed), so one run shows what the kernels are worth; it never counts
 * as tpp-lab's best.
 *
 *   npm run bench [-- --preset tutorial] [--steps 20] [--warmup 10] [--repeat 1] [--workers 1,2] [--variants fwd,full,lora,mae]
 *                 [--coretype Prescott|none] [--baseline on|off] [--json out.json]
 *
 * Both engines take `--warmup` untimed steps first (default 10: tpp-lab's first steps pay for JIT compilation and
 * heap growth, so the timed steps measure the steady state a long run pays; the same for PyTorch).
 *
 * Before timing, the PyTorch yardstick is checked (scripts/bench-yardstick.ts): on Debian's reference BLAS the torch
 * rows are marked as such and no ratio is printed (the fix is named); a pinned core is timed only if OpenBLAS took it
 * and one forward pass gives the same losses as with its own kernels. The JSON records the BLAS found, the check, and
 * per run the resident memory (and, for tpp-lab, live tensors) at the start and end of the timed steps; `--steps 1000`
 * makes the long run that shows whether memory stays flat. With --repeat R every cell is measured R times,
 * interleaved, and the median of the R medians is reported (compare within one run only). Time on a quiet machine:
 * torch's OpenMP threads spin when another process holds a core.
 */
import * as path from 'path';
import { BENCH_VARIANTS } from '../src/bench/task';
import { writeFileAtomic } from '../src/io/safetensors';
import { flag, median, PYTHON, ROOT, runJson, tfjsBench, torchAvailable } from './bench-child';
import {
  classifyBlas, coretypeAgreement, ratios, refusal, tfjsConfigs, torchConfigs,
  type BenchConfig, type BlasVerdict, type TorchCheck,
} from './bench-yardstick';

const TORCH_BENCH = path.join(ROOT, 'scripts', 'torch_bench.py');
/** Per-run fields copied from a child's JSON into the bench JSON. */
const RUN_FIELDS = ['ms_median', 'ms_min', 'rss_mb', 'rss_mb_start', 'rss_mb_end', 'num_tensors_start', 'num_tensors_end', 'openblas_corename', 'backend', 'batch'];

interface Cell {
  variant: string;
  config: BenchConfig;
  runs: Record<string, unknown>[];
}

function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function usage(msg: string): number {
  process.stderr.write(`npm run bench: ${msg}\n`);
  return 2;
}

/** The PyTorch side's checks: BLAS verdict, and whether a pinned core may be timed. Null when torch is absent. */
function checkTorch(preset: string, coretype: string | null): { verdict: BlasVerdict; auto: TorchCheck; pinned: ReturnType<typeof coretypeAgreement> | null } | null {
  const env = { OPENBLAS_NUM_THREADS: '1' };
  const auto = runJson(PYTHON, [TORCH_BENCH, '--check', '--preset', preset, '--threads', '1'], env) as TorchCheck | null;
  if (!auto) return null;
  const verdict = classifyBlas(auto.blas);
  let pinned = null;
  if (coretype && verdict.kind === 'openblas') {
    const p = runJson(PYTHON, [TORCH_BENCH, '--check', '--preset', preset, '--threads', '1'], { ...env, OPENBLAS_CORETYPE: coretype }) as TorchCheck | null;
    pinned = p ? coretypeAgreement(auto, p, coretype) : { ok: false, maxDiff: NaN, reason: `the check with OPENBLAS_CORETYPE=${coretype} failed (see above)` };
  }
  return { verdict, auto, pinned };
}

function measure(cell: Cell, preset: string, steps: string, warmup: string): void {
  const c = cell.config;
  const r = c.engine === 'tfjs'
    ? tfjsBench(['--preset', preset, '--variant', cell.variant, '--steps', steps, '--warmup', warmup, '--workers', String(c.cores)], c.env)
    : runJson(PYTHON, [TORCH_BENCH, '--preset', preset, '--variant', cell.variant, '--steps', steps, '--warmup', warmup, '--threads', String(c.cores)], c.env);
  if (r) cell.runs.push(Object.fromEntries(RUN_FIELDS.filter((k) => k in r).map((k) => [k, r[k]])));
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const preset = flag(argv, 'preset', 'tutorial');
  const steps = flag(argv, 'steps', '20');
  const warmup = flag(argv, 'warmup', '10');
  const repeat = Number(flag(argv, 'repeat', '1'));
  const cores = list(flag(argv, 'workers', '1,2')).map(Number);
  const variants = list(flag(argv, 'variants', BENCH_VARIANTS.join(',')));
  const coreArg = flag(argv, 'coretype', 'Prescott');
  const coretype = coreArg === 'none' ? null : coreArg;
  const baseline = flag(argv, 'baseline', 'on');
  if (baseline !== 'on' && baseline !== 'off') return usage(`--baseline takes on or off (got ${baseline}).`);
  if (!/^[1-9]\d*$/.test(steps) || !(Number.isInteger(repeat) && repeat >= 1)) return usage(`--steps and --repeat take whole numbers >= 1 (got ${steps}, ${repeat}).`);
  if (!/^\d+$/.test(warmup)) return usage(`--warmup takes a whole number >= 0 (got ${warmup}).`);
  if (!cores.length || cores.some((n) => !Number.isInteger(n) || n < 1)) return usage(`--workers takes core counts like 1,2 (got ${flag(argv, 'workers', '')}).`);
  const bad = variants.filter((v) => !(BENCH_VARIANTS as readonly string[]).includes(v));
  if (bad.length || !variants.length) return usage(`--variants takes some of ${BENCH_VARIANTS.join(',')} (got ${bad.join(',') || 'none'}).`);

  const torch = torchAvailable() ? checkTorch(preset, coretype) : null;
  const configs = tfjsConfigs(cores, baseline === 'on');
  if (torch) {
    console.log(`PyTorch BLAS: ${torch.verdict.kind} (${torch.verdict.reason})`);
    if (torch.pinned) console.log(`OPENBLAS_CORETYPE=${coretype}: ${torch.pinned.ok ? 'timed' : 'not timed'}: ${torch.pinned.reason}`);
    const pinnedCore = torch.pinned?.ok ? coretype : null;
    configs.push(...torchConfigs(cores, torch.verdict, torch.auto.blas.openblas_corename, pinnedCore));
  }
  // Interleave: for each variant and core count, every engine and setting back to back.
  const cells: Cell[] = [];
  for (const variant of variants) for (const n of cores) for (const config of configs.filter((c) => c.cores === n)) cells.push({ variant, config, runs: [] });
  for (let r = 0; r < repeat; r++) for (const cell of cells) measure(cell, preset, steps, warmup);

  const ms = (cell: Cell) => median(cell.runs.map((x) => x.ms_median as number));
  const f = (x: number | null | undefined, d = 1, w = 9) => (x !== null && x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '-').padStart(w);
  const nameWidth = Math.max(...configs.map((c) => c.name.length)) + 2;
  console.log(`\npreset ${preset}, median step ms of ${steps} timed steps after ${warmup} untimed ones, median of ${repeat} run(s), each in its own process`);
  console.log(`${'configuration'.padEnd(nameWidth)}${variants.map((v) => v.padStart(9)).join('')}`);
  for (const config of configs) console.log(`${config.name.padEnd(nameWidth)}${variants.map((v) => f(ms(cells.find((c) => c.variant === v && c.config === config)!))).join('')}`);

  const table = ratios(cells.map((c) => ({ variant: c.variant, config: c.config, ms: ms(c) })), variants, cores, torch?.verdict ?? null);
  const refused = torch?.verdict.kind === 'reference' ? refusal(torch.verdict) : null;
  if (refused) console.log(`\n${refused}`);
  else if (!torch) console.log('\n(python3-torch not found: apt-get install -y python3-torch libopenblas0-pthread for the PyTorch rows and the ratio)');
  else {
    console.log(`\nratio = tpp-lab's best / PyTorch's best using at most N cores (below 1: tpp-lab faster)`);
    console.log(['variant'.padEnd(9), 'cores'.padStart(6), 'tpp-lab'.padStart(9), 'PyTorch'.padStart(9), 'ratio'.padStart(8), '  best configurations'].join(''));
    for (const r of table) console.log(`${r.variant.padEnd(9)}${String(r.cores).padStart(6)}${f(r.tfjs?.ms)}${f(r.torch?.ms)}${f(r.ratio, 2, 8)}  ${r.tfjs?.config ?? '-'} / ${r.torch?.config ?? '-'}`);
  }

  const out = flag(argv, 'json', '');
  if (out) {
    const json = {
      preset, steps: Number(steps), warmup: Number(warmup), repeat, cores, variants, date: new Date().toISOString(),
      blas: torch ? { ...torch.auto.blas, kind: torch.verdict.kind, reason: torch.verdict.reason } : null,
      forward_losses: torch?.auto.losses ?? null,
      coretype: coretype && torch ? { name: coretype, ...(torch.pinned ?? { ok: false, maxDiff: null, reason: `not tried: torch's BLAS is ${torch.verdict.kind}` }) } : null,
      configurations: configs,
      cells: cells.map((c) => ({ variant: c.variant, config: c.config.name, engine: c.config.engine, cores: c.config.cores, ms: ms(c), runs: c.runs })),
      ratios: table,
      ratio_refused: refused,
    };
    await writeFileAtomic(out, new TextEncoder().encode(JSON.stringify(json, null, 2)));
  }
  return 0;
}

main().then((code) => (process.exitCode = code), (e) => {
  process.stderr.write(`npm run bench: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
