/**
 * `npm run build:site`: the workshop page as a folder any static host serves (GitHub Pages, a USB stick behind
 * `npm run workshop`), fully offline: the page's bundle (site/main.ts on src/core.ts, esbuild, platform browser),
 * the tfjs wasm binaries, plotly, the bundled data packs whose licences allow redistribution (MedMNIST CC BY 4.0,
 * BUSI CC0, HC18 CC BY 4.0, with data/README.md's attribution; never Tiny-ImageNet images) and the bundled
 * backbones, and the TPP study's plan and result tables. Our own wasm kernels travel inside the bundle
 * (src/kernels/binaries.ts).
 *
 * Bridge until the library's last Node seams land (REMAINING in test/core-browser.test.ts): Node built-ins the core
 * still imports are replaced by a module whose every call throws, and the build lists them. The page never calls
 * a path that needs them (stages run without outDir, data and files arrive as bytes).
 */
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** What the site folder holds, by its path in the folder → the file in the repository. */
export const SITE_FILES: Readonly<Record<string, string>> = {
  'index.html': 'site/index.html',
  'style.css': 'site/style.css',
  'plotly.min.js': 'node_modules/plotly.js-dist-min/plotly.min.js',
  'tfjs/tfjs-backend-wasm.wasm': 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
  'tfjs/tfjs-backend-wasm-simd.wasm': 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  'tfjs/tfjs-backend-wasm-threaded-simd.wasm': 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm',
  'data/README.md': 'data/README.md',
  'data/breastmnist.npz': 'data/breastmnist.npz',
  'data/pneumoniamnist.npz': 'data/pneumoniamnist.npz',
  'data/busi_64.npz': 'data/busi_64.npz',
  'data/hc18_64.npz': 'data/hc18_64.npz',
  'study/plan.json': 'docs/results/study-2026-11-28/plan.json',
  'study/summary.csv': 'docs/results/study-2026-11-28/summary.csv',
  'study/contrasts.csv': 'docs/results/study-2026-11-28/contrasts.csv',
  'study/distances.csv': 'docs/results/regime-2026-12-06/distances.csv',
  'LICENSE-plotly.txt': 'node_modules/plotly.js-dist-min/LICENSE',
};

/** The bundled backbones copied whole (weights, decoder, README with provenance). */
export const SITE_BACKBONES = ['backbone-imagenet28', 'backbone-imagenet64', 'backbone-tutorial'];

export interface SiteBuild {
  dir: string;
  /** Node built-ins replaced by the bridge, as `module ← importer`. */
  bridged: string[];
  bytes: number;
}

/** An esbuild plugin: each Node built-in nothing else resolves becomes a module whose calls throw; `seen` lists them. */
function bridgeBuiltins(seen: Set<string>): esbuild.Plugin {
  return {
    name: 'bridge-node-builtins',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (!BUILTINS.has(args.path) || args.pluginData === 'check') return undefined;
        const own = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'check' });
        if (!own.errors.length) return undefined;
        seen.add(`${args.path} ← ${path.relative(ROOT, args.importer)}`);
        return { path: args.path, namespace: 'node-bridge' };
      });
      build.onLoad({ filter: /.*/, namespace: 'node-bridge' }, (args) => ({ loader: 'js', contents: bridgeModule(args.path) }));
    },
  };
}

/**
 * The stand-in for Node built-in `name`: the same export names as the real module (so module-level code that only
 * reads them evaluates), each a function that throws naming the call. `path`'s functions join their arguments
 * instead, so module-level constants such as bundled folders made from `__dirname` evaluate; nothing reads them.
 */
function bridgeModule(name: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const real = require(name) as Record<string, unknown>;
  const isPath = name.replace('node:', '') === 'path';
  const lines = Object.keys(real).map((k) => {
    const v = isPath && k === 'sep' ? "'/'" : isPath && typeof real[k] === 'function' ? 'join' : `member(${JSON.stringify(k)})`;
    return `exports[${JSON.stringify(k)}] = ${v};`;
  });
  return `const fail = (what) => { throw new Error(${JSON.stringify(name)} + '.' + what + ' is Node-only: the web page cannot call it.'); };
const member = (what) => new Proxy(function () {}, { get: (_, k) => (typeof k === 'symbol' || k === 'then' ? undefined : member(what + '.' + String(k))), apply: () => fail(what), construct: () => fail(what) });
const join = (...parts) => parts.filter((p) => typeof p === 'string').join('/');
${lines.join('\n')}
`;
}

/** Build the site into `dir` (default build/site), replacing what was there. */
export async function buildSite(dir = path.join(ROOT, "build", "site"), options: { quiet?: boolean; minify?: boolean } = {}): Promise<SiteBuild> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'site', 'main.ts')],
    outfile: path.join(dir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    minify: options.minify ?? true,
    sourcemap: false,
    logLevel: 'error',
    // tslab is the notebook kernel, required lazily inside a try by src/viz/progress.ts; the page draws its own.
    external: ['tslab'],
    define: { __dirname: '"/"', __filename: '"/bundle.js"' },
    plugins: [bridgeBuiltins(seen)],
  });
  for (const [to, from] of Object.entries(SITE_FILES)) copy(path.join(ROOT, from), path.join(dir, to));
  for (const b of SITE_BACKBONES) {
    for (const f of fs.readdirSync(path.join(ROOT, 'data', b))) copy(path.join(ROOT, 'data', b, f), path.join(dir, 'data', b, f));
  }
  const bridged = [...seen].sort();
  const bytes = folderBytes(dir);
  if (!options.quiet) {
    console.log(`site: ${path.relative(process.cwd(), dir) || '.'} (${(bytes / 1e6).toFixed(1)} MB)`);
    if (bridged.length) console.log(`bridge: ${bridged.length} Node built-in import(s) replaced by throwing stubs (until the core's seams land):\n  ${bridged.join('\n  ')}`);
  }
  return { dir, bridged, bytes };
}

function copy(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

/** Total size of the files under `dir`. */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? folderBytes(p) : fs.statSync(p).size;
  }
  return total;
}

if (require.main === module) {
  const out = process.argv[2];
  buildSite(out ? path.resolve(out) : undefined).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
