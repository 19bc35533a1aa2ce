/**
 * The `webgpu` backend in a web page: the browser's own `navigator.gpu`, no Dawn and no Vulkan checks. Bundlers
 * building for the browser use this file instead of `backend-webgpu.ts` (package.json's "browser" field), so the
 * page never reaches Node's fs, os or path; both hand the GPU to the same `startOnGpu`.
 */
import { type GpuLike, startOnGpu, type WebGpuStart } from './webgpu-start';

export {
  adapterLabel, DEVICE_LIMITS, describeAdapter, isSoftwareAdapter, requiredLimits, type WebGpuAdapterInfo, type WebGpuLimits, type WebGpuStart,
} from './webgpu-start';

/** A page has no device nodes to look at: whether a GPU is there is the browser's answer to `requestAdapter`. */
export function gpuDeviceMissingReason(): string | null {
  return null;
}

/** Try to make `webgpu` the tfjs backend on the browser's WebGPU. Never throws. */
export async function startWebGpu(allowSoftware: boolean): Promise<WebGpuStart> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) return { reason: 'this browser has no WebGPU (navigator.gpu is missing)', adapter: null, notable: false };
  return startOnGpu(gpu, allowSoftware, 'the browser offered no WebGPU adapter');
}
