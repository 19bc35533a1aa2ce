/**
 * Starting TensorFlow.js's WebGPU backend on a `GPU` object, the part shared by Node and a web page: in Node the
 * object is Dawn's (`backend-webgpu.ts` finds Vulkan and loads `dawn.node` first), in a page it is the browser's
 * own `navigator.gpu` (`backend-webgpu.browser.ts`, which bundlers pick through package.json's "browser" field).
 * Describing the adapter, refusing a software one unless forced, and asking for a device with the adapter's own
 * limits happen here once for both.
 */
import * as tf from '@tensorflow/tfjs';

/** The adapter limits that decide what fits on the GPU. */
export interface WebGpuLimits {
  /** Largest single buffer in bytes, i.e. the largest tensor. */
  maxBufferSize: number;
  /** Largest buffer (bytes) one shader may bind as storage: the practical cap on one tensor an op reads or writes. */
  maxStorageBufferBindingSize: number;
  /** Workgroup shared memory in bytes (matmul tiles). */
  maxComputeWorkgroupStorageSize: number;
  /** Storage buffers one shader may bind: an op's inputs plus its output (e.g. how many tensors one addN sums). */
  maxStorageBuffersPerShaderStage: number;
  /** Threads in one workgroup. */
  maxComputeInvocationsPerWorkgroup: number;
}

/**
 * The limits a device is asked for, each at the adapter's own value. Without them Dawn gives a device WebGPU's
 * defaults (8 storage buffers per shader stage where lavapipe offers 16 and desktop GPUs more), and
 * tfjs-backend-webgpu's own device request raises only some of them.
 */
export const DEVICE_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** `requiredLimits` for a device on an adapter with `limits`: every `DEVICE_LIMITS` entry the adapter reports. */
export function requiredLimits(limits: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of DEVICE_LIMITS) {
    const v = Number(limits[name]);
    if (Number.isFinite(v) && v > 0) out[name] = v;
  }
  return out;
}

/** What Dawn says about the adapter `webgpu` would run on. */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** The adapter's own `isFallbackAdapter` flag. */
  isFallbackAdapter: boolean;
  /** Our verdict: a CPU/software implementation (fallback flag, or cpu/llvmpipe/lavapipe/swiftshader named). */
  software: boolean;
  limits: WebGpuLimits;
}

/** Outcome of trying to start the webgpu backend. */
export interface WebGpuStart {
  /** null when webgpu is now the tfjs backend; otherwise why not (one line). */
  reason: string | null;
  /** The adapter, when Dawn found one (also when it was not used). */
  adapter: WebGpuAdapterInfo | null;
  /**
   * Whether a failure deserves a warning line in automatic selection. Missing Vulkan or a software adapter is
   * normal on a machine without a GPU; a real GPU that fails to start is not.
   */
  notable: boolean;
}

const SOFTWARE_NAMES = /\b(cpu|llvmpipe|lavapipe|swiftshader|softpipe|software)\b/i;

/** Whether an adapter description names a software (CPU) implementation. */
export function isSoftwareAdapter(info: Omit<WebGpuAdapterInfo, 'software' | 'limits'>): boolean {
  if (info.isFallbackAdapter) return true;
  return SOFTWARE_NAMES.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

export interface GpuLike {
  requestAdapter(options?: object): Promise<GpuAdapterLike | null>;
}
export interface GpuAdapterLike {
  info?: Record<string, unknown>;
  isFallbackAdapter?: boolean;
  limits: Record<string, number>;
  features: { has(name: string): boolean };
  requestDevice(descriptor: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<unknown>;
}

/** The adapter as `WebGpuAdapterInfo`: its names, limits and our software verdict. */
export function describeAdapter(adapter: GpuAdapterLike): WebGpuAdapterInfo {
  const info = adapter.info ?? {};
  const str = (k: string) => (typeof info[k] === 'string' ? (info[k] as string) : '');
  const base = {
    vendor: str('vendor'),
    architecture: str('architecture'),
    device: str('device'),
    description: str('description'),
    isFallbackAdapter: info.isFallbackAdapter === true || adapter.isFallbackAdapter === true,
  };
  const limits = {
    maxBufferSize: Number(adapter.limits.maxBufferSize),
    maxStorageBufferBindingSize: Number(adapter.limits.maxStorageBufferBindingSize),
    maxComputeWorkgroupStorageSize: Number(adapter.limits.maxComputeWorkgroupStorageSize),
    maxStorageBuffersPerShaderStage: Number(adapter.limits.maxStorageBuffersPerShaderStage),
    maxComputeInvocationsPerWorkgroup: Number(adapter.limits.maxComputeInvocationsPerWorkgroup),
  };
  return { ...base, software: isSoftwareAdapter(base), limits };
}

/** One line naming an adapter, e.g. `mesa llvmpipe (software)`. */
export function adapterLabel(a: WebGpuAdapterInfo): string {
  const name = [a.vendor, a.description || a.device || a.architecture].filter(Boolean).join(' ');
  return `${name || 'unnamed adapter'}${a.software ? ' (software)' : ''}`;
}

export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}

/**
 * Register tfjs's `webgpu` backend again (its module registered it on load) with a device that has the adapter's
 * own limits (`DEVICE_LIMITS`) and the same optional features tfjs asks for.
 */
function registerWithAdapterLimits(gpu: GpuLike): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { WebGPUBackend } = require('@tensorflow/tfjs-backend-webgpu') as { WebGPUBackend: new (device: unknown, info?: unknown) => tf.KernelBackend };
  tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) throw new Error('the GPU offered no adapter the second time it was asked');
      const requiredFeatures = ['timestamp-query', 'bgra8unorm-storage'].filter((f) => adapter.features.has(f));
      const device = await adapter.requestDevice({ requiredFeatures, requiredLimits: requiredLimits(adapter.limits) });
      return new WebGPUBackend(device, adapter.info);
    },
    3,
  );
}

/**
 * Start `webgpu` on `gpu` (a WebGPU `GPU`): `allowSoftware` (a forced `TPP_BACKEND=webgpu`) accepts a software
 * adapter; `install` makes `gpu` visible to tfjs-backend-webgpu (as `navigator.gpu`) before it loads;
 * `noAdapter` is the reason given when the GPU offers no adapter. Never throws.
 */
export async function startOnGpu(gpu: GpuLike, allowSoftware: boolean, noAdapter: string, install: () => void = () => {}): Promise<WebGpuStart> {
  let adapter: WebGpuAdapterInfo | null = null;
  try {
    const found = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!found) return { reason: noAdapter, adapter: null, notable: false };
    adapter = describeAdapter(found);
    if (adapter.software && !allowSoftware) {
      return {
        reason: `software adapter ${adapterLabel(adapter)} is never chosen automatically (slower than wasm); force it with TPP_BACKEND=webgpu`,
        adapter,
        notable: false,
      };
    }
    install();
    require('@tensorflow/tfjs-backend-webgpu');
    if (!tf.findBackendFactory('webgpu')) return { reason: 'tfjs-backend-webgpu did not register (it was loaded before navigator.gpu existed)', adapter, notable: true };
    registerWithAdapterLimits(gpu);
    if (!(await tf.setBackend('webgpu'))) return { reason: `the webgpu backend failed to initialise on ${adapterLabel(adapter)}`, adapter, notable: true };
    return { reason: null, adapter, notable: false };
  } catch (e) {
    return { reason: `webgpu failed: ${firstLine(e)}`, adapter, notable: adapter !== null };
  }
}
