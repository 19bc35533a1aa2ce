/**
 * `npm run kernel`: install Jupyter and the classic Notebook if missing (apt, as root; see system.ts), register
 * the tslab kernel for this repo, and check it by running one cell. Safe to run again.
 *
 * Flags: `--no-user` writes only the repo-local kernelspec (.jupyter/, used with JUPYTER_PATH);
 *        `--no-verify` skips starting the kernel.
 */
import { LOCAL_JUPYTER_PATH, userDataDir, verifyKernel, writeKernelSpec } from './kernel';
import { ensureSystem, NOTEBOOK_PARTS } from './system';

function main(argv: string[]): number {
  const known = new Set(['--no-user', '--no-verify', '--help']);
  const bad = argv.find((a) => !known.has(a));
  if (bad || argv.includes('--help')) {
    (bad ? console.error : console.log)(
      `${bad ? `Unknown option ${bad}\n` : ''}Usage: npm run kernel [-- --no-user] [-- --no-verify]`,
    );
    return bad ? 2 : 0;
  }
  try {
    ensureSystem(NOTEBOOK_PARTS, (line) => console.log(line));
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
  const local = writeKernelSpec(LOCAL_JUPYTER_PATH);
  console.log(`kernelspec (repo-local): ${local}`);
  if (!argv.includes('--no-user')) console.log(`kernelspec (user):       ${writeKernelSpec(userDataDir())}`);
  if (!argv.includes('--no-verify')) {
    try {
      const run = verifyKernel();
      console.log(`kernel check: ran a TypeScript cell importing ./src in ${run.seconds.toFixed(1)} s`);
    } catch (e) {
      console.error((e as Error).message);
      return 1;
    }
  }
  console.log('Ready: `npm run notebook` opens the Notebook at the repo root with the "TypeScript (tpp-lab)" kernel; `npm run notebooks` runs them all headless.');
  return 0;
}

process.exitCode = main(process.argv.slice(2));
