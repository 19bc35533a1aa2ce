/**
 * `npm run build:site`: the workshop page as a folder any static host serves (GitHub Pages, a USB stick behind
 * `npm run workshop`), fully offline: the page's bundle (site/main.ts on src/core.ts, esbuild, platform browser),
 * the tfjs wasm binaries, plotly, the bundled data packs whose licences allow redistribution (MedMNIST CC BY 4.0,
 * BUSI CC0, HC18 CC BY 4.0, with data/README.md's attribution; never Tiny-ImageNet images) and the bundled
 * backbones, and the TPP study's plan and result tables. Our own wasm kernels travel inside the bundle
 * (src/kernels/binaries.ts).
 *
 * The page's code reaches no Node built-in (the core's rule, test/core-browser.test.ts): platform browser makes any
 * such import a build error that names it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(__dirname, '..');

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
  'study/dose-contrasts.csv': 'docs/results/regime-2026-12-06/dose/contrasts.csv',
  'LICENSE-plotly.txt': 'node_modules/plotly.js-dist-min/LICENSE',
};

/** The bundled backbones copied whole (weights, decoder, README with provenance). */
export const SITE_BACKBONES = ['backbone-imagenet28', 'backbone-imagenet64', 'backbone-tutorial'];

export interface SiteBuild {
  dir: string;
  bytes: number;
}

/** Build the site into `dir` (default build/site), replacing what was there. */
export async function buildSite(dir = path.join(ROOT, "build", "site"), options: { quiet?: boolean; minify?: boolean } = {}): Promise<SiteBuild> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
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
  });
  for (const [to, from] of Object.entries(SITE_FILES)) copy(path.join(ROOT, from), path.join(dir, to));
  for (const b of SITE_BACKBONES) {
    for (const f of fs.readdirSync(path.join(ROOT, 'data', b))) copy(path.join(ROOT, 'data', b, f), path.join(dir, 'data', b, f));
  }
  const bytes = folderBytes(dir);
  if (!options.quiet) {
    console.log(`site: ${path.relative(process.cwd(), dir) || '.'} (${(bytes / 1e6).toFixed(1)} MB)`);
  }
  return { dir, bytes };
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
