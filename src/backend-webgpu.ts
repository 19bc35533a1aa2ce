/**
 * The `webgpu` backend: TensorFlow.js's WebGPU backend on Dawn's Node bindings (npm `webgpu`), which drive any
 * Vulkan (Linux), Metal (macOS) or D3D12 (Windows) GPU. Everything here is loaded lazily, only when `webgpu` is
 * tried, and every failure becomes a one-line reason instead of an exception.
 *
 * Steps: (1) on Linux, look for the Vulkan loader (`libvulkan.so.1`) and at least one Vulkan driver manifest
 * (ICD json) without loading anything, so a machine with no Vulkan pays a few file checks; (2) load `dawn.node`
 * and ask for the high-performance adapter; (3) describe it and decide whether it is a software rasteriser
 * (lavapipe, llvmpipe, SwiftShader), which is only used when forced; (4) install `navigator.gpu` and Dawn's
 * globals, load `@tensorflow/tfjs-backend-webgpu` (it registers itself only if `navigator.gpu` exists at load
 * time) and start it on a device that has the adapter's own limits (`DEVICE_LIMITS`), not WebGPU's defaults.
 *
 * Steps (3) and (4) are src/webgpu-start.ts, shared with a web page (backend-webgpu.browser.ts, the page's own
 * `navigator.gpu`, which bundlers use instead of this file through package.json's "browser" field).
 *
 * In Node, `dataSync()`/`arraySync()` throw on this backend (they need `OffscreenCanvas`); see `tensor-io.ts`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { firstLine, type GpuLike, startOnGpu, type WebGpuStart } from './webgpu-start';

export {
  adapterLabel, DEVICE_LIMITS, describeAdapter, isSoftwareAdapter, requiredLimits, type WebGpuAdapterInfo, type WebGpuLimits, type WebGpuStart,
} from './webgpu-start';

/** What to install when Vulkan is missing (Linux), used in reasons and in test failures. */
export const VULKAN_INSTALL_HINT =
  'install the Vulkan loader and a driver: NVIDIA: the proprietary driver (it ships the Vulkan ICD) + `apt-get install libvulkan1`; ' +
  'AMD/Intel: `apt-get install libvulkan1 mesa-vulkan-drivers`; CPU-only tests (lavapipe): Mesa >= 25, on Debian 12 ' +
  '`apt-get install -t bookworm-backports mesa-vulkan-drivers` + `apt-get install libvulkan1` (see .ci/run)';

/** Where the Vulkan loader looks for driver manifests (ICD json files) on Linux, in its order. */
export function vulkanIcdDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = os.homedir();
  const configDirs = [env.XDG_CONFIG_HOME || path.join(home, '.config'), ...(env.XDG_CONFIG_DIRS || '/etc/xdg').split(':')];
  const dataDirs = [env.XDG_DATA_HOME || path.join(home, '.local/share'), ...(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':')];
  return [...configDirs.map((d) => path.join(d, 'vulkan/icd.d')), '/etc/vulkan/icd.d', ...dataDirs.map((d) => path.join(d, 'vulkan/icd.d'))].filter(
    (d, i, all) => d && all.indexOf(d) === i,
  );
}

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'];

/** Whether the dynamic linker can find `libvulkan.so.1` (LD_LIBRARY_PATH, usual folders, or ld.so.cache). */
function hasVulkanLoader(env: NodeJS.ProcessEnv): boolean {
  const dirs = [...(env.LD_LIBRARY_PATH || '').split(':').filter(Boolean), ...LIB_DIRS];
  if (dirs.some((d) => fs.existsSync(path.join(d, 'libvulkan.so.1')))) return true;
  try {
    return fs.readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1');
  } catch {
    return false;
  }
}

/**
 * On Linux, why no hardware GPU can be here: no render node (`/dev/dri/renderD*`, Mesa and most drivers) and no
 * NVIDIA device (`/dev/nvidia0`). Null elsewhere or when a device exists. Only a software adapter could then be
 * offered, so automatic selection skips Dawn entirely.
 */
export function gpuDeviceMissingReason(platform: string = process.platform, devDir = '/dev'): string | null {
  if (platform !== 'linux') return null;
  const has = (p: string) => fs.existsSync(path.join(devDir, p));
  let render = false;
  try {
    render = fs.readdirSync(path.join(devDir, 'dri')).some((f) => f.startsWith('renderD'));
  } catch {
    render = false;
  }
  if (render || has('nvidia0') || has('dxg')) return null;
  return 'no GPU device on this machine (no /dev/dri/renderD*, /dev/nvidia0); a software Vulkan adapter is never chosen automatically (force it with TPP_BACKEND=webgpu)';
}

/**
 * Why Vulkan cannot work here, without loading Dawn (Linux only; null elsewhere or when it may work).
 * Checks the loader library and the driver manifests, honouring `VK_DRIVER_FILES` / `VK_ICD_FILENAMES`.
 */
export function vulkanMissingReason(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): string | null {
  if (platform !== 'linux') return null;
  if (!hasVulkanLoader(env)) return `no Vulkan loader (libvulkan.so.1 not found); ${VULKAN_INSTALL_HINT}`;
  const forcedVar = env.VK_DRIVER_FILES ? 'VK_DRIVER_FILES' : env.VK_ICD_FILENAMES ? 'VK_ICD_FILENAMES' : null;
  if (forcedVar) {
    const listed = String(env[forcedVar]).split(':').filter(Boolean);
    if (!listed.some((f) => fs.existsSync(f))) return `${forcedVar} names no existing file (${listed.join(', ')})`;
    return null;
  }
  const extra = (env.VK_ADD_DRIVER_FILES || '').split(':').filter((f) => f && fs.existsSync(f));
  const found = vulkanIcdDirs(env).some((d) => {
    try {
      return fs.readdirSync(d).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
  if (!found && extra.length === 0) return `no Vulkan driver (no ICD json in ${vulkanIcdDirs(env).join(', ')}); ${VULKAN_INSTALL_HINT}`;
  return null;
}

/** Dawn's two exports (typed loosely: the WebGPU types are not part of the project's lib). */
interface Dawn {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
/** Load `dawn.node` straight from the `webgpu` package (its index.js is an ES module; we are CommonJS). */
function loadDawn(): Dawn {
  const dir = path.dirname(require.resolve('webgpu/package.json'));
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  const file = path.join(dir, 'dist', `${process.platform}-${arch}`, 'dawn.node');
  if (!fs.existsSync(file)) throw new Error(`the webgpu package has no Dawn build for ${process.platform}-${arch}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as Dawn;
}

/** Put Dawn's `gpu` where tfjs-backend-webgpu looks (`navigator.gpu`) and its WebGPU classes on globalThis. */
function installGlobals(dawn: Dawn, gpu: unknown): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in g)) g[k] = v;
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav && typeof nav === 'object') Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  else g.navigator = { gpu };
}

/**
 * Try to make `webgpu` the tfjs backend on Dawn. `allowSoftware` (a forced `TPP_BACKEND=webgpu`) accepts a
 * software adapter; automatic selection does not. Never throws.
 */
export async function startWebGpu(allowSoftware: boolean): Promise<WebGpuStart> {
  const missing = vulkanMissingReason();
  if (missing) return { reason: missing, adapter: null, notable: false };
  let dawn: Dawn;
  try {
    dawn = loadDawn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'MODULE_NOT_FOUND' && String(err.message).includes("'webgpu/package.json'")) {
      return { reason: 'not installed (npm package webgpu)', adapter: null, notable: false };
    }
    return { reason: `Dawn (webgpu package) failed to load: ${firstLine(e)}`, adapter: null, notable: false };
  }
  let gpu: GpuLike;
  try {
    gpu = dawn.create([]);
  } catch (e) {
    return { reason: `webgpu failed: ${firstLine(e)}`, adapter: null, notable: false };
  }
  const noAdapter =
    'Dawn found no usable GPU adapter (no GPU, or a Vulkan driver Dawn refuses: Mesa older than 25, an old NVIDIA driver); ' +
    'for NVIDIA point VK_DRIVER_FILES at nvidia_icd.json';
  return startOnGpu(gpu, allowSoftware, noAdapter, () => installGlobals(dawn, gpu));
}
