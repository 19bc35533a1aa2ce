/**
 * Executed notebooks, rendered to HTML by nbconvert, drawn by a real browser (Debian's headless `chromium`, through
 * its `--dump-dom` CLI). Per notebook: the expected plotly figures are drawn offline, and no cell shows an error,
 * writes to stderr or prints a warning. Runs each notebook of `EXPECTED` in the quick profile (about 30-90 s each);
 * `TPP_RENDER_NOTEBOOKS=05,09` limits it to some of them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { LOCAL_JUPYTER_PATH, runNotebook, writeKernelSpec } from '../kernel-setup/kernel';
import { missingFor } from '../kernel-setup/system';
import { renderHtml } from '../scripts/run-notebooks';
import { ROOT, tempDir } from './helpers';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** What one notebook must draw in the quick profile. */
interface Expected {
  /** Plotly figures (each a `tpp-plot` div that plotly drew into). */
  figures: number;
  /** Scatter traces over all figures, when checked. */
  scatterTraces?: number;
  /** Heatmaps over all figures, when checked. */
  heatmaps?: number;
  /** Marker points over all figures, when checked. */
  points?: number;
  /** Bar traces over all figures, when checked. */
  barTraces?: number;
  /** Image galleries (`gallery` of src/viz/images.ts) with at least one picture each, when checked. */
  galleries?: number;
  /** Other things the drawn page must show (an SVG figure, an image gallery, a legend entry). */
  shows?: { what: string; pattern: RegExp }[];
}

const CHANCE_LINE = { what: 'the AUC chance line in a legend', pattern: /chance \(AUC 0\.5\)/ };

/** FT_EPOCHS of notebook 05 in the quick profile: each of its learning curves has this many points. */
const QUICK_FT_EPOCHS = 3;

/**
 * Notebooks of the series this test covers, with their figures in the quick profile. 00-03 are checked by the
 * notebook runner (no error) and test/viz-render.test.ts (their figure helpers); add their rows here when needed.
 */
const EXPECTED: Record<string, Expected> = {
  // TPP loss curve (with the no-TPP reference), adapter vs backbone size; the pipeline (SVG) and reconstructions (PNG).
  '04-tpp.ipynb': {
    figures: 2,
    shows: [
      { what: 'the three-stage pipeline', pattern: /data-stage="2"/ },
      { what: 'the reconstruction gallery', pattern: /class="tpp-gallery"[\s\S]*?<img src="data:image\/png;base64,/ },
      { what: 'the no-TPP reference line', pattern: /no TPP: backbone alone/ },
    ],
  },
  // The study: two forest plots, then test AUC without TPP per target (three), read from the committed CSVs.
  '06-modality-matters.ipynb': { figures: 5, shows: [CHANCE_LINE, { what: 'the re-run table', pattern: /re-run AUC/ }] },
  // Validation AUC (2 lines), training loss (2 lines), confusion matrices (2 heatmaps).
  '05-finetune-with-and-without-tpp.ipynb': { figures: 3, scatterTraces: 4, points: 4 * QUICK_FT_EPOCHS, heatmaps: 2, shows: [CHANCE_LINE] },
  // LoRA norms, singular values, attention maps, rank sweep.
  '07-adapter-explorer.ipynb': { figures: 4, shows: [CHANCE_LINE] },
  // File sizes.
  '08-one-backbone-many-sites.ipynb': { figures: 1 },
  // TPP arm minus no TPP, one trace per verdict that occurs (read from the committed CSVs).
  '09-recap.ipynb': { figures: 1 },
  // Validation Dice (with the empty-mask line), per-image Dice histogram (a bar trace per run), HC scatter (identity
  // line); galleries of images with masks (the data, then best and worst cases of each run). How many points the
  // scatter holds depends on the masks the quick runs draw: not counted.
  '10-segmentation.ipynb': {
    figures: 3,
    barTraces: 2,
    galleries: 3,
    shows: [
      { what: 'the empty-mask line in a legend', pattern: /class="legendtext"[^>]*>empty mask</ },
      { what: 'the identity line of the HC scatter in a legend', pattern: /class="legendtext"[^>]*>identity \(y = x\)</ },
    ],
  },
  // The regime map (LoRA, adapter: Δ against the TPP images' distance, a trace per target) and the knee's
  // predicted-against-measured plot, the dose curve and the capacity plot, all read from the committed files; the
  // predictor table.
  '11-will-tpp-help.ipynb': {
    figures: 5,
    shows: [
      { what: 'the dose curve', pattern: /TPP on the target's own images: more TPP training, against no TPP/ },
      { what: 'the capacity plot', pattern: /TPP − no TPP on the small backbone against the larger one/ },
      { what: 'a target in the map\'s legend', pattern: /class="legendtext"[^>]*>pneumoniamnist</ },
      { what: 'the knee prospective test', pattern: /Knee X-rays: predicted \(before\) against measured \(after\)/ },
      { what: 'the predictor against the trivial one', pattern: /trivial: the mean Δ of the other targets/ },
    ],
  },
};

/** The DOM after the page's scripts ran, as headless Chromium serialises it. */
function dumpDom(htmlFile: string): string {
  const profile = tempDir();
  const r = spawnSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
    `--user-data-dir=${profile}`, '--virtual-time-budget=10000', '--dump-dom', `file://${htmlFile}`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 180_000 });
  assert.equal(r.status, 0, `chromium failed: ${r.stderr?.slice(-2000)}`);
  return r.stdout;
}

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

type Output = { output_type: string; name?: string; text?: string[] | string; data?: Record<string, string[] | string> };
const text = (v: string[] | string | undefined) => (Array.isArray(v) ? v.join('') : v ?? '');

const only = process.env.TPP_RENDER_NOTEBOOKS?.split(',').map((s) => s.trim()).filter(Boolean);
const chosen = Object.entries(EXPECTED).filter(([file]) => !only || only.some((p) => file.startsWith(p)));

describe('notebook HTML in a real browser', () => {
  before(() => {
    // npm test installs Jupyter and Chromium first: missing, they fail this test (with the commands), not skip it.
    assert.equal(missingFor(['jupyter', 'chromium']), null);
    writeKernelSpec(LOCAL_JUPYTER_PATH);
  });

  test('every notebook of the table exists, and the table covers every notebook from 04 on', () => {
    const files = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb') && f >= '04');
    assert.deepEqual(Object.keys(EXPECTED).sort(), files.sort());
  });

  for (const [file, expected] of chosen) {
    describe(file, () => {
      let dom = '';
      let outputs: Output[] = [];
      before(() => {
        const dir = tempDir();
        const out = path.join(dir, file);
        const run = runNotebook(path.join(ROOT, 'notebooks', file), out, 900, { TPP_PROFILE: 'quick' });
        assert.ok(run.ok, `${file} failed:\n${run.error}`);
        outputs = (JSON.parse(fs.readFileSync(out, 'utf8')).cells as { outputs?: Output[] }[]).flatMap((c) => c.outputs ?? []);
        assert.equal(renderHtml(out, dir), '');
        dom = dumpDom(path.join(dir, file.replace(/\.ipynb$/, '.html')));
      });

      test('the expected plotly figures are drawn', () => {
        assert.equal(count(dom, /<div id="tpp-plot-[^"]*" class="tpp-plot[ "]/g), expected.figures, 'figure divs');
        // Plotly marks a div it drew into with js-plotly-plot and adds its SVG layers: the bundle loaded offline.
        assert.equal(count(dom, /class="tpp-plot js-plotly-plot"/g), expected.figures, 'figures plotly drew');
        assert.equal(count(dom, /class="plot-container plotly"/g), expected.figures);
        assert.ok(count(dom, /class="main-svg"/g) >= expected.figures);
        if (expected.scatterTraces !== undefined) assert.equal(count(dom, /class="trace scatter[^"]*"/g), expected.scatterTraces, 'scatter traces');
        if (expected.points !== undefined) assert.equal(count(dom, /class="point"/g), expected.points, 'points');
        if (expected.heatmaps !== undefined) assert.equal(count(dom, /class="hm"/g), expected.heatmaps, 'heatmaps');
        if (expected.barTraces !== undefined) assert.equal(count(dom, /class="trace bars"/g), expected.barTraces, 'bar traces');
        if (expected.galleries !== undefined) {
          assert.equal(count(dom, /<div class="tpp-gallery">(?:<div[^>]*>[^<]*<\/div>)?<div[^>]*><figure[^>]*><img src="data:image\/png;base64,/g), expected.galleries, 'galleries with pictures');
        }
        for (const s of expected.shows ?? []) assert.match(dom, s.pattern, `${file} shows ${s.what}`);
      });

      test('no cell shows an error, writes to stderr or prints a warning', () => {
        assert.ok(outputs.length > 3, 'the executed copy has outputs');
        assert.deepEqual(outputs.filter((o) => o.output_type === 'error'), []);
        assert.deepEqual(outputs.filter((o) => o.name === 'stderr').map((o) => text(o.text)), []);
        const printed = outputs.map((o) => text(o.text) + text(o.data?.['text/plain']) + text(o.data?.['text/markdown']));
        assert.deepEqual(printed.filter((t) => /\bwarn(ing)?s?\b/i.test(t)), []);
        assert.equal(count(dom, /<div[^>]*data-mime-type="application\/vnd\.jupyter\.(stderr|error)"/g), 0);
      });
    });
  }
});
