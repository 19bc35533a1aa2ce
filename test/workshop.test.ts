/**
 * The workshop page end to end, as a participant runs it: the site is built (scripts/build-site.ts), served on
 * 127.0.0.1 (scripts/site-server.ts), opened in Debian's Chromium (headless, playwright-core) and the quick profile
 * run on the wasm backend, stopped midway and continued. Then the page is checked against the Node library: the TPP
 * adapter it offers for download, read back here, gives the page's logits on the same test images, and fine-tuning
 * cells (without TPP, and from that adapter) give the page's test AUC for the same settings and seed. Own images
 * (a picked folder) and an adapter made by the CLI run in the page too. A tiny run on
 * WebGL (SwiftShader, Chromium's CPU stand-in for a GPU) checks that training works there and gives wasm's numbers.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as jpeg from 'jpeg-js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { missingFor } from '../kernel-setup/system';
import { buildSite, type SiteBuild } from '../scripts/build-site';
import { serveSite, type SiteServer } from '../scripts/site-server';
import { ARMS, LOGIT_IMAGES, type LabResult } from '../site/lab';
import { PROFILES } from '../site/settings';
import { initBackend, tf } from '../src/backend';
import { encodePng } from '../src/data/formats/png-write';
import { batches, type Batch } from '../src/data/sets/batches';
import { capImages, subset } from '../src/data/sets/dataset';
import { loadMedMNISTSplits } from '../src/io/sources/medmnist';
import { gridMethod } from '../src/grid/methods';
import { openBackbone } from '../src/io/backbone';
import { loadAdapter, readCheckpointInfo } from '../src/io/checkpoint';
import { fileBytes } from '../src/io/stage-files';
import { longerDose, readCsvRows } from '../src/report/study-tables';
import { normalizationFrom } from '../src/train/common';
import { finetune } from '../src/train/finetune';
import { targetParameterPretrain } from '../src/train/tpp';
import { fixture } from './dicom-helpers';
import { ROOT, tempDir } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
/** The study's recipe, which the page reads from the same file. */
const PLAN = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'results', 'study-2026-11-28', 'plan.json'), 'utf8')) as { tpp: { lr: number }; finetune: { batch: number; lr: number; minSteps: number } };
/** The figures the lab draws, by their element id. */
const FIGURES = ['fig-balance', 'fig-params', 'fig-tpp-loss', 'fig-val-auc', 'fig-paired', 'fig-regime'];

/** The page's `window.workshop` state (site/main.ts). */
type WorkshopState = { status: string; error?: string; backend?: string; result?: LabResult };

/** Record `page`'s console errors and uncaught errors in `problems`. */
function watchErrors(page: Page, problems: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

/** Wait until the lab's run has ended (done or error) and return the page's state. */
async function runEnded(page: Page, timeout: number): Promise<WorkshopState> {
  await page.waitForFunction(() => ['done', 'error'].includes((window as unknown as { workshop: WorkshopState }).workshop.status), undefined, { timeout, polling: 500 });
  return page.evaluate(() => (window as unknown as { workshop: WorkshopState }).workshop);
}

/** The site, built once for this file and served on 127.0.0.1: each test below opens its own browser on it. */
let site: SiteBuild;
let server: SiteServer;

before(async () => {
  assert.equal(missingFor(['chromium']), null);
  site = await buildSite(path.join(tempDir('tpp-lab-workshop-site-'), 'site'), { quiet: true });
  server = await serveSite(site.dir);
});

after(async () => {
  await server?.close();
});

describe('workshop page (quick profile, wasm, headless Chromium)', () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const dir = tempDir('tpp-lab-workshop-');
  let result: LabResult;
  let wall = 0;

  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ acceptDownloads: true });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    await initBackend({ backend: 'wasm', warn: () => {} });
  });

  after(async () => {
    await browser?.close();
  });

  test('the site folder holds everything the page loads, and no Tiny-ImageNet images', () => {
    for (const f of ['index.html', 'app.js', 'plotly.min.js', 'tfjs/tfjs-backend-wasm-simd.wasm', 'data/breastmnist.npz', 'data/backbone-imagenet28/decoder.safetensors', 'study/contrasts.csv']) {
      assert.ok(fs.existsSync(path.join(site.dir, f)), `${f} is in the site`);
    }
    const names = fs.readdirSync(site.dir, { recursive: true }).map(String);
    assert.deepEqual(names.filter((n) => /tiny|imagenet.*\.npz|pools/i.test(n)), [], 'no image pool or Tiny-ImageNet file is redistributed');
    assert.ok(!fs.readFileSync(path.join(site.dir, 'index.html'), 'utf8').match(/https?:\/\/(?!creativecommons)/), 'the page loads nothing from another host');
  });

  test('the quick profile runs end to end on wasm and draws every figure, with no console error', { timeout: 240_000 }, async () => {
    const t0 = Date.now();
    await page.goto(`${server.url}?profile=quick&data=breastmnist&method=lora&backend=wasm`);
    await page.click('#run');
    // Stop once two fine-tuning runs have finished (a third is under way), then continue: the finished runs and the
    // TPP adapter are kept, the interrupted run starts again, and the numbers below must still equal Node's.
    await page.waitForFunction(() => document.querySelectorAll('#cells tbody tr').length >= 2, undefined, { timeout: 200_000, polling: 200 });
    await page.click('#stop');
    await page.waitForFunction(() => (window as unknown as { workshop: { status: string } }).workshop.status === 'stopped', undefined, { timeout: 60_000, polling: 100 });
    assert.equal(await page.textContent('#run'), 'Continue');
    await page.click('#run');
    const state = await runEnded(page, 220_000);
    wall = (Date.now() - t0) / 1000;
    assert.equal(state.error, undefined);
    assert.equal(state.status, 'done');
    assert.equal(state.backend, 'wasm');
    assert.match(await page.textContent('#backend') ?? '', /^wasm \(single-threaded\)/);
    result = state.result!;
    const seeds = PROFILES.quick.seeds;
    assert.equal(result.cells.length, seeds * ARMS.length);
    for (const c of result.cells) assert.ok(c.testAuc > 0 && c.testAuc < 1, `cell ${c.arm} seed ${c.seed}: test AUC ${c.testAuc}`);
    assert.equal(result.summary.n, seeds);
    const points = await page.evaluate((ids) => ids.map((id) => {
      const el = document.getElementById(id) as (HTMLElement & { data?: { x?: unknown[] }[] }) | null;
      return el?.data ? el.data.reduce((n, trace) => n + (trace.x?.length ?? 0), 0) : -1;
    }), FIGURES);
    FIGURES.forEach((id, i) => assert.ok(points[i] > 0, `${id} has plotted data (${points[i]} points)`));
    assert.ok(await page.locator('#step-1 img').count() >= 2, 'sample images of each class are shown');
    assert.match(await page.textContent('#step-4') ?? '', /95 % CI/);
    assert.match(await page.textContent('#step-5') ?? '', /no detectable effect/);
    // The dose axis beside the study, counted from the committed dose contrasts the site carries.
    const longer = longerDose(readCsvRows(path.join(ROOT, 'docs/results/regime-2026-12-06/dose/contrasts.csv')));
    assert.match(await page.textContent('#step-5') ?? '', new RegExp(`dose axis trained it longer .* TPP then helped in ${longer.helps} of ${longer.rows.length} settings`));
    assert.deepEqual(problems, []);
    console.log(`# workshop quick profile: ${wall.toFixed(1)} s from opening the page to done, with a stop and a continue (the continued part ${result.timings.study.toFixed(1)} s); site ${(site.bytes / 1e6).toFixed(1)} MB`);
  });

  test('the downloaded TPP adapter, read back in Node, gives the page\'s logits; the results download as CSV', async () => {
    assert.ok(result, 'the run finished');
    const adapterFile = await download(page, '#download-adapter', dir);
    const info = await readCheckpointInfo(adapterFile);
    assert.equal(info.kind, 'adapter');
    assert.equal(info.metadata.stage, 'tpp');
    assert.equal(info.fileBytes, result.adapterBytes);
    const { vit, metadata } = await openBackbone('imagenet28');
    const splits = await loadMedMNISTSplits('breastmnist');
    const normalization = normalizationFrom(metadata, splits.train);
    const peft = await loadAdapter(adapterFile, vit, { head: false });
    const b = batches(subset(splits.test, Array.from({ length: LOGIT_IMAGES }, (_, i) => i)), LOGIT_IMAGES, { normalization }).next().value as Batch;
    const logits = Array.from(await peft.forward(b.x).data());
    tf.dispose([b.x, b.y]);
    peft.dispose();
    vit.dispose();
    assert.equal(logits.length, result.logits.length);
    const worst = Math.max(...logits.map((v, i) => Math.abs(v - result.logits[i])));
    assert.ok(worst <= 1e-4, `largest logit difference page vs Node ${worst}`);
    console.log(`# adapter round trip: ${logits.length} logits, largest difference page vs Node ${worst}`);

    const csv = fs.readFileSync(await download(page, '#download-csv', dir), 'utf8').trim().split('\n');
    assert.equal(csv.length, 1 + result.cells.length);
    const col = csv[0].split(',').indexOf('test_auc');
    assert.deepEqual(csv.slice(1).map((l) => Number(l.split(',')[col])), result.cells.map((c) => c.testAuc));
  });

  test('fine-tuning cells give the page\'s test AUC in Node for the same settings and seed (without TPP and from the downloaded adapter)', async () => {
    assert.ok(result, 'the run finished');
    const adapterFile = path.join(dir, 'tpp-breastmnist-lora.safetensors');
    const { vit, metadata } = await openBackbone('imagenet28');
    const splits = await loadMedMNISTSplits('breastmnist');
    const normalization = normalizationFrom(metadata, splits.train);
    for (const arm of ARMS) {
      const r = await finetune({
        backbone: vit, method: gridMethod('lora').config, init: arm === 'same' ? fileBytes(adapterFile) : undefined, train: splits.train, val: splits.val, test: splits.test,
        labelBudget: { perClass: 10 }, normalization, epochs: PROFILES.quick.ftEpochs, batchSize: PLAN.finetune.batch, lr: PLAN.finetune.lr, minStepsPerEpoch: PLAN.finetune.minSteps, seed: 0,
      });
      const cell = result.cells.find((c) => c.seed === 0 && c.arm === arm)!;
      assert.ok(Math.abs(r.test!.auc - cell.testAuc) <= 1e-5, `arm ${arm} seed 0: test AUC ${r.test!.auc} in Node, ${cell.testAuc} in the page`);
      console.log(`# fine-tuning ${arm}, seed 0: test AUC ${r.test!.auc} in Node, ${cell.testAuc} in the page`);
      r.peft.dispose();
      r.model.dispose();
    }
    vit.dispose();
  });
});

describe('workshop page with the participant\'s own images (tiny profile, wasm)', () => {
  test('a picked folder of PNG, JPEG and DICOM files, one subfolder per class, runs the lab on them', { timeout: 180_000 }, async () => {
    const dir = tempDir('tpp-lab-workshop-own-');
    // 16 images a class in folders named by class: 14 PneumoniaMNIST test images, PNG and JPEG mixed, and 2 real DICOM
    // files (one deflated, one without extension as in a series); plus a truncated DICOM file the page lists as skipped.
    const { test: source } = await loadMedMNISTSplits('pneumoniamnist');
    const root = path.join(dir, 'my-xrays');
    const names = ['normal', 'pneumonia'];
    for (const [k, name] of names.entries()) {
      fs.mkdirSync(path.join(root, name), { recursive: true });
      let written = 0;
      for (let i = 0; written < 14; i++) {
        if (source.labels.data[i] !== k) continue;
        const grey = source.images.data.subarray(i * 784, (i + 1) * 784) as Uint8Array;
        if (written % 2) {
          const rgba = new Uint8Array(784 * 4);
          for (let p = 0; p < 784; p++) rgba.set([grey[p], grey[p], grey[p], 255], 4 * p);
          fs.writeFileSync(path.join(root, name, `${i}.jpg`), jpeg.encode({ data: rgba, width: 28, height: 28 }, 95).data);
        } else fs.writeFileSync(path.join(root, name, `${i}.png`), encodePng({ width: 28, height: 28, channels: 1, data: grey }));
        written++;
      }
    }
    fs.copyFileSync(fixture('CT_small.dcm'), path.join(root, 'normal', 'IM0001'));
    fs.copyFileSync(fixture('MR_small.dcm'), path.join(root, 'normal', 'mr.dcm'));
    fs.copyFileSync(fixture('image_dfl.dcm'), path.join(root, 'pneumonia', 'deflated.dcm'));
    fs.copyFileSync(fixture('MR_small_MONOCHROME1.dcm'), path.join(root, 'pneumonia', 'mono1.dcm'));
    fs.copyFileSync(fixture('CT_small_truncated.dcm'), path.join(root, 'pneumonia', 'cut.dcm'));
    fs.writeFileSync(path.join(root, 'README.txt'), 'not an image');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const problems: string[] = [];
    try {
      const page = await browser.newPage();
      watchErrors(page, problems);
      await page.goto(`${server.url}?profile=tiny&labels=5`);
      await page.setInputFiles('#own', root);
      await page.waitForFunction(() => /^Own images/.test(document.getElementById('own-status')!.textContent ?? ''), undefined, { timeout: 30_000 });
      const status = await page.textContent('#own-status') ?? '';
      assert.match(status, /Own images: normal \/ pneumonia \(train 22, val 4, test 6\); they stay in this page\. Skipped 2: /);
      assert.match(status, /my-xrays\/README\.txt \(not a \.png, \.jpg, \.jpeg or DICOM file\)/);
      assert.match(status, /my-xrays\/pneumonia\/cut\.dcm \(cannot be decoded: DICOM file is truncated/);
      await page.click('#run');
      const state = await runEnded(page, 150_000);
      assert.equal(state.error, undefined);
      assert.match(await page.textContent('#step-1') ?? '', /own images.*2 classes: 0 = normal, 1 = pneumonia/s);
      assert.match(await page.textContent('#step-5') ?? '', /The study did not run own images/);
      assert.equal(state.result!.cells.length, 2);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});

describe('workshop page from a CLI adapter (tiny profile, wasm)', () => {
  test('a TPP adapter file made by the CLI loads in the page and fine-tuning from it gives Node\'s test AUC', { timeout: 180_000 }, async () => {
    const adapter = path.join(ROOT, 'data', 'adapters-imagenet28', 'tpp-breastmnist-lora4.safetensors');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const problems: string[] = [];
    try {
      const page = await browser.newPage();
      watchErrors(page, problems);
      await page.goto(`${server.url}?profile=tiny`);
      await page.setInputFiles('#adapter-file', adapter);
      await page.waitForFunction(() => /^TPP adapter/.test(document.getElementById('own-status')!.textContent ?? ''), undefined, { timeout: 30_000 });
      await page.click('#run');
      const state = await runEnded(page, 150_000);
      assert.equal(state.error, undefined);
      assert.match(await page.textContent('#step-3') ?? '', /TPP adapter loaded from tpp-breastmnist-lora4\.safetensors/);
      assert.deepEqual(state.result!.tppLosses, [], 'no TPP step ran in the page');
      assert.deepEqual(problems, []);

      const { vit, metadata } = await openBackbone('imagenet28');
      const splits = await loadMedMNISTSplits('breastmnist');
      const r = await finetune({
        backbone: vit, method: gridMethod('lora').config, init: fileBytes(adapter), train: splits.train, val: splits.val, test: splits.test, labelBudget: { perClass: 10 },
        normalization: normalizationFrom(metadata, splits.train), epochs: PROFILES.tiny.ftEpochs, batchSize: PLAN.finetune.batch, lr: PLAN.finetune.lr, minStepsPerEpoch: PLAN.finetune.minSteps, seed: 0,
      });
      const cell = state.result!.cells.find((c) => c.arm === 'same')!;
      assert.ok(Math.abs(r.test!.auc - cell.testAuc) <= 1e-5, `from the CLI adapter: test AUC ${r.test!.auc} in Node, ${cell.testAuc} in the page`);
      r.peft.dispose();
      r.model.dispose();
      vit.dispose();
    } finally {
      await browser.close();
    }
  });
});

describe('workshop page on WebGL (SwiftShader, tiny profile)', () => {
  test('training runs on webgl through the project\'s own step and gives Node\'s wasm numbers', { timeout: 240_000 }, async () => {
    // SwiftShader: Chromium's WebGL on the CPU, the stand-in for a laptop's GPU on a machine without one.
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--no-first-run'] });
    const problems: string[] = [];
    try {
      const page = await browser.newPage();
      watchErrors(page, problems);
      await page.goto(`${server.url}?profile=tiny&backend=webgl`);
      await page.click('#run');
      const state = await runEnded(page, 220_000);
      assert.equal(state.error, undefined);
      assert.equal(state.backend, 'webgl');
      assert.match(await page.textContent('#backend') ?? '', /^webgl/);
      assert.deepEqual(problems, []);
      const page_ = state.result!;

      // The same tiny run in Node on wasm.
      const { vit, metadata, paths } = await openBackbone('imagenet28');
      const splits = await loadMedMNISTSplits('breastmnist');
      const normalization = normalizationFrom(metadata, splits.train);
      const method = gridMethod('lora').config;
      const losses: number[] = [];
      const tpp = await targetParameterPretrain({
        backbone: vit, method, pretext: 'mae', decoder: fileBytes(paths.decoder!), images: capImages(splits.train, PROFILES.tiny.tppImages), normalization,
        epochs: PROFILES.tiny.tppEpochs, lr: PLAN.tpp.lr, seed: 0, onProgress: (p) => p.kind === 'step' && losses.push(p.loss),
      });
      const b = batches(subset(splits.test, Array.from({ length: LOGIT_IMAGES }, (_, i) => i)), LOGIT_IMAGES, { normalization }).next().value as Batch;
      const logits = Array.from(await tpp.peft.forward(b.x).data());
      tf.dispose([b.x, b.y]);
      tpp.peft.dispose();
      const r = await finetune({
        backbone: vit, method, train: splits.train, val: splits.val, test: splits.test, labelBudget: { perClass: 10 }, normalization,
        epochs: PROFILES.tiny.ftEpochs, batchSize: PLAN.finetune.batch, lr: PLAN.finetune.lr, minStepsPerEpoch: PLAN.finetune.minSteps, seed: 0,
      });
      const auc = r.test!.auc;
      r.peft.dispose();
      r.model.dispose();
      vit.dispose();

      assert.equal(page_.tppLosses.length, losses.length);
      const lossGap = Math.max(...losses.map((v, i) => Math.abs(v - page_.tppLosses[i])));
      const logitGap = Math.max(...logits.map((v, i) => Math.abs(v - page_.logits[i])));
      const aucGap = Math.abs(auc - page_.cells.find((c) => c.arm === 'none')!.testAuc);
      console.log(`# webgl (SwiftShader) vs Node wasm: TPP loss ${lossGap}, logits ${logitGap}, fine-tuning test AUC ${aucGap}; page ${page_.timings.study.toFixed(1)} s, first TPP step at ${page_.timings.firstTppStep.toFixed(1)} s`);
      assert.ok(lossGap <= 1e-4, `TPP step losses webgl vs wasm differ by ${lossGap}`);
      assert.ok(logitGap <= 1e-4, `logits webgl vs wasm differ by ${logitGap}`);
      assert.ok(aucGap <= 1e-3, `fine-tuning test AUC webgl vs wasm differs by ${aucGap}`);
    } finally {
      await browser.close();
    }
  });
});

/** Click the link or button `selector` and save the file it downloads into `dir`; returns its path. */
async function download(page: Page, selector: string, dir: string): Promise<string> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(dir, d.suggestedFilename());
  await d.saveAs(file);
  return file;
}
