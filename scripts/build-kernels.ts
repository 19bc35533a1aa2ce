/**
 * Compile our WebAssembly kernels: kernels/<name>.ts (AssemblyScript) → src/kernels/<name>.wasm, with the flags in
 * src/kernels/wasm.ts. The .wasm files are committed (the library needs no compiler at run time);
 * test/kernels.test.ts rebuilds them and checks the committed bytes match.
 *   npm run build:kernels            build all into src/kernels/
 *   npm run build:kernels -- DIR     build into DIR instead
 */
import { spawnSync } from 'child_process';
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

if (require.main === module) {
  const outDir = path.resolve(process.argv[2] ?? path.join(root, 'src', 'kernels'));
  for (const f of buildKernels(outDir)) console.log(`built ${path.relative(process.cwd(), f)}`);
}
