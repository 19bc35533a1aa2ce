/**
 * Backend selection: one place decides which TensorFlow.js backend computes.
 *
 * Order when nothing is forced: `node-gpu` (tfjs-node-gpu, CUDA) → `webgpu` (Dawn on Vulkan/Metal/D3D12, only
 * on a real GPU: a software adapter such as lavapipe is skipped) → `node` (tfjs-node, native TensorFlow) → `wasm`
 * (XNNPACK, SIMD; the default on machines without the native packages) → `cpu` (pure JS; tiny tests).
 * In a web page the order is `webgpu` (the browser's) → `webgl` → `wasm` → `cpu`.
 * `TPP_BACKEND=<name>` (or `initBackend({ backend })`) forces one (`webgpu` forced also accepts a software
 * adapter); if it cannot load, we fall back down the list and say why in one warning line.
 *
 * Everything that computes calls `await initBackend()` first. The work is done once per process and the same
 * promise is returned afterwards, so importing and calling it from several modules is safe.
 */
import { guardWasmMalloc } from './kernels/wasm';
import * as tf from '@tensorflow/tfjs';
import { gpuDeviceMissingReason, startWebGpu, type WebGpuAdapterInfo } from './backend-webgpu';

export type { WebGpuAdapterInfo, WebGpuLimits } from './backend-webgpu';
/** What the backend can do: the one question host-side fast paths ask (tensor-io.ts, a leaf: src/kernels imports it). */
export { hostFastPaths } from './tensor-io';

/** User-facing backend names, in order of preference (in Node). */
export const BACKEND_ORDER = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'] as const;
/** The order in a web page: the browser's WebGPU, else WebGL (tfjs's GPU backend for every browser), else wasm. */
export const PAGE_BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number] | (typeof PAGE_BACKEND_ORDER)[number];

/** Whether this code runs in a web page (a document to draw in), where the page order applies. */
function inPage(): boolean {
  // Through globalThis: this file is also compiled without the DOM's types (the notebooks' kernel).
  const g = globalThis as { document?: unknown; window?: unknown };
  return g.document !== undefined && g.window !== undefined;
}

/** What was tried for one backend and why it was or was not chosen. */
export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Short reason, e.g. "not installed (optional dependency)" or the load error's first line. */
  reason: string;
}

/** The outcome of backend selection. */
export interface BackendReport {
  /** The backend now computing. */
  name: BackendName;
  /** TensorFlow.js's own name for it (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfName: string;
  /** Whether the user forced a backend (option or TPP_BACKEND). */
  forced: BackendName | null;
  attempts: BackendAttempt[];
  /** One line per fallback a user should hear about (a forced or installed backend that failed). */
  warnings: string[];
  tfjsVersion: string;
  /** The WebGPU adapter Dawn offered, whether or not webgpu was chosen; null when webgpu was not probed or none. */
  webgpuAdapter: WebGpuAdapterInfo | null;
}

export interface InitBackendOptions {
  /** Force a backend; defaults to `process.env.TPP_BACKEND`. */
  backend?: string;
  /** Where fallback warnings go; defaults to one `console.warn` line each. Pass `() => {}` to silence. */
  warn?: (line: string) => void;
  /**
   * Ask Dawn for an adapter even on a Linux machine with no GPU device node (`/dev/dri/renderD*`, `/dev/nvidia*`).
   * Default false: there Dawn could only offer a software adapter, which is never chosen automatically, and
   * starting it costs time and prints driver warnings. `tpp-lab info` sets it to describe that adapter.
   */
  probeSoftwareWebgpu?: boolean;
}

let pending: Promise<BackendReport> | null = null;

/** Parse a backend name as users type it (`TPP_BACKEND=wasm`, `tensorflow` accepted as `node`). */
export function parseBackendName(value: string): BackendName {
  const v = value.trim().toLowerCase();
  const alias: Record<string, BackendName> = { tensorflow: 'node', 'tfjs-node': 'node', 'tfjs-node-gpu': 'node-gpu', gpu: 'node-gpu', dawn: 'webgpu' };
  const name = (alias[v] ?? v) as BackendName;
  if (![...BACKEND_ORDER, ...PAGE_BACKEND_ORDER].includes(name as never)) {
    throw new Error(`Unknown backend "${value}". Use one of: ${BACKEND_ORDER.join(', ')} (e.g. TPP_BACKEND=wasm); in a web page also webgl.`);
  }
  return name;
}

/** First line of an error, for one-line reasons. */
function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}

function isMissingModule(e: unknown, pkg: string): boolean {
  const err = e as NodeJS.ErrnoException;
  return err?.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${pkg}'`);
}

/** The outcome of one try: `reason` null on success; `notable` failures are worth a warning line. */
interface TryResult {
  reason: string | null;
  notable: boolean;
  adapter?: WebGpuAdapterInfo | null;
}

/** Try to make one backend current; never throws. */
async function tryBackend(name: BackendName, forced: boolean, probeSoftware: boolean): Promise<TryResult> {
  if (name === 'webgpu') {
    const noDevice = forced || probeSoftware ? null : gpuDeviceMissingReason();
    if (noDevice) return { reason: noDevice, notable: false, adapter: null };
    const r = await startWebGpu(forced);
    return { reason: r.reason, notable: r.notable, adapter: r.adapter };
  }
  const reason = await tryOther(name);
  // An absent optional package is normal; anything else that stops an installed backend is worth a line.
  return { reason, notable: reason !== null && !reason.startsWith('not installed') };
}

/** Try one of the backends other than webgpu. Returns null on success or the reason it failed. */
async function tryOther(name: Exclude<BackendName, 'webgpu'>): Promise<string | null> {
  try {
    switch (name) {
      case 'node-gpu':
      case 'node': {
        const pkg = name === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
        try {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          require(pkg);
        } catch (e) {
          if (isMissingModule(e, pkg)) return `not installed (${pkg} is an optional dependency)`;
          throw e;
        }
        if (name === 'node-gpu' && !(await nodeGpuHasDevice())) return 'tfjs-node-gpu loaded but TensorFlow sees no CUDA GPU';
        if (!(await tf.setBackend('tensorflow'))) return 'the tensorflow backend failed to initialise';
        return null;
      }
      case 'wasm': {
        require('@tensorflow/tfjs-backend-wasm');
        if (!(await tf.setBackend('wasm'))) return 'the wasm backend failed to initialise';
        guardWasmMalloc(tf.backend());
        return null;
      }
      case 'cpu': {
        if (!(await tf.setBackend('cpu'))) return 'the cpu backend failed to initialise';
        return null;
      }
      case 'webgl': {
        if (!inPage()) return 'webgl runs only in a web page';
        if (!(await tf.setBackend('webgl'))) return 'this browser offers no WebGL';
        return null;
      }
    }
  } catch (e) {
    return firstLine(e);
  }
}

/** tfjs-node-gpu falls back to CPU silently when CUDA is missing; ask TensorFlow whether it sees a GPU. */
async function nodeGpuHasDevice(): Promise<boolean> {
  try {
    const backend = tf.findBackend('tensorflow') as unknown as { binding?: { isUsingGpuDevice?: () => boolean } };
    const fn = backend?.binding?.isUsingGpuDevice;
    return typeof fn === 'function' ? fn() : true;
  } catch {
    return false;
  }
}

async function select(options: InitBackendOptions): Promise<BackendReport> {
  const warn = options.warn ?? ((line: string) => console.warn(line));
  const raw = options.backend ?? (typeof process === 'undefined' ? undefined : process.env.TPP_BACKEND) ?? '';
  const forced = raw.trim() ? parseBackendName(raw) : null;
  // A forced backend is tried first, then the usual order below it.
  const all: readonly BackendName[] = inPage() ? PAGE_BACKEND_ORDER : BACKEND_ORDER;
  const order: BackendName[] = forced ? [forced, ...all.slice(all.indexOf(forced) + 1)] : [...all];
  const attempts: BackendAttempt[] = [];
  const warnings: string[] = [];
  let webgpuAdapter: WebGpuAdapterInfo | null = null;
  const notable: boolean[] = []; // per attempt: whether its failure deserves a warning line
  for (const name of order) {
    const r = await tryBackend(name, name === forced, !!options.probeSoftwareWebgpu);
    if (r.adapter !== undefined) webgpuAdapter = r.adapter;
    const chosen = name === 'webgpu' && webgpuAdapter?.software ? 'chosen (forced) on a software adapter: slower than wasm, for correctness tests' : 'chosen';
    attempts.push({ name, ok: r.reason === null, reason: r.reason ?? chosen });
    if (r.reason === null) {
      await tf.ready();
      for (const [i, a] of attempts.entries()) {
        if (a.ok || !(a.name === forced || notable[i])) continue;
        warnings.push(`tpp-lab: backend ${a.name} unavailable (${a.reason}); using ${name}.`);
      }
      warnings.forEach((w) => warn(w));
      return { name, tfName: tf.getBackend(), forced, attempts, warnings, tfjsVersion: tf.version.tfjs, webgpuAdapter };
    }
    notable.push(r.notable);
  }
  throw new Error(`No TensorFlow.js backend could start: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`);
}

/**
 * Choose and start the backend (once per process). Later calls return the first call's report, whatever
 * options they pass; call `resetBackendForTests()` first to choose again.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendReport> {
  if (!pending) {
    pending = select(options);
    pending.catch(() => {
      pending = null;
    });
  }
  return pending;
}

/** Forget the cached choice so the next `initBackend` selects again (tests and `tpp-lab info` use this). */
export function resetBackendForTests(): void {
  pending = null;
}

export { tf };
