/**
 * The interactive path a student takes, in a real browser: the server `npm run notebook` starts (the classic
 * Jupyter Notebook at the repo root with the repo-local kernelspec), headless Chromium (Debian's, driven by
 * playwright-core) opens `notebooks/00-setup.ipynb` through the web UI, runs every cell from the Cell menu, and
 * the outputs must appear: the backend line, the version table and a drawn plotly chart, with no error or stderr
 * output. The notebook is copied under build/ first, so the Notebook's autosave never touches the tutorial.
 * `npm test` installs Jupyter and Chromium first: missing, they fail this test (with the commands), not skip it.
 * Set NOTEBOOK_UI_SCREENSHOT=file.png to keep a screenshot of the executed notebook.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startNotebook, type NotebookServer } from '../kernel-setup/notebook';
import { missingFor } from '../kernel-setup/system';
import { ROOT } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
/** Flags for Debian's chromium here (headless comes from playwright; no sandbox as root, no GPU). */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const NOTEBOOK = path.join(ROOT, 'notebooks', '00-setup.ipynb');

/** A TCP port nobody listens on right now (the server is told not to try others: a clash fails loudly). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('the Notebook web UI runs a tutorial notebook in headless Chromium', { timeout: 600_000 }, () => {
  const token = randomBytes(16).toString('hex');
  const dir = path.join(ROOT, 'build', `notebook-ui-${process.pid}`);
  let server: NotebookServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let consoleErrors: string[] = [];

  before(async () => {
    assert.equal(missingFor(['jupyter', 'chromium']), null);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(NOTEBOOK, path.join(dir, path.basename(NOTEBOOK)));
    const port = await freePort();
    // A private config dir: the user's own Jupyter settings must not change what is tested.
    const config = path.join(dir, 'jupyter-config');
    server = await startNotebook(
      ['--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', `--NotebookApp.token=${token}`],
      { TPP_PROFILE: 'quick', JUPYTER_CONFIG_DIR: config },
    );
    assert.equal(new URL(server.url).port, String(port), server.log());
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const rel = path.relative(ROOT, path.join(dir, path.basename(NOTEBOOK))).split(path.sep).map(encodeURIComponent).join('/');
    await page.goto(`http://127.0.0.1:${port}/notebooks/${rel}?token=${token}`);
    // The kernel named in the notebook (TypeScript (tpp-lab)) has started and is idle.
    await page.waitForSelector('#kernel_indicator_icon.kernel_idle_icon', { timeout: 120_000 });
    consoleErrors = [];
    // Run every cell the way a student does: Cell > Run All.
    await page.click('#celllink');
    await page.click('#run_all_cells > a');
    await page.waitForFunction(
      () => {
        // Done: the kernel is idle, no cell is queued or running, and every cell ran or one showed an error
        // (Run All stops there; the assertions below then name it).
        const prompts = Array.from(document.querySelectorAll('.code_cell .input_prompt')).map((e) => e.textContent ?? '');
        const idle = document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null;
        // tslab shows a thrown error or a type error as stderr text, other kernels as an error output.
        const failed = document.querySelector('.output_error, .output_stderr') !== null;
        return idle && !prompts.some((t) => t.includes('*')) && (failed || (prompts.length > 0 && prompts.every((t) => /\[\d+\]/.test(t))));
      },
      undefined,
      { timeout: 300_000, polling: 500 },
    );
    // Give plotly's drawing (after the output is inserted) a moment to finish before reading the DOM.
    await page.waitForSelector('.output_area .js-plotly-plot .main-svg', { timeout: 30_000 }).catch(() => {});
    const shot = process.env.NOTEBOOK_UI_SCREENSHOT;
    if (shot) await page.screenshot({ path: shot, fullPage: true });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('no error or stderr output, no page error, no dead kernel', async () => {
    const errors = await page.$$eval('.output_error, .output_stderr', (els) => els.map((e) => (e as HTMLElement).innerText));
    assert.deepEqual(errors, []);
    assert.deepEqual(consoleErrors, []);
    assert.equal(await page.locator('.modal-dialog:visible').count(), 0, 'no dialog (e.g. "Kernel died") is open');
  });

  test('every code cell ran, in order', async () => {
    const source = JSON.parse(fs.readFileSync(NOTEBOOK, 'utf8')) as { cells: { cell_type: string }[] };
    const codeCells = source.cells.filter((c) => c.cell_type === 'code').length;
    const prompts = await page.$$eval('.code_cell .input_prompt', (els) => els.map((e) => e.textContent ?? ''));
    assert.deepEqual(prompts.map((t) => Number(/\[(\d+)\]/.exec(t)?.[1])), Array.from({ length: codeCells }, (_, i) => i + 1));
  });

  test('the text outputs appear: the backend line and the version table', async () => {
    const text = await page.$$eval('.output_area', (els) => els.map((e) => (e as HTMLElement).innerText).join('\n'));
    // The quick profile set for the server reached the kernel; the markdown table was rendered as a table.
    assert.match(text, /^backend: (wasm|cpu|webgpu|node|node-gpu) +\(profile: quick\)$/m);
    assert.match(text, /TensorFlow\.js\s+\d+\.\d+\.\d+/);
    assert.ok((await page.locator('.output_area table').count()) >= 1, 'the version table is rendered');
  });

  test('the plotly chart is drawn in the page, with one line of points', async () => {
    assert.equal(await page.locator('.output_area .js-plotly-plot').count(), 1);
    assert.ok((await page.locator('.output_area .js-plotly-plot .main-svg').count()) >= 1);
    assert.equal(await page.locator('.output_area .js-plotly-plot .trace.scatter').count(), 1);
    // Quick profile: three matrix sizes, three points.
    assert.equal(await page.locator('.output_area .js-plotly-plot .trace.scatter .point').count(), 3);
  });
});
