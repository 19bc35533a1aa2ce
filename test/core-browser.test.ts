/**
 * The library core runs in a web page: `src/core.ts` bundles with esbuild for the browser (as the workshop site
 * does) without reaching a Node built-in. A failure names each built-in and the import chain that pulls it in,
 * from src/core.ts down to the file that imports it, so the fix (a seam in src/io) is plain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'src', 'core.ts');
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/**
 * Packages left out of the bundle on purpose: tslab is the notebook kernel, required lazily inside a try by the
 * display helpers' default sink (src/viz/progress.ts), which a page replaces with its own.
 */
const NOTEBOOK_ONLY = ['tslab'];

/** Bundle `entry` for the browser; every Node built-in import is recorded (importer → module) and left out. */
async function bundle(): Promise<{ builtins: { module: string; importer: string }[]; inputs: esbuild.Metafile['inputs']; errors: string[] }> {
  const builtins: { module: string; importer: string }[] = [];
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: NOTEBOOK_ONLY,
    plugins: [{
      name: 'record-node-builtins',
      setup(build) {
        build.onResolve({ filter: /.*/ }, async (args) => {
          if (!BUILTINS.has(args.path) || args.pluginData === 'check') return undefined;
          // A package's "browser" field may map a built-in to an empty module (tfjs does): esbuild then resolves it.
          const own = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'check' });
          if (!own.errors.length) return undefined;
          builtins.push({ module: args.path, importer: path.relative(root, args.importer) });
          return { path: args.path, external: true };
        });
      },
    }],
  }).catch((e: { errors?: esbuild.Message[] }) => ({ errors: e.errors ?? [], metafile: undefined }));
  const errors = (result.errors ?? []).map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`);
  return { builtins, inputs: result.metafile?.inputs ?? {}, errors };
}

/** The shortest import chain from src/core.ts to `file` (breadth-first over the bundle's import graph). */
function chainTo(inputs: esbuild.Metafile['inputs'], file: string): string[] {
  const start = path.relative(root, entry);
  const parent = new Map<string, string>([[start, '']]);
  const queue = [start];
  while (queue.length) {
    const at = queue.shift()!;
    if (at === file) break;
    for (const imp of inputs[at]?.imports ?? []) {
      if (imp.external || parent.has(imp.path)) continue;
      parent.set(imp.path, at);
      queue.push(imp.path);
    }
  }
  const chain: string[] = [];
  for (let at: string | undefined = file; at; at = parent.get(at)) chain.unshift(at);
  return chain;
}

test('src/core.ts bundles for the browser without any Node built-in (fs, path, zlib, crypto, os, ...)', async () => {
  const { builtins, inputs, errors } = await bundle();
  assert.deepEqual(errors, [], 'esbuild could not bundle src/core.ts for the browser');
  const lines = [...new Map(builtins.map((b) => [`${b.module} ${b.importer}`, b])).values()]
    .sort((a, b) => a.importer.localeCompare(b.importer) || a.module.localeCompare(b.module))
    .map((b) => `${b.module} ← ${chainTo(inputs, b.importer).reverse().join(' ← ')}`);
  assert.ok(lines.length === 0, `the browser bundle reaches ${lines.length} Node built-in import(s); move each behind a seam in src/io:\n  ${lines.join('\n  ')}`);
});
