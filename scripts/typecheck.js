#!/usr/bin/env node
// Type-check the repository twice: with the project's TypeScript (strict, tsconfig.json) and with tslab's
// bundled TypeScript 5.0, which compiles `src/` when notebooks import it. Exits non-zero if either fails.
const { spawnSync } = require('child_process');
const path = require('path');
const root = path.resolve(__dirname, '..');
const compilers = [
  ['project TypeScript', path.join(root, 'node_modules/typescript/bin/tsc')],
  ["tslab's TypeScript", path.join(root, 'node_modules/@tslab/typescript-for-tslab/bin/tsc')],
];
let failed = 0;
for (const [label, tsc] of compilers) {
  const version = spawnSync(process.execPath, [tsc, '--version'], { encoding: 'utf8' }).stdout.trim();
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [tsc, '-p', root, '--noEmit'], { encoding: 'utf8' });
  const ok = r.status === 0;
  if (!ok) failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'}  typecheck with ${label} (${version})  ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (!ok) console.log((r.stdout + r.stderr).trim().split('\n').map((l) => `      ${l}`).join('\n'));
}
process.exitCode = failed ? 1 : 0;
