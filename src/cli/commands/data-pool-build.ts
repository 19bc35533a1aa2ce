/** `tpp-lab data pool build NAME --from ARCHIVE`: make an image pool's .npz packs from its original public archive. */
import * as path from 'path';
import { Command } from '../command';
import { UsageError } from '../args';
import { buildPool } from '../../io/pool-build';
import { POOL_RECIPES } from '../../data/sources/pool-recipes';

const REPO = path.resolve(__dirname, '..', '..', '..');

export const command: Command = {
  name: 'data pool build',
  summary: 'Make an image pool (tinyimagenet, pbc, kermany, knee) from its original public archive',
  usage: 'data pool build <name> --from ARCHIVE.zip [--out DIR] [--all] [--root FOLDER] [--json] [--quiet]',
  description: [
    'Reads the archive as it was downloaded (not unpacked), converts every image the same way (grey by ITU-R 601',
    'luma or RGB, centre-cropped to a square, area-average resized) and writes the pack(s) atomically: the same',
    'archive gives the same bytes on every run. Archives, layouts, samples and the exact commands: docs/pools.md.',
    ...Object.values(POOL_RECIPES).map((r) => `  ${r.name.padEnd(13)}${r.archive} (${r.url}): ${r.layout}`),
    'Default --out: $TPP_POOLS_DIR, else the repository\'s data/pools/ (both searched for pools by name).',
  ].join('\n'),
  flags: [
    { name: 'from', type: 'string', value: 'ARCHIVE', help: 'the original archive (.zip), as downloaded' },
    { name: 'out', type: 'string', value: 'DIR', help: 'folder for the pack(s), named as the pool expects them' },
    { name: 'all', type: 'boolean', help: 'keep every image instead of the documented sample (Tiny-ImageNet 200 per class, knee 24.5 %)' },
    { name: 'root', type: 'string', value: 'FOLDER', help: 'the folder inside the archive to read when the layout is there more than once' },
    { name: 'json', type: 'boolean', help: 'print the result as one JSON object' },
    { name: 'quiet', type: 'boolean', help: 'no progress on stderr' },
  ],
  maxPositionals: 1,
  async run({ flags, positionals }) {
    const name = positionals[0];
    const names = Object.keys(POOL_RECIPES).join(', ');
    if (!name) throw new UsageError(`Name a pool: ${names}.`);
    if (!POOL_RECIPES[name]) throw new UsageError(`Unknown pool "${name}"; pools that can be built: ${names}.`);
    if (!flags.from) throw new UsageError(`Pass the original archive with --from (${POOL_RECIPES[name].archive}, from ${POOL_RECIPES[name].url}).`);
    const out = path.resolve(String(flags.out ?? process.env.TPP_POOLS_DIR ?? path.join(REPO, 'data', 'pools')));
    const tty = process.stderr.isTTY && !flags.quiet;
    let last = -1;
    try {
      const r = await buildPool(name, String(flags.from), out, {
        all: Boolean(flags.all),
        root: flags.root as string | undefined,
        onProgress: (done, total) => {
          const pct = Math.floor((100 * done) / total);
          if (flags.quiet || (pct === last && done !== total)) return;
          if (tty || pct % 10 === 0) process.stderr.write(`${tty ? '\r' : ''}  ${name}: ${done} / ${total} images${tty ? '' : '\n'}`);
          if (tty && done === total) process.stderr.write('\n');
          last = pct;
        },
      });
      if (flags.json) console.log(JSON.stringify(r, null, 2));
      else {
        for (const f of r.files) console.log(`${f.path} (${f.images.toLocaleString('en-US')} images, ${f.bytes.toLocaleString('en-US')} bytes)`);
        console.log(`classes: ${r.classNames.map((c, i) => `${c} ${r.counts[i]}`).join(', ')}${r.root ? ` (from ${r.root} in the archive)` : ''}`);
      }
      return 0;
    } catch (e) {
      console.error(`tpp-lab data pool build: ${(e as Error).message}`);
      return 1;
    }
  },
};
