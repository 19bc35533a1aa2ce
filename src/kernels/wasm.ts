/**
 * Loading our own WebAssembly kernels (sources in kernels/, AssemblyScript; `npm run build:kernels` compiles them
 * into `<name>.wasm` next to this file and, as base64 text, into `binaries.ts`, which is what is loaded here: one
 * import that Node and a bundled web page both have, no file access) and giving them their data.
 *
 * The modules import their memory and have no data segments (test/kernels.test.ts checks both), so one binary
 * serves two ways:
 * - On the wasm backend, an instance shares tfjs's own memory: a kernel reads its inputs where tfjs keeps the
 *   tensors and writes into outputs tfjs allocated (`output`), with no copy in or out.
 * - Elsewhere (the cpu backend, and the Float32Array functions tests call), an instance has a memory of its own:
 *   each call copies its inputs in and its outputs out (`place`, `readOut`).
 */
import * as tf from '@tensorflow/tfjs';
import { hostFastPaths } from '../tensor-io';
import { KERNEL_BINARIES } from './binaries';

/**
 * The parts of the WebAssembly API used here. tslab compiles src/ for notebooks without the DOM library, where the
 * `WebAssembly` namespace has no types, so they are declared and the global is read through `globalThis`.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

// `process` is Node's; a web page has no environment variables (the kernels start on there).
let enabled = typeof process === 'undefined' || process.env?.TPP_LAB_KERNELS !== 'off';

/**
 * Turn our kernels on or off (default on; the environment variable `TPP_LAB_KERNELS=off` starts with them off).
 * Off, the model runs on tfjs kernels only, as it does on GPU backends: for A/B measurements and tests.
 */
export function useOwnKernels(on: boolean): void {
  enabled = on;
}

/** Whether the model's ops run on our WebAssembly kernels now: on, and the backend keeps tensors in host memory. */
export function ownKernelsActive(): boolean {
  return enabled && hostFastPaths();
}

/** The kernel modules, by the name of their source file in kernels/. */
export const KERNEL_MODULES = ['attention', 'elementwise'] as const;
export type KernelModule = (typeof KERNEL_MODULES)[number];

/** The asc arguments every module is built with (scripts/build-kernels.ts; test/kernels.test.ts rebuilds with them). */
export const ASC_FLAGS = ['-O3', '--noAssert', '--runtime', 'stub', '--enable', 'simd', '--importMemory'];

/** What every module exports besides its kernels. */
export interface KernelExports {
  heapBase(): number;
}

/** The bytes of the compiled module `name` (from binaries.ts). */
export function kernelBinary(name: KernelModule): Uint8Array {
  const text = KERNEL_BINARIES[name];
  if (text === undefined) throw new Error(`No compiled ${name} kernels in src/kernels/binaries.ts: run \`npm run build:kernels\`.`);
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

const modules = new Map<string, object>();

function instantiate<T extends KernelExports>(name: KernelModule, memory: WasmMemory): T {
  let m = modules.get(name);
  if (!m) {
    m = new WA.Module(kernelBinary(name));
    modules.set(name, m);
  }
  return new WA.Instance(m, { env: { memory } }).exports as unknown as T;
}

/** A module instance with a memory of its own, and that memory. */
export interface PrivateKernels<T> {
  k: T;
  memory: WasmMemory;
}

const privates = new Map<string, PrivateKernels<unknown>>();

/** The instance of module `name` with its own memory (once per thread). */
export function privateKernels<T extends KernelExports>(name: KernelModule): PrivateKernels<T> {
  let p = privates.get(name) as PrivateKernels<T> | undefined;
  if (!p) {
    const memory = new WA.Memory({ initial: 1 });
    p = { k: instantiate<T>(name, memory), memory };
    privates.set(name, p);
  }
  return p;
}

/**
 * Byte offsets for buffers of `sizes` floats each (each rounded up to 4 floats, 16-byte aligned) in a private
 * instance's memory, growing it to fit, and a fresh Float32Array view of the memory to fill and read them.
 */
export function place<T extends KernelExports>(p: PrivateKernels<T>, sizes: number[]): { at: number[]; heap: () => Float32Array } {
  let next = p.k.heapBase();
  const at = sizes.map((s) => {
    const o = next;
    next += Math.ceil(s / 4) * 16;
    return o;
  });
  const need = next - p.memory.buffer.byteLength;
  if (need > 0) p.memory.grow(Math.ceil(need / 65536));
  return { at, heap: () => new Float32Array(p.memory.buffer) };
}

/** Copy `count` floats out of a private memory at byte offset `at`. */
export function readOut(heap: Float32Array, at: number, count: number): Float32Array {
  return heap.slice(at / 4, at / 4 + count);
}

/** The parts of tfjs's wasm backend (4.22) the shared instances use. */
interface WasmBackendInternals {
  wasm: { asm: { memory: WasmMemory } };
  dataIdMap: { get(id: unknown): { memoryOffset: number | null } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: unknown, force?: boolean): boolean;
}

const shared = new WeakMap<WasmMemory, Map<string, unknown>>();

/** tfjs's wasm backend, when it is the active backend and exposes its memory as 4.22 does; otherwise null. */
export function wasmBackend(): WasmBackendInternals | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as Partial<WasmBackendInternals>;
  return b.wasm?.asm?.memory instanceof WA.Memory && b.dataIdMap && typeof b.makeOutput === 'function' && typeof b.disposeData === 'function' ? (b as WasmBackendInternals) : null;
}

/** The instance of module `name` that shares the wasm backend's memory (once per backend memory). */
export function sharedKernels<T extends KernelExports>(b: WasmBackendInternals, name: KernelModule): T {
  const memory = b.wasm.asm.memory;
  let byName = shared.get(memory);
  if (!byName) shared.set(memory, (byName = new Map()));
  let k = byName.get(name) as T | undefined;
  if (!k) byName.set(name, (k = instantiate<T>(name, memory)));
  return k;
}

/**
 * Byte address of a float32 tensor's data in the wasm backend's memory. Address 0 is what tfjs records when its
 * allocation failed (its malloc returns 0 when the heap cannot grow, and tfjs does not check): that is the heap
 * running out, reported as such instead of letting a kernel write over address 0.
 */
export function addressOf(b: WasmBackendInternals, t: tf.TensorInfo): number {
  if (t.dtype !== 'float32') throw new Error(`own kernels: expected a float32 tensor, got ${t.dtype}.`);
  const offset = b.dataIdMap.get(t.dataId)?.memoryOffset;
  if (offset === null || offset === undefined) throw new Error('own kernels: the tensor has no data in the wasm heap.');
  if (offset === 0) throw wasmOutOfMemory(`a [${t.shape}] tensor got no memory`);
  return offset;
}

/** A new float32 tensor of `shape` allocated by the wasm backend for a kernel to fill, and its address. */
export function output(b: WasmBackendInternals, shape: number[]): { info: tf.TensorInfo; at: number } {
  const info = b.makeOutput(shape, 'float32');
  if (b.dataIdMap.get(info.dataId)?.memoryOffset === 0) {
    b.disposeData(info.dataId, true);
    throw wasmOutOfMemory(`no room for a [${shape}] output`);
  }
  return { info, at: addressOf(b, info) };
}

/** The error for a wasm heap that cannot grow, with what to change. */
export function wasmOutOfMemory(what: string): Error {
  return new WasmOutOfMemoryError(
    `The wasm backend ran out of memory (${what}; a wasm heap holds at most 4 GB). Attention keeps ` +
      'N x heads x T^2 floats per block for the backward pass, so tokens cost quadratically: use a smaller batch, fewer ' +
      'tokens (a larger patch or a smaller image), or a GPU backend.',
  );
}

/** What `wasmOutOfMemory` makes; `explainWasmError` passes it through unchanged. */
export class WasmOutOfMemoryError extends Error {
  override name = 'WasmOutOfMemoryError';
}

/** The tensor of a filled `output` (tracked by tfjs like any other: dispose it or let a tidy do it). */
export function asTensor<R extends tf.Rank>(info: tf.TensorInfo): tf.Tensor<R> {
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}

/**
 * Errors of a wasm heap that ran out, said plainly: Emscripten's `Aborted()` becomes `wasmOutOfMemory`, and
 * "memory access out of bounds" on the wasm backend (how tfjs 4.22 often fails after its heap could not grow: an
 * unchecked allocation, then a corrupted heap) gets the same advice, hedged. Other errors come back unchanged.
 */
export function explainWasmError(e: unknown): unknown {
  if (e instanceof WasmOutOfMemoryError) return e; // explained already (runBench, then the CLI)
  const message = e instanceof Error ? e.message : String(e);
  if (/Aborted\(/.test(message)) return wasmOutOfMemory(message.split('\n')[0]);
  if (/memory access out of bounds/.test(message) && tf.getBackend() === 'wasm') {
    const out = wasmOutOfMemory('probably: tfjs reports it as "memory access out of bounds"');
    if (e instanceof Error && e.stack) out.stack = `${out.message}\n${e.stack}`;
    return out;
  }
  return e;
}

/**
 * Make the wasm backend's allocator throw `wasmOutOfMemory` instead of returning 0 when its heap cannot grow: tfjs
 * 4.22 does not check, records address 0 and lets the next kernel write over the heap's start, which corrupts it
 * and surfaces later as "memory access out of bounds" far from the cause. Installed once per backend by
 * `initBackend`.
 */
export function guardWasmMalloc(backend: unknown): void {
  const w = (backend as { wasm?: { _malloc?: (bytes: number) => number; asm?: { malloc?: (bytes: number) => number }; tppGuarded?: boolean } }).wasm;
  if (!w || typeof w._malloc !== 'function' || w.tppGuarded) return;
  // The module's own export, not `_malloc`: Emscripten's `_malloc` is a stub that replaces itself on first call.
  const malloc = typeof w.asm?.malloc === 'function' ? w.asm.malloc : w._malloc;
  w._malloc = (bytes: number) => {
    const at = malloc(bytes);
    if (at === 0 && bytes > 0) throw wasmOutOfMemory(`an allocation of ${Math.ceil(bytes / 2 ** 20)} MiB failed`);
    return at;
  };
  w.tppGuarded = true;
}
