/**
 * An executed notebook, rendered to HTML by nbconvert, drawn by a real browser (Debian's headless `chromium`,
 * through its `--dump-dom` CLI): the plotly charts must be drawn offline with the expected traces and points, and
 * no cell may show an error. Runs `05-finetune-with-and-without-tpp` in the quick profile (about a minute).
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
const NOTEBOOK = path.join(ROOT, 'notebooks', '05-finetune-with-and-without-tpp.ipynb');
/** FT_EPOCHS of that notebook in the quick profile: each learning curve has this many points. */
const QUICK_FT_EPOCHS = 3;


/** The DOM after the page's scripts ran, as headless Chromium serialises it. */
function dumpDom(htmlFile: string): string {
  const profile = tempDir();
  const r = spawnSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
    `--user-data-dir=${profile}`, '--virtual-time-budget=10000', '--dump-dom', `file://${htmlFile}`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 180_000 });
  assert.equal(r.status, 0, `chromium failed: ${r.stderr?.slice(-2000)}`);
  return r.stdout;
}

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('notebook HTML in a real browser', () => {
  let dom = '';
  let executed: { cells: { cell_type: string; outputs?: { output_type: string; name?: string; text?: string[] }[] }[] };

  before(() => {
    // npm test installs Jupyter and Chromium first: missing, they fail this test (with the commands), not skip it.
    assert.equal(missingFor(['jupyter', 'chromium']), null);
    writeKernelSpec(LOCAL_JUPYTER_PATH);
    const dir = tempDir();
    const out = path.join(dir, path.basename(NOTEBOOK));
    const run = runNotebook(NOTEBOOK, out, 900, { TPP_PROFILE: 'quick' });
    assert.ok(run.ok, `the notebook failed:\n${run.error}`);
    executed = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(renderHtml(out, dir), '');
    dom = dumpDom(path.join(dir, path.basename(NOTEBOOK).replace(/\.ipynb$/, '.html')));
  });

  test('every plotly figure is drawn, with the expected traces and points', () => {
    // Three figures: validation AUC (2 lines), training loss (2 lines), confusion matrices (2 heatmaps).
    assert.equal(count(dom, /<div id="tpp-plot-[^"]*" class="tpp-plot[ "]/g), 3);
    // Plotly marks a div it drew into with js-plotly-plot and adds its SVG layers: the bundle loaded offline.
    assert.equal(count(dom, /class="tpp-plot js-plotly-plot"/g), 3);
    assert.equal(count(dom, /class="plot-container plotly"/g), 3);
    assert.ok(count(dom, /class="main-svg"/g) >= 3);
    assert.equal(count(dom, /class="trace scatter[^"]*"/g), 4);
    assert.equal(count(dom, /class="point"/g), 4 * QUICK_FT_EPOCHS);
    assert.equal(count(dom, /class="hm"/g), 2);
  });

  test('no cell shows an error or writes to stderr', () => {
    const outputs = executed.cells.flatMap((c) => c.outputs ?? []);
    assert.deepEqual(outputs.filter((o) => o.output_type === 'error'), []);
    assert.deepEqual(outputs.filter((o) => o.name === 'stderr').map((o) => (o.text ?? []).join('')), []);
    assert.equal(count(dom, /<div[^>]*data-mime-type="application\/vnd\.jupyter\.(stderr|error)"/g), 0);
    assert.ok(outputs.length > 5, 'the executed copy has outputs');
  });
});
