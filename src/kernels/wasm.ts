/**
 * Loading our own WebAssembly kernels (sources in kernels/, AssemblyScript; `npm run build:kernels` compiles them
 * into `<name>.wasm` next to this file) and placing buffers in a module's memory.
 *
 * Each module has its own memory; a call copies its inputs in, runs, and copies its outputs out. The copies are
 * small next to the kernels they replace (under 1 MB per call for the tutorial shapes).
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';

/** Backends whose tensors live in this process's memory, where our kernels cost only a copy in and out. */
const HOST_BACKENDS = new Set(['wasm', 'cpu']);

let enabled = process.env.TPP_LAB_KERNELS !== 'off';

/**
 * Turn our kernels on or off (default on; the environment variable `TPP_LAB_KERNELS=off` starts with them off).
 * Off, the model runs on tfjs kernels only, as it does on GPU backends: for A/B measurements and tests.
 */
export function useOwnKernels(on: boolean): void {
  enabled = on;
}

/** Whether the model's ops run on our WebAssembly kernels now: on, and the backend keeps tensors in host memory. */
export function ownKernelsActive(): boolean {
  return enabled && HOST_BACKENDS.has(tf.getBackend());
}

/** The kernel modules, by the name of their source file in kernels/. */
export const KERNEL_MODULES = ['attention', 'elementwise'] as const;
export type KernelModule = (typeof KERNEL_MODULES)[number];

/** The asc arguments every module is built with (scripts/build-kernels.ts; test/kernels.test.ts rebuilds with them). */
export const ASC_FLAGS = ['-O3', '--noAssert', '--runtime', 'stub', '--enable', 'simd'];

/** What every module exports besides its kernels. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
}

const loaded = new Map<string, KernelExports>();

/** The instantiated module `name` (once per thread). */
export function loadKernels<T extends KernelExports>(name: KernelModule): T {
  let k = loaded.get(name);
  if (!k) {
    const file = wasmPath(name);
    if (!fs.existsSync(file)) throw new Error(`Missing ${file}: run \`npm run build:kernels\` to build the ${name} kernels.`);
    const imports = { env: { abort: () => { throw new Error(`${name} kernel aborted`); } } };
    k = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(file)), imports).exports as unknown as KernelExports;
    loaded.set(name, k);
  }
  return k as T;
}

/** Path of the compiled module `name`. */
export function wasmPath(name: KernelModule): string {
  return path.join(__dirname, `${name}.wasm`);
}

/**
 * Byte offsets for buffers of `sizes` floats each (each rounded up to 4 floats, 16-byte aligned), growing the
 * module's memory to fit, and a fresh Float32Array view of the memory to fill and read them.
 */
export function place(k: KernelExports, sizes: number[]): { at: number[]; heap: () => Float32Array } {
  let next = k.heapBase();
  const at = sizes.map((s) => {
    const o = next;
    next += Math.ceil(s / 4) * 16;
    return o;
  });
  const need = next - k.memory.buffer.byteLength;
  if (need > 0) k.memory.grow(Math.ceil(need / 65536));
  return { at, heap: () => new Float32Array(k.memory.buffer) };
}

/** Copy `count` floats out of the module memory at byte offset `at`. */
export function readOut(heap: Float32Array, at: number, count: number): Float32Array {
  return heap.slice(at / 4, at / 4 + count);
}
