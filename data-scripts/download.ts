/**
 * Download MedMNIST files into the cache, the same as `tpp-lab data download` (run it with tsx):
 *
 *   node --import tsx data-scripts/download.ts <flag> [--size 28|64|128|224] [--from DIR] [--cache DIR] [--md5 HEX] [--force] [--json]
 *   node --import tsx data-scripts/download.ts --all [--size N] [...]   # every MedMNIST 2D dataset
 *
 * Library use: `downloadMedMNIST(flag, options)` in `src/data/download.ts`.
 */
import { main } from '../src/cli/main';
import { MEDMNIST_FLAGS } from '../src/data/sources/medmnist-info';

async function run(argv: string[]): Promise<number> {
  if (!argv.includes('--all')) return main(['data', 'download', ...argv]);
  const rest = argv.filter((a) => a !== '--all');
  let worst = 0;
  for (const flag of MEDMNIST_FLAGS) worst = Math.max(worst, await main(['data', 'download', flag, ...rest]));
  return worst;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  },
);
