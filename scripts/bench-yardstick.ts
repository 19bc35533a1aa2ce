/**
 * The PyTorch yardstick of `npm run bench` (issue 12): which BLAS torch computes with, whether a pinned OpenBLAS
 * core computes the same losses, the configurations measured, and the ratio of tpp-lab's best to PyTorch's best.
 * Pure functions of what the children print (scripts/torch_blas.py, scripts/torch_bench.py, `tpp-lab bench`), so
 * the decisions are tested on canned probes; scripts/bench.ts runs the children.
 */

/** What scripts/torch_blas.py prints (also the `blas` field of `torch_bench.py --check`). */
export interface TorchBlasProbe {
  torch: string;
  /** `BLAS_INFO=` of `torch.__config__.show()`: `generic` for Debian's torch (whatever libblas.so.3 is), `mkl` for pip wheels. */
  blas_info: string | null;
  /** BLAS/LAPACK/MKL shared objects mapped into the process (/proc/self/maps). */
  libraries: string[];
  /** The mapped `libblas.so*`: the library torch's sgemm calls when BLAS_INFO is generic. */
  blas_library: string | null;
  /** `openblas_get_config()` of that library; null when it is not OpenBLAS. */
  openblas_config: string | null;
  /** `openblas_get_corename()`: the kernels OpenBLAS chose (or OPENBLAS_CORETYPE forced). */
  openblas_corename: string | null;
  matmul_n: number;
  /** Median ms of one `matmul_n` x `matmul_n` float32 matmul on one thread. */
  matmul_ms: number;
}

/** What kind of BLAS torch runs on; `reference` refuses the ratio. */
export type BlasKind = 'openblas' | 'mkl' | 'reference' | 'other';

export interface BlasVerdict {
  kind: BlasKind;
  /** The library that decided (or null when only the timing did). */
  library: string | null;
  /** One sentence: how the kind was decided. */
  reason: string;
}

/**
 * A 512x512 float32 matmul slower than this (ms, one thread) means an unoptimised BLAS: on the project's quiet 2-core
 * machine OpenBLAS took 2.3 ms and Debian's reference BLAS about 36 ms (docs/performance-log.md); the threshold leaves
 * room for OpenBLAS's generic kernels (OPENBLAS_CORETYPE) and a busy machine. Only decides when no library does.
 */
export const REFERENCE_MATMUL_MS = 20;

/** The fix for a reference-BLAS PyTorch, as the bench prints it. */
export const BLAS_FIX = 'apt-get install -y libopenblas0-pthread (or npm run setup), then rerun npm run bench';

/** Debian's reference (netlib) BLAS lives in .../blas/libblas.so.3 (package libblas3). */
const REFERENCE_PATH = /\/blas\/libblas\.so[.\d]*$/;

/** Decide the BLAS torch computes with from a probe: the library it maps first, the 512x512 matmul time second. */
export function classifyBlas(p: TorchBlasProbe): BlasVerdict {
  const ms = `a ${p.matmul_n}x${p.matmul_n} matmul took ${p.matmul_ms} ms`;
  if (p.openblas_config) return { kind: 'openblas', library: p.blas_library, reason: `${p.openblas_config} (${p.openblas_corename ?? 'core unknown'} kernels); ${ms}` };
  const mkl = p.libraries.find((l) => /mkl/i.test(l.split('/').pop() ?? ''));
  if (p.blas_info === 'mkl' || mkl) return { kind: 'mkl', library: mkl ?? null, reason: `torch is built with MKL (BLAS_INFO=${p.blas_info}); ${ms}` };
  if (p.blas_library && REFERENCE_PATH.test(p.blas_library)) {
    return { kind: 'reference', library: p.blas_library, reason: `torch's libblas is Debian's reference BLAS (${p.blas_library}, no OpenBLAS installed); ${ms}` };
  }
  if (p.matmul_ms > REFERENCE_MATMUL_MS) {
    return { kind: 'reference', library: p.blas_library, reason: `no optimised BLAS found (${p.blas_library ?? 'no libblas mapped'}, BLAS_INFO=${p.blas_info}) and ${ms} (an optimised BLAS takes under ${REFERENCE_MATMUL_MS} ms)` };
  }
  return { kind: 'other', library: p.blas_library, reason: `BLAS ${p.blas_library ?? `built in (BLAS_INFO=${p.blas_info})`}, not OpenBLAS or MKL but fast: ${ms}` };
}

/** The message that replaces the ratio column when torch runs on the reference BLAS. */
export function refusal(v: BlasVerdict): string {
  return `No ratio: PyTorch runs on the reference BLAS (${v.reason}). That makes a PyTorch step about 9x slower than a correctly set-up one, so any ratio would flatter tpp-lab. Fix: ${BLAS_FIX}.`;
}

/** What `torch_bench.py --check` prints: one forward loss per training variant (fixed seed) and the probe. */
export interface TorchCheck {
  losses: Record<string, number>;
  blas: TorchBlasProbe;
}

/** Losses of the two settings must agree this closely (relative to max(1, |loss|)). */
export const CORETYPE_TOLERANCE = 1e-5;

/**
 * Does running with OPENBLAS_CORETYPE=`coretype` compute what the auto-detected kernels compute? It must have taken
 * effect (OpenBLAS names that core; an unknown name silently falls back to another) and give the same forward losses.
 */
export function coretypeAgreement(auto: TorchCheck, pinned: TorchCheck, coretype: string, tol = CORETYPE_TOLERANCE): { ok: boolean; maxDiff: number; reason: string } {
  const core = pinned.blas.openblas_corename;
  if (!core || core.toLowerCase() !== coretype.toLowerCase()) {
    return { ok: false, maxDiff: NaN, reason: `OPENBLAS_CORETYPE=${coretype} did not take effect (OpenBLAS chose ${core ?? 'no core: not OpenBLAS'}); name a core this OpenBLAS knows, e.g. Prescott, Nehalem, Sandybridge or Haswell` };
  }
  let maxDiff = 0;
  const names = Object.keys(auto.losses);
  for (const k of names) {
    const a = auto.losses[k];
    const b = pinned.losses[k];
    const d = b === undefined ? Infinity : Math.abs(a - b) / Math.max(1, Math.abs(a));
    if (!(d <= maxDiff)) maxDiff = d;
  }
  if (!names.length || !(maxDiff <= tol)) {
    return { ok: false, maxDiff, reason: `forward losses differ by ${maxDiff.toExponential(2)} (relative) between the auto-detected kernels (${auto.blas.openblas_corename}) and ${coretype}; tolerance ${tol}` };
  }
  return { ok: true, maxDiff, reason: `same forward losses (${names.join(', ')}) within ${maxDiff.toExponential(1)} with ${auto.blas.openblas_corename} and ${coretype} kernels` };
}

/** One measured configuration: an engine, the cores it uses, and the environment/flags of its child process. */
export interface BenchConfig {
  /** Name printed in the table, e.g. `PyTorch 2 threads, OPENBLAS_CORETYPE=Prescott`. */
  name: string;
  engine: 'tfjs' | 'torch';
  cores: number;
  env: Record<string, string>;
  /** A reference row (tpp-lab on tfjs's kernels only): printed, never taken as tpp-lab's best. */
  baseline?: boolean;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Name of the baseline row: tpp-lab with its own WebAssembly kernels off (src/kernels), as before they existed. */
export const TFJS_BASELINE = 'tpp-lab, 1 thread, tfjs kernels only (TPP_LAB_KERNELS=off)';

/**
 * tpp-lab on 1 thread (the main one) or N worker threads; with `baseline`, also 1 thread with its own kernels
 * off (the same-run "before" of the kernels; not counted as tpp-lab's best).
 */
export function tfjsConfigs(workers: readonly number[], baseline = false): BenchConfig[] {
  const out: BenchConfig[] = workers.map((w) => ({ name: `tpp-lab, ${w === 1 ? '1 thread' : plural(w, 'worker')}`, engine: 'tfjs' as const, cores: w, env: {} }));
  if (baseline) out.push({ name: TFJS_BASELINE, engine: 'tfjs', cores: 1, env: { TPP_LAB_KERNELS: 'off' }, baseline: true });
  return out;
}

/**
 * PyTorch at each thread count with OPENBLAS_NUM_THREADS=1 (torch's own threads do the parallel work; BLAS threads
 * on top oversubscribe the cores), with OpenBLAS's own kernels and, when `coretype` is given, pinned to it. On the
 * reference BLAS the rows are named as such and no pinned rows are made (OPENBLAS_CORETYPE means nothing there).
 */
export function torchConfigs(threads: readonly number[], blas: BlasVerdict, autoCore: string | null, coretype: string | null): BenchConfig[] {
  const out: BenchConfig[] = [];
  for (const t of threads) {
    const base = { engine: 'torch' as const, cores: t };
    const lib = blas.kind === 'reference' ? 'REFERENCE BLAS' : blas.kind === 'openblas' ? `OpenBLAS ${autoCore ?? ''} (auto)`.replace('  ', ' ') : blas.kind === 'mkl' ? 'MKL' : 'BLAS';
    out.push({ ...base, name: `PyTorch ${plural(t, 'thread')}, ${lib}`, env: { OPENBLAS_NUM_THREADS: '1' } });
    if (coretype && blas.kind === 'openblas') out.push({ ...base, name: `PyTorch ${plural(t, 'thread')}, OPENBLAS_CORETYPE=${coretype}`, env: { OPENBLAS_NUM_THREADS: '1', OPENBLAS_CORETYPE: coretype } });
  }
  return out;
}

/** The best (lowest) median step time of an engine using at most `cores` cores, and the configuration behind it. */
export function bestAt(cells: readonly { config: BenchConfig; ms: number }[], engine: BenchConfig['engine'], cores: number): { ms: number; config: string } | null {
  let best: { ms: number; config: string } | null = null;
  for (const c of cells) {
    if (c.config.engine === engine && !c.config.baseline && c.config.cores <= cores && Number.isFinite(c.ms) && (!best || c.ms < best.ms)) best = { ms: c.ms, config: c.config.name };
  }
  return best;
}

/** One row of the ratio table: tpp-lab's best / PyTorch's best at `cores` cores (null when refused or missing). */
export interface Ratio {
  variant: string;
  cores: number;
  tfjs: { ms: number; config: string } | null;
  torch: { ms: number; config: string } | null;
  ratio: number | null;
}

/** Ratios of every variant at every core count; all null when torch runs on the reference BLAS. */
export function ratios(cells: readonly { variant: string; config: BenchConfig; ms: number }[], variants: readonly string[], cores: readonly number[], blas: BlasVerdict | null): Ratio[] {
  const out: Ratio[] = [];
  for (const variant of variants) {
    const mine = cells.filter((c) => c.variant === variant);
    for (const n of cores) {
      const tfjs = bestAt(mine, 'tfjs', n);
      const torch = bestAt(mine, 'torch', n);
      const ok = tfjs && torch && blas && blas.kind !== 'reference';
      out.push({ variant, cores: n, tfjs, torch, ratio: ok ? tfjs.ms / torch.ms : null });
    }
  }
  return out;
}
