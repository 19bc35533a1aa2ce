/** `tpp-lab data inspect <flag | file.npz>`: shapes, dtypes and class counts per split of an .npz. */
import { Command } from '../command';
import { UsageError } from '../args';
import { inspectNpz, InspectReport } from '../../io/sources/inspect';
import { MEDMNIST_SIZES, MedMNISTSize } from '../../data/sources/medmnist-info';

/** Human-readable lines of a report. */
export function formatInspect(r: InspectReport): string {
  const lines = [`file        ${r.file} (${r.bytes.toLocaleString('en-US')} bytes)`, `md5         ${r.md5} (${r.md5Status})`];
  if (r.flag) {
    lines.push(`dataset     ${r.flag}, size ${r.size}`, `modality    ${r.modality}`, `task        ${r.task}`, `license     ${r.license}`);
    lines.push(`classes     ${r.classNames!.map((c, i) => `${i}: ${c}`).join('; ')}`);
  }
  for (const [name, s] of Object.entries(r.splits)) {
    const counts = Object.entries(s!.classCounts).map(([k, v]) => `${k}: ${v}`).join(', ');
    lines.push(`${name.padEnd(12)}images [${s!.imageShape.join(', ')}] ${s!.imageDtype}, labels [${s!.labelShape.join(', ')}] ${s!.labelDtype}, classes {${counts}}`);
  }
  if (!Object.keys(r.splits).length) {
    lines.push('arrays      (no MedMNIST splits found)');
    for (const a of r.arrays) lines.push(`  ${a.key.padEnd(20)}[${a.shape.join(', ')}] ${a.dtype} (${a.descr})`);
  }
  return lines.join('\n');
}

export const command: Command = {
  name: 'data inspect',
  summary: 'Show shapes, dtypes and class counts of a MedMNIST dataset or .npz file',
  usage: 'data inspect <flag | file.npz> [--size 28|64|128|224] [--cache DIR] [--json]',
  description: 'A flag (e.g. breastmnist) is looked up in the bundled data/ folder, then in the cache (see `data download`).',
  flags: [
    { name: 'size', type: 'string', choices: MEDMNIST_SIZES.map(String), help: 'image size of a flag', default: '28' },
    { name: 'cache', type: 'string', value: 'DIR', help: 'cache folder (default $TPP_LAB_CACHE/medmnist or ~/.cache/tpp-lab/medmnist)' },
    { name: 'json', type: 'boolean', help: 'print one JSON object (keys documented in docs/cli-data.md)' },
  ],
  maxPositionals: 1,
  async run({ flags, positionals }) {
    if (positionals.length !== 1) throw new UsageError('Name a MedMNIST flag (e.g. breastmnist) or an .npz file.');
    let report: InspectReport;
    try {
      report = await inspectNpz(positionals[0], { size: Number(flags.size) as MedMNISTSize, cacheDir: flags.cache as string | undefined });
    } catch (e) {
      console.error(`tpp-lab data inspect: ${(e as Error).message}`);
      return 1;
    }
    console.log(flags.json ? JSON.stringify(report, null, 2) : formatInspect(report));
    return 0;
  },
};
