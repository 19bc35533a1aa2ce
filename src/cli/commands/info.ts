/** `tpp-lab info`: which backend computes, what else was tried, versions and hardware. */
import * as os from 'os';
import { initBackend } from '../../backend';
import { Command } from '../command';

/** Everything `info` reports, also as `--json`. */
export interface InfoReport {
  backend: string;
  backends: { name: string; ok: boolean; reason: string }[];
  forced: string | null;
  tfjs: string;
  node: string;
  tppLab: string;
  platform: string;
  cpu: { cores: number; model: string };
  memoryGiB: number;
  gpu: string | null;
}

export async function collectInfo(): Promise<InfoReport> {
  const report = await initBackend({ warn: () => {} });
  const cpus = os.cpus();
  return {
    backend: report.name,
    backends: report.attempts.map((a) => ({ name: a.name, ok: a.ok, reason: a.reason })),
    forced: report.forced,
    tfjs: report.tfjsVersion,
    node: process.versions.node,
    tppLab: require('../../../package.json').version,
    platform: `${process.platform}-${process.arch}`,
    cpu: { cores: cpus.length, model: cpus[0]?.model?.trim() ?? 'unknown' },
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    gpu: report.name === 'node-gpu' ? 'CUDA (tfjs-node-gpu)' : null,
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
    for (const b of info.backends) console.log(`  ${b.ok ? '✓' : '✗'} ${b.name.padEnd(9)}${b.reason}`);
    console.log(`tfjs        ${info.tfjs}`);
    console.log(`node        ${info.node}`);
    console.log(`tpp-lab     ${info.tppLab}`);
    console.log(`platform    ${info.platform}`);
    console.log(`cpu         ${info.cpu.cores} cores, ${info.cpu.model}`);
    console.log(`memory      ${info.memoryGiB} GiB`);
    console.log(`gpu         ${info.gpu ?? 'none in use'}`);
    return 0;
  },
};
