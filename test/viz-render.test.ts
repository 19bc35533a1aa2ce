/**
 * Figures render offline in a real browser: a page made by `pageHtml` (plotly bundle inlined, no CDN) is loaded
 * in headless Chromium (Debian package `chromium`) and the drawn SVG is counted. Without Chromium it fails, naming
 * the commands that install it (`npm test` installs it first).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { barChart, lossCurve } from '../src/viz/charts';
import { figureHtml, pageHtml } from '../src/viz/plotly';
import { missingFor } from '../kernel-setup/system';
import { tempDir } from './helpers';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

describe('figures in headless Chromium', () => {
  test('a bar chart and a loss curve are drawn from the inlined bundle', () => {
    assert.equal(missingFor(['chromium']), null);
    assert.ok(CHROMIUM, 'chromium is installed but neither /usr/bin/chromium nor /usr/bin/chromium-browser exists');
    const dir = tempDir();
    const file = path.join(dir, 'page.html');
    const bars = barChart(['a', 'b', 'c'], [1, 10, 100], { logY: true });
    const curve = lossCurve({ steps: Array.from({ length: 40 }, (_, i) => ({ step: i + 1, loss: 1 / (i + 1) })) });
    fs.writeFileSync(file, pageHtml('render check', figureHtml(bars, { id: 'bars' }) + figureHtml(curve, { id: 'curve' })));
    const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
      `--user-data-dir=${path.join(dir, 'profile')}`, '--virtual-time-budget=10000', '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 90000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr);
    const dom = r.stdout;
    const at = dom.indexOf('id="curve"');
    assert.ok(at > 0, 'the page holds both figures');
    const [bars_, curve_] = [dom.slice(0, at), dom.slice(at)];
    assert.ok(/class="main-svg"/.test(bars_) && /class="main-svg"/.test(curve_), 'plotly drew both figures as SVG');
    assert.equal(bars_.match(/<g class="point">/g)?.length, 3, 'three bars');
    // each line trace draws one js-line in the plot and one in its legend entry
    assert.equal(curve_.match(/class="js-line"/g)?.length, 4, 'raw and smoothed loss lines');
  });
});
