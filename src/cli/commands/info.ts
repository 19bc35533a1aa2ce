/** `tpp-lab info`: which backend computes, what else was tried, versions and hardware. */
import * as os from 'os';
import { BACKEND_ORDER, initBackend, type WebGpuAdapterInfo } from '../../backend';
import { adapterLabel } from '../../backend-webgpu';
import { Command } from '../command';

/** Everything `info` reports, also as `--json`. */
export interface InfoReport {
  backend: string;
  /** Every backend in selection order: chosen, failed (and why) or not tried (a backend above it was chosen). */
  backends: { name: string; ok: boolean; tried: boolean; reason: string }[];
  forced: string | null;
  tfjs: string;
  node: string;
  tppLab: string;
  platform: string;
  cpu: { cores: number; model: string };
  memoryGiB: number;
  /** The GPU in use, e.g. `WebGPU: nvidia ... (Vulkan)` or `CUDA (tfjs-node-gpu)`; null when computing on the CPU. */
  gpu: string | null;
  /** The WebGPU adapter Dawn offered (used or not), with its limits; null if none was found or probed. */
  webgpuAdapter: WebGpuAdapterInfo | null;
}

export async function collectInfo(): Promise<InfoReport> {
  // Describe the WebGPU adapter even when it could only be a software one: that is what `info` is for.
  const report = await initBackend({ warn: () => {}, probeSoftwareWebgpu: true });
  const cpus = os.cpus();
  return {
    backend: report.name,
    backends: BACKEND_ORDER.map((name) => {
      const a = report.attempts.find((t) => t.name === name);
      if (a) return { name, ok: a.ok, tried: true, reason: a.reason };
      const why = BACKEND_ORDER.indexOf(name) < (BACKEND_ORDER as readonly string[]).indexOf(report.forced ?? name) ? `not tried (${report.forced} was forced)` : `not tried (${report.name} comes first)`;
      return { name, ok: false, tried: false, reason: why };
    }),
    forced: report.forced,
    tfjs: report.tfjsVersion,
    node: process.versions.node,
    tppLab: require('../../../package.json').version,
    platform: `${process.platform}-${process.arch}`,
    cpu: { cores: cpus.length, model: cpus[0]?.model?.trim() ?? 'unknown' },
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    gpu: report.name === 'node-gpu' ? 'CUDA (tfjs-node-gpu)' : report.name === 'webgpu' && report.webgpuAdapter ? `WebGPU: ${adapterLabel(report.webgpuAdapter)}` : null,
    webgpuAdapter: report.webgpuAdapter,
  };
}

export const command: Command = {
  name: 'info',
  summary: 'Show the compute backend, versions and hardware',
  usage: 'info [--json]',
  flags: [{ name: 'json', type: 'boolean', help: 'print one JSON object' }],
  async run({ flags }) {
    const info = await collectInfo();
    if (flags.json) {
      console.log(JSON.stringify(info, null, 2));
      return 0;
    }
    console.log(`backend     ${info.backend}${info.forced ? ` (forced: ${info.forced})` : ''}`);
    for (const b of info.backends) console.log(`  ${b.ok ? '✓' : b.tried ? '✗' : '·'} ${b.name.padEnd(9)}${b.reason}`);
    console.log(`tfjs        ${info.tfjs}`);
    console.log(`node        ${info.node}`);
    console.log(`tpp-lab     ${info.tppLab}`);
    console.log(`platform    ${info.platform}`);
    console.log(`cpu         ${info.cpu.cores} cores, ${info.cpu.model}`);
    console.log(`memory      ${info.memoryGiB} GiB`);
    console.log(`gpu         ${info.gpu ?? 'none in use'}`);
    const a = info.webgpuAdapter;
    if (a) {
      const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
      console.log(`webgpu      ${adapterLabel(a)}${a.isFallbackAdapter ? ', fallback adapter' : ''}`);
      console.log(`            vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, device ${a.device || '?'}`);
      console.log(
        `            limits: maxBufferSize ${mib(a.limits.maxBufferSize)}, maxStorageBufferBindingSize ${mib(a.limits.maxStorageBufferBindingSize)}, ` +
          `maxComputeWorkgroupStorageSize ${a.limits.maxComputeWorkgroupStorageSize} B, maxStorageBuffersPerShaderStage ${a.limits.maxStorageBuffersPerShaderStage}`,
      );
    }
    return 0;
  },
};
