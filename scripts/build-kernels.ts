/**
 * Compile our WebAssembly kernels: kernels/<name>.ts (AssemblyScript) → src/kernels/<name>.wasm, with the flags in
 * src/kernels/wasm.ts, and the same bytes as base64 text into src/kernels/binaries.ts (what the library loads, in
 * Node and in a web page alike). Both are committed (the library needs no compiler at run time);
 * test/kernels.test.ts rebuilds them and checks the committed bytes match.
 *   npm run build:kernels            build all into src/kernels/
 *   npm run build:kernels -- DIR     build into DIR instead
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ASC_FLAGS, KERNEL_MODULES } from '../src/kernels/wasm';

const root = path.resolve(__dirname, '..');

/** Build every module into `outDir`; throws with asc's output if one fails. */
export function buildKernels(outDir: string): string[] {
  const asc = path.join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
  return KERNEL_MODULES.map((name) => {
    const out = path.join(outDir, `${name}.wasm`);
    const r = spawnSync(process.execPath, [asc, path.join(root, 'kernels', `${name}.ts`), ...ASC_FLAGS, '-o', out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`asc failed on kernels/${name}.ts:\n${r.stdout}${r.stderr}`);
    return out;
  });
}

/** The text of src/kernels/binaries.ts for the modules built into `wasmDir`. */
export function binariesSource(wasmDir: string): string {
  const entries = KERNEL_MODULES.map((name) => `  ${name}: '${fs.readFileSync(path.join(wasmDir, `${name}.wasm`)).toString('base64')}',`);
  return [
    '/**',
    ' * The compiled kernel modules, base64-encoded: written by `npm run build:kernels` from src/kernels/<name>.wasm',
    ' * (test/kernels.test.ts checks they are the same bytes). Carried as text so that one import gives them to Node and',
    ' * to a bundled web page alike, with no file access (the modules are a few KB).',
    ' */',
    'export const KERNEL_BINARIES: Readonly<Record<string, string>> = {',
    ...entries,
    '};',
    '',
  ].join('\n');
}

if (require.main === module) {
  const outDir = path.resolve(process.argv[2] ?? path.join(root, 'src', 'kernels'));
  for (const f of buildKernels(outDir)) console.log(`built ${path.relative(process.cwd(), f)}`);
  const binaries = path.join(outDir, 'binaries.ts');
  fs.writeFileSync(binaries, binariesSource(outDir));
  console.log(`wrote ${path.relative(process.cwd(), binaries)}`);
}
