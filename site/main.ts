/**
 * The workshop page: settings from the URL, the backend chosen through the library's `initBackend` (wasm by
 * default, single-threaded, so any static host works), the site's files fetched as bytes, then the lab
 * (site/lab.ts) drawn as it runs. `window.workshop` tells a test (test/workshop.test.ts) where the run stands.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { adapterLabel, escapeHtml, formatSeconds, initBackend, type Figure, type PairedSummary, type TrainProgress } from '../src/core';
import { ASSET_PATHS, BACKBONE, bundledData, cellsCsv, freshMemory, memoryFromAdapter, ownData, runLab, type Cell, type LabAssets, type LabData, type LabResult, type LabView } from './lab';
import { readDroppedFiles, readPickedFiles } from './own-files';
import { DATASETS, METHODS, PAGE_BACKENDS, PROFILES, readSettings, settingsQuery, type LabSettings } from './settings';

declare const Plotly: { react(el: HTMLElement, data: object[], layout?: object, config?: object): Promise<unknown> };

/** What a test reads from the page. */
interface WorkshopState {
  status: 'idle' | 'loading' | 'running' | 'done' | 'stopped' | 'error';
  error?: string;
  backend?: string;
  settings: LabSettings;
  result?: LabResult;
  openedAt: number;
}

const { settings, problems } = readSettings(location.search);
const state: WorkshopState = { status: 'idle', settings, openedAt: performance.now() };
(window as unknown as { workshop: WorkshopState }).workshop = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let controller: AbortController | null = null;
let runStarted = performance.now();
/** Kept after a Stop so that Run continues (site/lab.ts LabMemory); a finished run starts afresh. */
let memory = freshMemory();
let csv = '';

/** Markdown-ish text: **bold** and `code`, escaped. */
function inline(text: string): string {
  return escapeHtml(text).replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>').replace(/`([^`]+)`/g, '<code>$1</code>');
}

function body(n: number): HTMLElement {
  return $(`step-${n}`).querySelector('.body') as HTMLElement;
}

const view: LabView = {
  section(n) {
    $(`step-${n}`).classList.add('active');
    body(n).innerHTML = '';
  },
  text(n, t) {
    const p = document.createElement('p');
    p.innerHTML = inline(t);
    body(n).appendChild(p);
  },
  figure(n, id, fig: Figure) {
    let el = document.getElementById(`fig-${id}`);
    if (!el) {
      el = document.createElement('div');
      el.id = `fig-${id}`;
      el.className = 'figure';
      body(n).appendChild(el);
    }
    // Narrow screens: the legend goes under the chart, so the plot keeps the width.
    const narrow = el.clientWidth < 600;
    const layout = { ...(fig.layout ?? {}), autosize: true, width: undefined, ...(narrow ? { legend: { orientation: 'h', x: 0, y: -0.3, yanchor: 'top' }, margin: { l: 55, r: 10, t: 50, b: 40 } } : {}) };
    if (narrow) {
      const l = layout as Record<string, unknown>;
      l.height = Number(l.height ?? 380) + 60;
      const title = l.title as { text?: string } | string | undefined;
      l.title = { ...(typeof title === 'string' ? { text: title } : title), font: { size: 13 } };
    }
    void Plotly.react(el, fig.data, layout, { responsive: true, displaylogo: false, ...(fig.config ?? {}) });
  },
  html(n, html) {
    const d = document.createElement('div');
    d.innerHTML = html;
    body(n).appendChild(d);
  },
  progress(label, p: TrainProgress | null, done, total) {
    const bar = $<HTMLProgressElement>('progress');
    const within = p ? p.step / Math.max(1, p.totalSteps) : 0;
    bar.value = (done + within) / total;
    // Time left in all: the time so far scaled by the share of runs done (TPP counts as one run; a rough guide).
    const elapsed = (performance.now() - runStarted) / 1000;
    const left = bar.value > 0.05 ? ` · about ${formatSeconds((elapsed * (1 - bar.value)) / bar.value)} left in all` : '';
    $('progress-text').textContent = p ? `${label}: epoch ${p.epoch + 1}/${p.epochs}, step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(4)} · run ${done + 1} of ${total}${left}` : label;
  },
  adapter(bytes) {
    const a = $<HTMLAnchorElement>('download-adapter');
    a.href = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: "application/octet-stream" }));
    a.download = `tpp-${dataName().replace(/\W+/g, '-')}-${settings.method}.safetensors`;
    a.hidden = false;
    a.textContent = `Download the TPP adapter (${(bytes.byteLength / 1024).toFixed(1)} KB, .safetensors)`;
  },
  cells(cells: readonly Cell[], summary: PairedSummary | null) {
    const f = (v: number) => v.toFixed(3);
    const rows = cells.map((c) => `<tr><td>${c.seed}</td><td>${c.arm}</td><td>${f(c.testAuc)}</td><td>${f(c.balancedAccuracy)}</td><td>${f(c.testAccuracy)}</td><td>${f(c.valAuc)}</td><td>${c.bestEpoch}</td><td>${c.seconds.toFixed(1)} s</td></tr>`).join('');
    $('cells').innerHTML = `<div class="scroll"><table><thead><tr><th>seed</th><th>arm</th><th>test AUC</th><th>bal. acc.</th><th>accuracy</th><th>val AUC</th><th>best epoch</th><th>time</th></tr></thead><tbody>${rows}</tbody></table></div>` +
      (summary ? `<p class="verdict">Δ test AUC (same − none): ${summary.mean >= 0 ? '+' : ''}${summary.mean.toFixed(3)}, 95 % CI ${Number.isFinite(summary.low) ? `[${summary.low.toFixed(3)}, ${summary.high.toFixed(3)}]` : 'needs 2 seeds'}: <b>${summary.verdict}</b></p>` : '');
    csv = cellsCsv(settings, dataName(), cells);
    $('csv-buttons').hidden = cells.length === 0;
  },
};

/** Fetch `p` from the site folder, or say how to rebuild it. */
async function get(p: string): Promise<Response> {
  const r = await fetch(p);
  if (!r.ok) throw new Error(`Could not load ${p} from the site (HTTP ${r.status}); rebuild the site with \`npm run build:site\`.`);
  return r;
}

const bytesOf = async (p: string) => new Uint8Array(await (await get(p)).arrayBuffer());
const textOf = async (p: string) => (await get(p)).text();

/** Fetch the lab's files from the site folder. */
async function fetchAssets(): Promise<LabAssets> {
  const [plan, backbone, decoder, contrasts, distances, dose] = await Promise.all([
    textOf(ASSET_PATHS.plan), bytesOf(ASSET_PATHS.backbone), bytesOf(ASSET_PATHS.decoder), textOf(ASSET_PATHS.contrasts), textOf(ASSET_PATHS.distances), textOf(ASSET_PATHS.dose),
  ]);
  return { plan, backbone, decoder, contrasts, distances, dose };
}

/** A TPP adapter file the participant loaded (e.g. from `tpp-lab tpp`): runs start from it instead of running TPP. */
let adapterFile: { name: string; bytes: Uint8Array } | null = null;

/** The participant's own images once dropped or picked (kept in the page only); null: the bundled set of the settings. */
let own: LabData | null = null;

function dataName(): string {
  return own?.name ?? settings.data;
}

/** The run's data: the own images, or the bundled set named in the settings. */
async function labData(): Promise<LabData> {
  return own ?? bundledData(settings.data, await bytesOf(`data/${settings.data}.npz`));
}

/** Take the files of a dropped or picked folder as the run's data, or say what is wrong with them. */
async function useOwnFiles(files: { path: string; bytes: Uint8Array }[]): Promise<void> {
  $('own-status').textContent = `Reading ${files.length} files…`;
  try {
    const { data, skipped } = await ownData(files);
    own = data;
    memory = adapterFile ? memoryFromAdapter(adapterFile.name, adapterFile.bytes) : freshMemory();
    const n = (['train', 'val', 'test'] as const).map((k) => `${k} ${data.splits[k].images.shape[0]}`).join(', ');
    $('own-status').textContent = `Own images: ${data.splits.train.classNames.join(' / ')} (${n}); they stay in this page.` + (skipped.length ? ` Skipped ${skipped.length}: ${skipped.slice(0, 3).join('; ')}${skipped.length > 3 ? '…' : ''}` : '');
    $<HTMLSelectElement>('data').disabled = true;
  } catch (e) {
    $('own-status').textContent = e instanceof Error ? e.message : String(e);
  }
}

async function run(): Promise<void> {
  controller = new AbortController();
  runStarted = performance.now();
  $<HTMLButtonElement>('run').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  state.status = 'loading';
  state.error = undefined;
  try {
    view.progress('loading the data, the backbone and the backend…', null, 0, 1);
    const [assets, data] = await Promise.all([fetchAssets(), labData(), startBackend()]);
    state.status = 'running';
    state.result = await runLab(settings, assets, data, view, controller.signal, memory);
    state.status = 'done';
    memory = adapterFile ? memoryFromAdapter(adapterFile.name, adapterFile.bytes) : freshMemory();
    $('run').textContent = 'Run the lab again';
    const t = state.result.timings;
    const ms = (s: number) => (Number.isFinite(s) ? `${(1000 * s).toFixed(0)} ms` : '–');
    view.progress(`done in ${formatSeconds(t.study)} on ${state.backend}: median step ${ms(t.tppStepMedian)} (TPP, batch 64), ${ms(t.finetuneStepMedian)} (fine-tuning, batch 16)`, null, 1, 1);
  } catch (e) {
    const stopped = controller.signal.aborted;
    state.status = stopped ? 'stopped' : 'error';
    state.error = e instanceof Error ? e.message : String(e);
    $('progress-text').textContent = stopped ? `Stopped after ${memory.cells.length} of the fine-tuning runs${memory.tpp ? ' (TPP done)' : ''}. Continue picks up from there.` : `Error: ${state.error}`;
    if (stopped) $('run').textContent = 'Continue';
    if (!stopped) console.error(e);
  } finally {
    $<HTMLButtonElement>('run').disabled = false;
    $<HTMLButtonElement>('stop').disabled = true;
  }
}

let backendStarted: Promise<void> | null = null;

/** Start the backend named in the settings (once per page: another backend reloads the page with it in the URL). */
function startBackend(): Promise<void> {
  backendStarted ??= (async () => {
    setWasmPaths('tfjs/');
    const report = await initBackend({ backend: settings.backend === 'auto' ? '' : settings.backend, warn: (line) => showNote(line) });
    state.backend = report.name;
    const threads = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated ? 'threads allowed' : 'single-threaded';
    $('backend').textContent = `${report.name}${report.name === 'wasm' ? ` (${threads})` : ''}${report.name === 'webgpu' && report.webgpuAdapter ? ` · ${adapterLabel(report.webgpuAdapter)}` : ''}`;
  })();
  return backendStarted;
}

function showNote(line: string): void {
  const p = document.createElement('p');
  p.className = 'note';
  p.textContent = line;
  $('notes').appendChild(p);
}

/** The settings form, filled from the URL; changing it reloads the page with the new query. */
function setUpForm(): void {
  const fill = (id: string, options: readonly string[], value: string) => {
    const el = $<HTMLSelectElement>(id);
    el.innerHTML = options.map((o) => `<option${o === value ? ' selected' : ''}>${o}</option>`).join('');
  };
  fill('profile', Object.keys(PROFILES), settings.profile);
  fill('data', DATASETS, settings.data);
  fill('method', METHODS, settings.method);
  fill('backend-choice', PAGE_BACKENDS, settings.backend);
  $<HTMLInputElement>('seeds').value = String(settings.seeds);
  $<HTMLInputElement>('labels').value = String(settings.labels);
  $('settings').addEventListener('change', (ev) => {
    if (['own', 'adapter-file'].includes((ev.target as HTMLElement).id)) return; // files stay in the page, not in the link
    const next: LabSettings = {
      profile: $<HTMLSelectElement>('profile').value as LabSettings['profile'],
      data: $<HTMLSelectElement>('data').value as LabSettings['data'],
      method: $<HTMLSelectElement>('method').value as LabSettings['method'],
      backend: $<HTMLSelectElement>('backend-choice').value as LabSettings['backend'],
      seeds: Number($<HTMLInputElement>('seeds').value),
      labels: Number($<HTMLInputElement>('labels').value),
    };
    location.search = settingsQuery(next);
  });
  $('run').addEventListener('click', () => void run());
  $('stop').addEventListener('click', () => controller?.abort());
  $('copy-csv').addEventListener('click', () => {
    void navigator.clipboard?.writeText(csv).then(() => ($('copy-csv').textContent = 'Copied'), () => showNote('The browser refused the clipboard: use "Download CSV".'));
  });
  $('download-csv').addEventListener('click', () => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
    a.download = `workshop-${dataName().replace(/\W+/g, '-')}-${settings.method}.csv`;
    a.click();
  });
  $('share').textContent = location.href;
  $<HTMLInputElement>('own').addEventListener('change', async (ev) => {
    const input = ev.target as HTMLInputElement;
    if (input.files?.length) await useOwnFiles(await readPickedFiles(input.files));
  });
  $<HTMLInputElement>('adapter-file').addEventListener('change', async (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (!f) return;
    adapterFile = { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
    memory = memoryFromAdapter(adapterFile.name, adapterFile.bytes);
    $('own-status').textContent = `TPP adapter ${f.name}: runs start from it (it must be a ${settings.method} adapter of the ${BACKBONE} backbone; the run checks).`;
  });
  document.addEventListener('dragover', (ev) => ev.preventDefault());
  document.addEventListener('drop', async (ev) => {
    ev.preventDefault();
    if (ev.dataTransfer) await useOwnFiles(await readDroppedFiles(ev.dataTransfer));
  });
  for (const p of problems) showNote(p);
}

setUpForm();
void startBackend().catch((e) => showNote(String(e)));
