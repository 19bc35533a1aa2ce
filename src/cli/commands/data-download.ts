/** `tpp-lab data download <flag>`: fetch a MedMNIST file into the cache (or copy it with --from), MD5-checked. */
import { Command } from '../command';
import { UsageError } from '../args';
import { DownloadEvent, downloadMedMNIST } from '../../io/sources/download';
import { defaultCacheDir } from '../../io/sources/medmnist';
import { isMedMNISTFlag, MEDMNIST_FLAGS, MEDMNIST_SIZES, MedMNISTSize } from '../../data/sources/medmnist-info';

/** A progress printer for stderr: one line, redrawn at most ~5 times a second on a terminal. */
function progressPrinter(json: boolean): (e: DownloadEvent) => void {
  const tty = process.stderr.isTTY && !json;
  let last = 0;
  const mb = (n: number) => (n / 2 ** 20).toFixed(1);
  return (e) => {
    if (e.phase === 'start') {
      const resume = e.resumeFrom ? ` (resuming at ${mb(e.resumeFrom)} MiB)` : '';
      process.stderr.write(`${e.kind === 'copy' ? 'copying' : 'downloading'} ${e.from}${resume}\n`);
    } else if (e.phase === 'bytes' && tty) {
      const now = Date.now();
      if (now - last < 200 && e.received !== e.total) return;
      last = now;
      const pct = e.total ? ` ${((100 * e.received) / e.total).toFixed(1)}%` : '';
      process.stderr.write(`\r  ${mb(e.received)}${e.total ? ` / ${mb(e.total)}` : ''} MiB${pct}   `);
    } else if (e.phase === 'retry') {
      process.stderr.write(`${tty ? '\n' : ''}  ${e.reason} Retrying (attempt ${e.attempt}).\n`);
    } else if (e.phase === 'verify') {
      if (tty) process.stderr.write('\n');
      process.stderr.write('  checking MD5\n');
    }
  };
}

export const command: Command = {
  name: 'data download',
  summary: 'Download a MedMNIST dataset into the cache (MD5-checked, resumable)',
  usage: 'data download <flag> [--size 28|64|128|224] [--from DIR] [--cache DIR] [--md5 HEX] [--force] [--json]',
  description: [
    `Flags: ${MEDMNIST_FLAGS.join(', ')}.`,
    'Source: https://zenodo.org/records/10519652/files/<flag>[_<size>].npz. The file is written to the cache',
    'folder only once complete and MD5-checked; an interrupted download resumes on the next run.',
    'Cache folder: --cache, else $TPP_LAB_CACHE/medmnist, else ~/.cache/tpp-lab/medmnist.',
  ].join('\n'),
  flags: [
    { name: 'size', type: 'string', choices: MEDMNIST_SIZES.map(String), help: 'image size', default: '28' },
    { name: 'from', type: 'string', value: 'DIR', help: 'copy the file from this local folder instead of downloading' },
    { name: 'cache', type: 'string', value: 'DIR', help: 'cache folder' },
    { name: 'md5', type: 'string', value: 'HEX', help: 'expected MD5, overriding the catalogue' },
    { name: 'force', type: 'boolean', help: 'fetch again even if the cache holds a good copy' },
    { name: 'json', type: 'boolean', help: 'print the result as one JSON object' },
  ],
  maxPositionals: 1,
  async run({ flags, positionals }) {
    const flag = positionals[0];
    if (!flag) throw new UsageError(`Name a dataset: ${MEDMNIST_FLAGS.join(', ')}.`);
    if (!isMedMNISTFlag(flag)) throw new UsageError(`Unknown MedMNIST dataset "${flag}". Known 2D flags: ${MEDMNIST_FLAGS.join(', ')}.`);
    if (flags.md5 !== undefined && !/^[0-9a-fA-F]{32}$/.test(String(flags.md5))) throw new UsageError(`--md5 must be 32 hex digits, got "${flags.md5}".`);
    const cacheDir = (flags.cache as string | undefined) ?? defaultCacheDir();
    try {
      const r = await downloadMedMNIST(flag, {
        size: Number(flags.size) as MedMNISTSize,
        cacheDir,
        from: flags.from as string | undefined,
        md5: flags.md5 as string | undefined,
        force: Boolean(flags.force),
        onProgress: progressPrinter(Boolean(flags.json)),
      });
      if (flags.json) {
        console.log(JSON.stringify(r, null, 2));
      } else {
        const how = { bundled: 'bundled with tpp-lab', cache: 'already in the cache', download: 'downloaded', copy: 'copied' }[r.source];
        console.log(`${r.path} (${how}; ${r.bytes.toLocaleString('en-US')} bytes; md5 ${r.md5}, ${r.md5Check === 'none' ? 'no official MD5 known here: not checked' : `check: ${r.md5Check}`})`);
      }
      return 0;
    } catch (e) {
      console.error(`tpp-lab data download: ${(e as Error).message}`);
      return 1;
    }
  },
};
