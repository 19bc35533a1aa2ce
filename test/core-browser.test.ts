/**
 * The library core runs in a web page: `src/core.ts` bundles with esbuild for the browser (as the workshop site
 * does) without reaching a Node built-in. A failure names each built-in and the import chain that pulls it in,
 * from src/core.ts down to the file that imports it, so the fix (a seam in src/io) is plain. And the page computes
 * the same bytes as Node: inflated .npz entries, SHA-256 digests and fingerprints, in headless Chromium.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as esbuild from 'esbuild';
import { missingFor } from '../kernel-setup/system';
import { bufferSource, listZipEntries } from '../src/data/formats/zip';
import { canonicalJson } from '../src/train/settings-fingerprint';
import { tempDir } from './helpers';

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

test('src/core.ts bundles for the browser reaching no Node built-in', async () => {
  const { builtins, inputs, errors } = await bundle();
  assert.deepEqual(errors, [], 'esbuild could not bundle src/core.ts for the browser');
  const found = [...new Map(builtins.map((b) => [`${b.module} ${b.importer}`, b])).values()]
    .sort((a, b) => a.importer.localeCompare(b.importer) || a.module.localeCompare(b.module))
    .map((b) => `${b.module} ← ${chainTo(inputs, b.importer).reverse().join(' ← ')}`);
  assert.ok(found.length === 0, `the browser bundle reaches ${found.length} Node built-in import(s); move each behind a seam in src/io (a store, a reader passed in):\n  ${found.join('\n  ')}`);
  assert.ok(Object.keys(inputs).some((f) => f.endsWith(path.join('train', 'finetune.ts'))) && Object.keys(inputs).some((f) => f.endsWith(path.join('grid', 'build.ts'))), 'the bundle holds the stages and the grid');
});

/** Settings with nesting, key order and text that UTF-8 must carry (a fingerprint made in a page equals the CLI's). */
const SETTINGS = { z: [1, 2.5, null], a: { name: 'Ünïcödé ✓ 𝔸', seed: 3 }, tpp: { epochs: 30, images: 'data/breastmnist.npz' } };

test('in headless Chromium the library inflates an .npz and hashes to the bytes Node\'s zlib and crypto give', async () => {
  assert.equal(missingFor(['chromium']), null);
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  assert.ok(chromium, 'chromium is installed but neither /usr/bin/chromium nor /usr/bin/chromium-browser exists');
  const npz = fs.readFileSync(path.join(root, 'data', 'breastmnist.npz'));
  const backbone = fs.readFileSync(path.join(root, 'data', 'backbone-imagenet28', 'backbone.safetensors'));
  const built = await esbuild.build({
    entryPoints: [path.join(__dirname, 'fixtures', 'browser-digests.ts')], bundle: true, platform: 'browser', format: 'iife', write: false, logLevel: 'silent',
  });
  const input = { npz: npz.toString('base64'), backbone: backbone.toString('base64'), settings: SETTINGS };
  const dir = tempDir();
  const page = path.join(dir, 'digests.html');
  fs.writeFileSync(page, `<!doctype html><html><head><meta charset="utf-8"></head><body><script>var DIGEST_INPUT = ${JSON.stringify(input)};</script><script>${built.outputFiles[0].text.replace(/<\/script/gi, '<\\/script')}</script></body></html>`);
  const r = spawnSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
    `--user-data-dir=${path.join(dir, 'profile')}`, '--virtual-time-budget=20000', '--dump-dom', `file://${page}`], { encoding: 'utf8', timeout: 120000, maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const m = /<pre id="digests">([^<]*)<\/pre>/.exec(r.stdout);
  assert.ok(m, `the page wrote no digests: ${r.stderr.slice(-2000)}`);
  const page_ = JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as Record<string, string>;
  assert.equal(page_.error, undefined, page_.error);

  const expected: Record<string, string> = {};
  const src = bufferSource(npz);
  for (const e of listZipEntries(src)) {
    const start = e.localHeaderOffset + 30 + npz.readUInt16LE(e.localHeaderOffset + 26) + npz.readUInt16LE(e.localHeaderOffset + 28);
    const raw = npz.subarray(start, start + e.compressedSize);
    expected[`npz:${e.name}`] = createHash('sha256').update(e.method === 8 ? zlib.inflateRawSync(raw) : raw).digest('hex');
  }
  assert.ok(Object.keys(expected).length >= 6, 'the .npz holds its splits');
  // The fingerprint the CLI stored in the file when it saved the backbone.
  const header = JSON.parse(backbone.subarray(8, 8 + Number(backbone.readBigUInt64LE(0))).toString('utf8')) as { __metadata__: { fingerprint: string } };
  expected.backbone = header.__metadata__.fingerprint;
  expected.settings = `sha256:${createHash('sha256').update(canonicalJson(SETTINGS), 'utf8').digest('hex')}`;
  assert.deepEqual(page_, expected);
});
