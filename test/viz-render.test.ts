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
import { chanceLine } from '../src/viz/references';
import { lineFigure } from '../src/viz/run-figures';
import { readPlotlyBundle } from '../src/io/plotly-bundle';
import { figureHtml, pageHtml } from '../src/viz/plotly';
import { missingFor } from '../kernel-setup/system';
import { tempDir } from './helpers';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

/** The DOM of a page of figures after plotly has drawn them in headless Chromium. */
function renderedDom(body: string): string {
  assert.equal(missingFor(['chromium']), null);
  assert.ok(CHROMIUM, 'chromium is installed but neither /usr/bin/chromium nor /usr/bin/chromium-browser exists');
  const dir = tempDir();
  const file = path.join(dir, 'page.html');
  fs.writeFileSync(file, pageHtml('render check', body, readPlotlyBundle));
  const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
    `--user-data-dir=${path.join(dir, 'profile')}`, '--virtual-time-budget=10000', '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 90000, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('figures in headless Chromium', () => {
  test('a bar chart and a loss curve are drawn from the inlined bundle', () => {
    const bars = barChart(['a', 'b', 'c'], [1, 10, 100], { logY: true });
    const curve = lossCurve({ steps: Array.from({ length: 40 }, (_, i) => ({ step: i + 1, loss: 1 / (i + 1) })) });
    const dom = renderedDom(figureHtml(bars, { id: 'bars' }) + figureHtml(curve, { id: 'curve' }));
    const at = dom.indexOf('id="curve"');
    assert.ok(at > 0, 'the page holds both figures');
    const [bars_, curve_] = [dom.slice(0, at), dom.slice(at)];
    assert.ok(/class="main-svg"/.test(bars_) && /class="main-svg"/.test(curve_), 'plotly drew both figures as SVG');
    assert.equal(bars_.match(/<g class="point">/g)?.length, 3, 'three bars');
    // each line trace draws one js-line in the plot and one in its legend entry
    assert.equal(curve_.match(/class="js-line"/g)?.length, 4, 'raw and smoothed loss lines');
  });

  test('log ticks are drawn as given (no bare minor digits); a chance line lands inside the y range', () => {
    const bars = barChart(['a', 'b', 'c'], [3, 300, 30000], { logY: true });
    const auc = lineFigure([{ name: 'val AUC', x: [1, 2, 3], y: [0.8, 0.85, 0.9] }], { references: { lines: [chanceLine('auc')] } });
    const dom = renderedDom(figureHtml(bars, { id: 'bars' }) + figureHtml(auc, { id: 'auc' }));
    const at = dom.indexOf('id="auc"');
    const ticks = [...dom.slice(0, at).matchAll(/class="ytick"[^>]*>.*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    assert.ok(ticks.includes('100') && ticks.includes('10k'), `y ticks drawn: ${ticks.join(' ')}`);
    assert.ok(ticks.every((t) => !/^[2-9]$/.test(t) || t === '2' || t === '5'), `no bare minor digits: ${ticks.join(' ')}`);
    const auc_ = dom.slice(at);
    assert.match(auc_, /class="legendtext"[^>]*>chance \(AUC 0\.5\)</, 'the chance line is named in the legend');
    assert.equal(auc_.match(/<g class="shape-group" data-index="\d+"[^>]*><path /g)?.length, 1, 'one line shape drawn');
    const yTicks = [...auc_.matchAll(/class="ytick"[^>]*>.*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => Number(m[1]));
    assert.ok(Math.min(...yTicks) <= 0.5, `the y range reaches the chance line: ticks ${yTicks.join(' ')}`);
  });
});
