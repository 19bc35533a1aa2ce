/**
 * The lab the workshop page runs, in the notebooks' order (01 data, 03 methods, 04 TPP, 05-06 fine-tuning with and
 * without TPP, 06/09 the study's answer), on the same library calls the notebooks make (src/core.ts). Nothing here
 * touches the DOM: each step hands its figures and numbers to a `LabView` (site/main.ts draws them), so the order
 * and the numbers can be read top to bottom.
 */
import {
  applyPeft, barChart, batches, capImages, chanceLine, classCounts, classSamples, decodeBackbone, decodeDecoder,
  decodeAdapter, decodeSafetensors, encodeAdapter, finetune, gallery, gridMethod, imageGrid, lineFigure, maeLoss,
  datasetFromImageFiles, fitToBackbone, medmnistSplitsFromBytes, methodParameters, split, type ImageFile, normalizationFrom, numExamples, pairedSentence, pairedSummary,
  parseStudyPlan, peftDiagramSvg, pipelineSvg, reconstructionComparison, subset, targetParameterPretrain,
  type Batch, type Dataset, type Figure, type FinetuneResult, type MedMNISTFlag, type PairedSummary, type StudyPlan,
  type TrainProgress, type ViT,
} from '../src/core';
import { PROFILES, SEGMENTATION_PACKS, type DatasetName, type LabSettings } from './settings';
import { doseNote, regimeMap, studyTable } from './study';

/** The study's backbone: MAE on Tiny-ImageNet photos, never shown a medical image. */
export const BACKBONE = 'imagenet28';

/** The bytes the lab needs besides the data, fetched from the site folder (site/main.ts). */
export interface LabAssets {
  plan: string;
  backbone: Uint8Array;
  decoder: Uint8Array;
  contrasts: string;
  /** The regime map's distances (docs/results/regime-2026-12-06/distances.csv). */
  distances: string;
  /** The regime map's dose axis: longer TPP on a target's own images (docs/results/regime-2026-12-06/dose/contrasts.csv). */
  dose: string;
}

/** The site folder's paths of the assets. */
export const ASSET_PATHS: Readonly<Record<keyof LabAssets, string>> = {
  plan: 'study/plan.json',
  backbone: `data/backbone-${BACKBONE}/backbone.safetensors`,
  decoder: `data/backbone-${BACKBONE}/decoder.safetensors`,
  contrasts: 'study/contrasts.csv',
  distances: 'study/distances.csv',
  dose: 'study/dose-contrasts.csv',
};

/** The labelled data of a run: a bundled set's official splits, or the participant's own images split here. */
export interface LabData {
  /** `breastmnist`, `pneumoniamnist` or `own images`. */
  name: string;
  splits: Record<'train' | 'val' | 'test', Dataset>;
}

/** A bundled MedMNIST set from its .npz bytes (the site's `data/<flag>.npz`). */
export async function bundledData(flag: DatasetName, npz: Uint8Array): Promise<LabData> {
  return { name: flag, splits: await medmnistSplitsFromBytes(npz, flag as MedMNISTFlag) };
}

/**
 * The participant's own images (one folder per class of PNG/JPEG images or DICOM files), never uploaded: converted
 * to 28x28 grey (the bundled backbones' input) and split 70/10/20 stratified by class with seed 0. At least 10 images
 * a class.
 */
export async function ownData(files: readonly ImageFile[]): Promise<{ data: LabData; skipped: string[] }> {
  const { dataset, skipped } = await datasetFromImageFiles(files, { size: 28, channels: 1, source: 'own images', minPerClass: 10 });
  return { data: { name: 'own images', splits: split(dataset, { seed: 0 }) }, skipped };
}

/** The study's two arms the page compares: no TPP, and TPP on the target's own unlabelled training images. */
export const ARMS = ['none', 'same'] as const;

/** One fine-tuning run: a seed and an arm. */
export interface Cell {
  seed: number;
  arm: (typeof ARMS)[number];
  testAuc: number;
  testAccuracy: number;
  balancedAccuracy: number;
  valAuc: number;
  bestEpoch: number;
  steps: number;
  seconds: number;
}

/** Where the lab's output goes. */
export interface LabView {
  /** A step begins: 1 data, 2 backbone and method, 3 TPP, 4 fine-tuning, 5 the study. */
  section(n: number, title: string): void;
  text(n: number, markdownish: string): void;
  figure(n: number, id: string, fig: Figure): void;
  html(n: number, html: string): void;
  /** Training progress of a stage (TPP or one fine-tuning run), `done`/`total` runs so far. */
  progress(label: string, p: TrainProgress | null, done: number, total: number): void;
  /** The TPP adapter file, as the CLI writes it. */
  adapter(bytes: Uint8Array): void;
  cells(cells: readonly Cell[], summary: PairedSummary | null): void;
}

/** What a finished run leaves for the test and the CSV. */
export interface LabResult {
  cells: Cell[];
  summary: PairedSummary;
  majority: number;
  /** Logits of the backbone's own head with the TPP adapter on the first `LOGIT_IMAGES` test images (fewer if the test split is smaller), `[n, classes]` row-major. */
  logits: number[];
  adapterBytes: number;
  /**
   * Seconds: `data` … `study` since the run started; `firstTppStep` likewise, `firstTppStepSinceOpen` since the
   * page opened; `tppStepMedian`, `finetuneStepMedian` the median optimiser step (NaN when none ran, e.g. a continued run's TPP).
   */
  timings: Record<string, number>;
  /** TPP's loss at each optimiser step. */
  tppLosses: number[];
}

/**
 * What a stopped run keeps so that Run continues where it stopped: the TPP adapter and its loss curve once TPP has
 * finished, and every finished fine-tuning run. A run stopped midway starts again from its beginning; each run is
 * fixed by its seed, so continuing gives the numbers an uninterrupted run gives.
 */
export interface LabMemory {
  /** `from`: the adapter file a participant loaded (e.g. written by `tpp-lab tpp`), else TPP ran in this page. */
  tpp?: { adapter: Uint8Array; steps: number[]; epochs: { x: number; y: number }[]; firstStep: number; from?: string };
  cells: Cell[];
  curves: { arm: Cell['arm']; seed: number; x: number[]; y: number[] }[];
}

/** An empty memory (a fresh run). */
export function freshMemory(): LabMemory {
  return { cells: [], curves: [] };
}

/** A memory that starts from a TPP adapter file instead of running TPP (the CLI's format; checked when the run opens it). */
export function memoryFromAdapter(name: string, bytes: Uint8Array): LabMemory {
  return { ...freshMemory(), tpp: { adapter: bytes, steps: [], epochs: [], firstStep: NaN, from: name } };
}

/** How many test images the adapter round-trip check scores. */
export const LOGIT_IMAGES = 8;

/** Run the whole lab. */
export async function runLab(settings: LabSettings, assets: LabAssets, data: LabData, view: LabView, signal: AbortSignal, memory: LabMemory = freshMemory()): Promise<LabResult> {
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const mark = (name: string) => (timings[name] = (performance.now() - t0) / 1000);
  const tppClock = stepClock();
  const ftClock = stepClock();
  const plan = studyRecipe(assets.plan);
  const profile = PROFILES[settings.profile];

  // 1. Data
  view.section(1, 'Data');
  const splits = data.splits;
  const names = splits.train.classNames;
  const counts = (['train', 'val', 'test'] as const).map((s) => ({ name: s, y: classCounts(splits[s]) }));
  view.text(1, `**${data.name}** (${splits.train.modality ?? 'medical images'}), ${names.length} classes: ${names.map((n, i) => `${i} = ${n}`).join(', ')}. ` +
    `Images ${splits.train.images.shape.slice(1).join('×')}; train ${numExamples(splits.train)}, validation ${numExamples(splits.val)}, test ${numExamples(splits.test)}.`);
  view.figure(1, 'balance', barChart(names, counts, { title: 'Class balance by split', yTitle: 'images' }));
  const samples = classSamples(splits.train, 6, { seed: 0 });
  view.html(1, gallery(samples.map((s) => ({ png: imageGrid(s.images, { cols: 6, scale: 3 }), caption: `${s.className}: ${s.total} training images` }))));
  mark('data');

  // 2. Backbone and method
  view.section(2, 'Backbone and method');
  const contents = decodeSafetensors(assets.backbone, 'backbone.safetensors');
  const vit: ViT = decodeBackbone(contents, `${BACKBONE}/backbone.safetensors`);
  const metadata = JSON.parse(contents.metadata.metadata ?? '{}') as Record<string, unknown>;
  const method = gridMethod(settings.method).config;
  const probe = applyPeft(vit, method, { seed: 0 });
  const c = probe.counts();
  probe.dispose();
  const cfg = vit.config;
  view.text(2, `Backbone **${BACKBONE}**: a ViT (${cfg.imageSize}×${cfg.imageSize}×${cfg.channels}, patch ${cfg.patchSize}, dim ${cfg.dim}, ${cfg.depth} blocks) pre-trained with MAE on Tiny-ImageNet photos: it has never seen a medical image. ` +
    `It stays frozen: **${c.backbone.toLocaleString('en-US')}** parameters. The method **${settings.method}** adds **${c.target.toLocaleString('en-US')}** target parameters ` +
    `(${c.percentOfBackbone.toFixed(2)} % of the backbone): TPP pre-trains exactly these; fine-tuning then trains them and a new head.`);
  view.figure(2, 'params', barChart(['backbone (frozen)', `${settings.method} target parameters`], [c.backbone, c.target], { title: 'Parameters: frozen vs trained by TPP', yTitle: 'parameters' }));
  view.html(2, `<div class="svg">${pipelineSvg({ method: settings.method === 'lora' ? 'LoRA' : 'adapter' })}</div>`);
  view.html(2, `<div class="svg">${peftDiagramSvg(methodParameters(vit, [[settings.method, method]]), { depth: cfg.depth })}</div>`);
  mark('backbone');

  // 3. TPP live
  view.section(3, 'TPP: pre-training the target parameters');
  for (const k of ['train', 'val', 'test'] as const) splits[k] = fitToBackbone(splits[k], cfg, true);
  const normalization = normalizationFrom(metadata, splits.train);
  const images = capImages(splits.train, profile.tppImages);
  const mae = await decodeDecoder(assets.decoder, `${BACKBONE}/decoder.safetensors`, vit);
  const totalRuns = 1 + settings.seeds * ARMS.length;
  let logits: number[] = [];
  let adapterBytes: Uint8Array;
  try {
    const noTpp = await maeLoss(mae, images, normalization, { seed: 0 });
    view.text(3, `MAE with the frozen decoder on ${numExamples(images)} unlabelled training images (labels never read), ${profile.tppEpochs} epochs, lr ${plan.tpp.lr}. ` +
      `Masked-patch loss of the backbone alone: **${noTpp.toFixed(4)}** (the dashed line).`);
    const steps: number[] = memory.tpp?.steps ?? [];
    const epochs: { x: number; y: number }[] = memory.tpp?.epochs ?? [];
    const curve = () => lineFigure([
      { name: 'step', x: steps.map((_, i) => i + 1), y: steps },
      { name: 'epoch mean', x: epochs.map((e) => e.x), y: epochs.map((e) => e.y) },
    ], {
      title: 'TPP: masked-patch reconstruction loss', xTitle: 'optimiser step', yTitle: 'MSE, masked patches', references: { lines: [{ y: noTpp, label: 'no TPP' }] },
    });
    view.figure(3, 'tpp-loss', curve());
    if (memory.tpp) view.text(3, memory.tpp.from ? `TPP adapter loaded from **${memory.tpp.from}**: it is used as it is, nothing is trained here.` : 'TPP finished before the stop: its adapter is reused.');
    let last = 0;
    const tpp = memory.tpp
      ? { peft: await decodeAdapter(decodeSafetensors(memory.tpp.adapter, memory.tpp.from ?? 'tpp-adapter.safetensors'), memory.tpp.from ?? 'tpp-adapter.safetensors', vit, { head: false }), metadata: null }
      : await targetParameterPretrain({
      backbone: vit, method, pretext: 'mae', decoder: { name: 'decoder.safetensors', bytes: assets.decoder }, images, normalization, epochs: profile.tppEpochs, lr: plan.tpp.lr, seed: 0, signal,
      metadata: { workshop: true },
      onProgress: (p) => {
        if (p.kind === 'step') {
          if (steps.length === 0) {
            mark('firstTppStep');
            // Seconds since the page was opened (performance.now() counts from navigation).
            timings.firstTppStepSinceOpen = performance.now() / 1000;
          }
          tppClock.tick();
          steps.push(p.loss);
        }
        if (p.kind === 'epoch' && p.epochLoss !== undefined) epochs.push({ x: p.step, y: p.epochLoss });
        view.progress('TPP', p, 0, totalRuns);
        if (performance.now() - last > 400 || p.step === p.totalSteps) {
          last = performance.now();
          view.figure(3, 'tpp-loss', curve());
        }
      },
    });
    try {
      const after = await maeLoss(mae, images, normalization, { seed: 0, hooks: tpp.peft.module.hooks });
      view.text(3, `After TPP the same masks give **${after.toFixed(4)}** (${after < noTpp ? 'lower' : 'not lower'} than ${noTpp.toFixed(4)}); the backbone did not change, only the ${c.target.toLocaleString('en-US')} target parameters.`);
      const shownCount = Math.min(LOGIT_IMAGES, numExamples(splits.test));
      const shown = batches(subset(splits.test, Array.from({ length: shownCount }, (_, i) => i)), shownCount, { normalization }).next().value as Batch;
      try {
        const out = tpp.peft.forward(shown.x);
        logits = Array.from(await out.data());
        out.dispose();
        const rec = await reconstructionComparison(mae, tpp.peft, shown.x, { seed: 0, title: 'Test images: hidden patches filled in without vs with TPP' });
        view.html(3, rec.html);
      } finally {
        shown.x.dispose();
        shown.y.dispose();
      }
      adapterBytes = memory.tpp?.adapter ?? (await encodeAdapter(tpp.peft, tpp.metadata!, false)).bytes;
      memory.tpp ??= { adapter: adapterBytes, steps, epochs, firstStep: timings.firstTppStep };
      if (timings.firstTppStep === undefined) timings.firstTppStep = memory.tpp.firstStep;
      view.adapter(adapterBytes);
    } finally {
      tpp.peft.dispose();
    }
  } finally {
    mae.dispose();
  }
  mark('tpp');

  // 4. Fine-tuning with and without TPP
  view.section(4, 'Fine-tuning with and without TPP');
  const ft = plan.finetune;
  view.text(4, `${settings.labels} labels per class, ${profile.ftEpochs} epochs (best validation epoch kept), batch ${ft.batch}, lr ${ft.lr}, at least ${ft.minSteps} steps an epoch; ` +
    `for each seed the same labelled subset, head and data order in both arms: only the start of the target parameters differs.`);
  const { cells, curves } = memory;
  if (curves.length) view.figure(4, 'val-auc', valFigure(curves));
  if (cells.length) view.cells(cells, null);
  const testCounts = classCounts(splits.test);
  const majority = Math.max(...testCounts) / numExamples(splits.test);
  for (let seed = 0; seed < settings.seeds; seed++) {
    for (const arm of ARMS) {
      if (cells.some((c) => c.seed === seed && c.arm === arm)) continue;
      const started = performance.now();
      // A run stopped midway left a partial curve: it starts again.
      const at = curves.findIndex((c) => c.seed === seed && c.arm === arm);
      if (at >= 0) curves.splice(at, 1);
      const curve = { arm, seed, x: [] as number[], y: [] as number[] };
      curves.push(curve);
      const r: FinetuneResult = await finetune({
        backbone: vit, method, init: arm === 'same' ? { name: 'tpp-adapter.safetensors', bytes: adapterBytes! } : undefined,
        train: splits.train, val: splits.val, test: splits.test, labelBudget: { perClass: settings.labels }, normalization,
        epochs: profile.ftEpochs, batchSize: ft.batch, lr: ft.lr, minStepsPerEpoch: ft.minSteps, seed, signal,
        onProgress: (p) => {
          if (p.kind === 'step') ftClock.tick();
          view.progress(`fine-tune ${arm}, seed ${seed}`, p, 1 + cells.length, totalRuns);
          if (p.kind === 'epoch' && p.metrics?.val_auc !== undefined) {
            curve.x.push(p.epoch + 1);
            curve.y.push(p.metrics.val_auc);
            view.figure(4, 'val-auc', valFigure(curves));
          }
        },
      });
      cells.push({
        seed, arm, testAuc: r.test!.auc, testAccuracy: r.test!.accuracy, balancedAccuracy: r.test!.balanced_accuracy, valAuc: r.val.auc,
        bestEpoch: r.fit.bestEpoch + 1, steps: r.steps, seconds: (performance.now() - started) / 1000,
      });
      r.peft.dispose();
      r.model.dispose();
      view.cells(cells, null);
    }
  }
  const diffs = Array.from({ length: settings.seeds }, (_, s) => cellOf(cells, s, 'same').testAuc - cellOf(cells, s, 'none').testAuc);
  const summary = pairedSummary(diffs);
  view.cells(cells, summary);
  view.text(4, pairedSentence('TPP on the target\'s own images', 'test AUC', summary) +
    ` Majority baseline (always "${splits.test.classNames[testCounts.indexOf(Math.max(...testCounts))]}"): accuracy ${majority.toFixed(3)}, AUC 0.5.`);
  view.figure(4, 'paired', pairedFigure(diffs, summary));
  mark('finetune');

  // 5. The study's answer
  view.section(5, 'What the TPP study found');
  view.html(5, studyTable(assets.contrasts, settings, data.name, summary) + doseNote(assets.dose, profile.tppEpochs));
  view.figure(5, 'regime', regimeMap(assets.contrasts, assets.distances, settings.method));
  view.text(5, 'Each point is one setting of the study (target, TPP images, labels per class): its paired Δ test AUC with the 95 % interval, against how far the TPP images lie from the target in the frozen backbone\'s features (the regime map of notebook 11).');
  mark('study');
  vit.dispose();
  timings.tppStepMedian = tppClock.median();
  timings.finetuneStepMedian = ftClock.median();
  return { cells, summary, majority, logits, adapterBytes: adapterBytes!.byteLength, tppLosses: memory.tpp?.steps ?? [], timings };
}

/** The study's TPP and fine-tuning recipe from its plan.json, validated as the CLI validates it. */
function studyRecipe(text: string): Pick<StudyPlan, 'tpp' | 'finetune'> {
  const plan = parseStudyPlan(text, 'study/plan.json', { isSegmentation: (spec) => SEGMENTATION_PACKS.includes(spec) });
  return { tpp: plan.tpp, finetune: plan.finetune };
}

function cellOf(cells: readonly Cell[], seed: number, arm: Cell['arm']): Cell {
  return cells.find((c) => c.seed === seed && c.arm === arm)!;
}

/** Arm colours: the same in the curves and the legend. */
const ARM_COLOURS: Record<Cell['arm'], string> = { none: '#1f77b4', same: '#ff7f0e' };

/** Validation AUC per epoch of every run, coloured by arm (one legend entry per arm). */
function valFigure(curves: readonly { arm: Cell['arm']; seed: number; x: number[]; y: number[] }[]): Figure {
  const fig = lineFigure(curves.map((c) => ({ name: `${c.arm}, seed ${c.seed}`, x: c.x, y: c.y })), { title: 'Validation AUC while fine-tuning', xTitle: 'epoch', yTitle: 'validation AUC', references: { lines: [chanceLine('auc')] } });
  curves.forEach((c, i) => {
    const trace = fig.data[i] as Record<string, unknown>;
    const first = curves.findIndex((o) => o.arm === c.arm) === i;
    Object.assign(trace, { line: { ...(trace.line as object), color: ARM_COLOURS[c.arm] }, marker: { color: ARM_COLOURS[c.arm] }, legendgroup: c.arm, showlegend: first, name: first ? (c.arm === 'none' ? 'none (no TPP)' : 'same (from TPP)') : trace.name });
  });
  return fig;
}

/**
 * Seconds between consecutive step events, for the median step time a backend gives (the first interval of a run
 * holds the set-up and, on GPU backends, shader compilation, so the median is the fair summary).
 */
function stepClock(): { tick(): void; median(): number } {
  const gaps: number[] = [];
  let last: number | null = null;
  return {
    tick() {
      const now = performance.now();
      if (last !== null) gaps.push((now - last) / 1000);
      last = now;
    },
    median() {
      const s = [...gaps].sort((a, b) => a - b);
      return s.length ? s[Math.floor(s.length / 2)] : NaN;
    },
  };
}

/** Each seed's paired difference and the mean with its 95 % interval. */
function pairedFigure(diffs: readonly number[], s: PairedSummary): Figure {
  const ci = Number.isFinite(s.low) ? { type: 'data', symmetric: false, array: [s.high - s.mean], arrayminus: [s.mean - s.low] } : undefined;
  return {
    data: [
      { type: 'scatter', mode: 'markers', name: 'one seed', x: diffs, y: diffs.map(() => 'seeds'), marker: { size: 10, opacity: 0.7 } },
      { type: 'scatter', mode: 'markers', name: 'mean, 95 % CI', x: [s.mean], y: ['mean'], error_x: ci, marker: { size: 12, symbol: 'diamond', color: '#d62728' } },
    ],
    layout: {
      title: { text: `Δ test AUC (TPP − none): ${s.verdict}` }, height: 260, xaxis: { title: { text: 'with TPP − without, per seed' }, zeroline: true, zerolinewidth: 2 },
      margin: { l: 70, r: 20, t: 50, b: 50 }, showlegend: true, legend: { orientation: 'h', y: -0.35 },
    },
  };
}

/** The cells as CSV (one row per run). */
export function cellsCsv(settings: LabSettings, dataName: string, cells: readonly Cell[]): string {
  const head = 'data,method,profile,labels_per_class,seed,arm,test_auc,test_accuracy,test_balanced_accuracy,val_auc,best_epoch,steps,seconds';
  return [head, ...cells.map((c) => [dataName.replace(/[,\n]/g, ' '), settings.method, settings.profile, settings.labels, c.seed, c.arm, c.testAuc, c.testAccuracy, c.balancedAccuracy, c.valAuc, c.bestEpoch, c.steps, c.seconds.toFixed(2)].join(','))].join('\n') + '\n';
}

export type { Dataset };
