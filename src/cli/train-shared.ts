/**
 * What `tpp-lab pretrain`, `tpp`, `finetune` and `compare` share: their common flags, loading `--data`, the
 * label budget, and a progress printer (stderr, so `--json` output stays clean).
 */
import { isSegmentationData } from '../io/sources/seg-source';
import { SEGMENTATION_BACKBONE } from '../grid/settings';
import { notAFolder } from '../io/run-folder';
import { stageFiles } from '../io/stage-files';
import { startWorkerGradients } from '../parallel/workers';
import * as path from 'path';
import { initBackend } from '../backend';
import type { Dataset } from '../data/sets/dataset';
import type { DicomLoadSummary } from '../io/dicom-dataset';
import type { DataSplits } from '../io/sources/load';
import { checkDicomLoad, openData } from '../io/sources/open';
import { fitImages, type NoteLevel } from '../data/sets/prepare';
import { parseLabelBudget, type SubsampleSpec } from '../data/sets/splits';
import type { ViT } from '../model/vit';
import type { StageRunOptions } from '../train/common';
import { STAGE_DEFAULTS, type StageName } from '../train/defaults';
import type { TrainProgress } from '../train/loop';
import { FlagSpec, FlagValues, maxWorkers, UsageError } from './args';

/** The seed of the train/val/test split of data without official splits (every command that loads data has it). */
export const SPLIT_SEED_FLAG: FlagSpec = {
  name: 'split-seed', type: 'int', value: 'N', default: 0,
  help: 'seed of the train/val/test split of data without official splits (DICOM folders, segmentation data, pools, the fashion-mnist validation slice); --seed never changes it',
};

/** The flags `pretrain`, `tpp` and `finetune` share; epochs, batch and lr default to the library's `STAGE_DEFAULTS[stage]`. */
export function stageFlags(stage: StageName): FlagSpec[] {
  const d = STAGE_DEFAULTS[stage];
  return [
    { name: 'data', type: 'string', value: 'FLAG|FILE|DIR', help: 'MedMNIST flag (breastmnist), .npz file, pool, fashion-mnist, segmentation data (.npz with masks, folder with masks.csv), or a DICOM folder with labels.csv' },
    { name: 'out', type: 'string', value: 'DIR', help: 'output folder (checkpoints, results)' },
    { name: 'epochs', type: 'int', value: 'N', help: 'training epochs', default: d.epochs, min: 1 },
    { name: 'batch', type: 'int', value: 'N', help: 'batch size', default: d.batchSize, min: 1 },
    { name: 'lr', type: 'number', value: 'X', help: 'peak learning rate (AdamW, warm-up then cosine decay)', default: d.lr, exclusiveMin: 0 },
    { name: 'seed', type: 'int', value: 'N', help: 'training seed (label subset, data order, init, masks; not the data split)', default: 0 },
    SPLIT_SEED_FLAG,
    ...COMMON_FLAGS,
  ];
}

const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: 'limit', type: 'int', value: 'N', help: 'use at most N training images (quick runs; read before decoding where the format allows)', min: 1 },
  { name: 'convert', type: 'boolean', help: 'resize images and convert channels to fit the backbone' },
  { name: 'resume', type: 'boolean', help: 'continue from the checkpoint in --out' },
  { name: 'force', type: 'boolean', help: 'overwrite an earlier run\'s files in --out (default: refuse)' },
  { name: 'json', type: 'boolean', help: 'print one JSON object with the results as the last line' },
  { name: 'quiet', type: 'boolean', help: 'no progress lines' },
  { name: 'strict', type: 'boolean', help: 'DICOM folder: fail if any file fails to read, a CSV row has no file, or a file has no row' },
];

/** `--workers`: 1 to `maxWorkers()` (4 x the cores). */
export const WORKERS_FLAG: FlagSpec = { name: 'workers', type: 'int', value: 'N', help: 'split each batch over N worker threads (wasm: one core each)', default: 1, min: 1, max: maxWorkers().max, maxReason: maxWorkers().reason };

/** `--mask-ratio` of the MAE pretext: strictly between 0 and 1 (0 masks nothing and 1 leaves nothing to see). */
export const MASK_RATIO_FLAG: FlagSpec = { name: 'mask-ratio', type: 'number', value: 'R', help: 'MAE pretext: fraction of patches masked', default: 0.75, exclusiveMin: 0, exclusiveMax: 1 };

export const BACKBONE_FLAG: FlagSpec = { name: 'backbone', type: 'string', value: 'DIR|FILE', help: 'backbone folder, .safetensors file, or a bundled name: fashion28 (default), imagenet28, imagenet28-small7, imagenet64 (default for segmentation data)' };

/** The backbone `--backbone` names; absent, the bundled segmentation backbone for segmentation data, else the default one. */
export function backboneSpec(flags: FlagValues): string | undefined {
  if (flags.backbone !== undefined) return String(flags.backbone);
  return flags.data !== undefined && isSegmentationData(String(flags.data)) ? SEGMENTATION_BACKBONE : undefined;
}

/**
 * `openData` with the flags: `--data`, `--split-seed`, `--limit` (training images), `--convert` and `--strict`;
 * images fitted to `fit` when given. Notes go to stderr (warnings always, the rest unless `--quiet`).
 */
export async function dataFromFlags(flags: FlagValues, fit?: Pick<ViT, 'config'>): Promise<DataSplits> {
  if (!flags.data) throw new UsageError('--data is required (e.g. --data breastmnist).');
  return openData(String(flags.data), {
    splitSeed: Number(flags['split-seed'] ?? 0), limit: flags.limit as number | undefined, strict: !!flags.strict,
    fit: fit ? { config: fit.config, convert: !!flags.convert } : undefined, onNote: notePrinter(!!flags.quiet),
  });
}

/** Print the data opener's notes on stderr: warnings always, the rest unless `quiet`. */
export function notePrinter(quiet: boolean): (text: string, level: NoteLevel) => void {
  return (text, level) => {
    if (level === 'warning' || !quiet) console.error(`note: ${text}`);
  };
}

/** `fitToBackbone`, saying on stderr what `convert` did to the images (unless quiet); for the grid's TPP pools. */
export function fitWithNote(ds: Dataset, config: ViT['config'], convert: boolean, quiet: boolean): Dataset {
  return fitImages(ds, { config, convert }, notePrinter(quiet));
}

/** Print a DICOM folder's load summary as `openData` does (for the grid's callers until they use `openData`). */
export function reportDicomLoad(folder: string, summary: DicomLoadSummary, flags: FlagValues): void {
  checkDicomLoad(folder, summary, { strict: !!flags.strict, onNote: notePrinter(!!flags.quiet) });
}

/** `--labels 10` → 10 per class; `--labels 0.1` → 10 % of each class; `all` or absent → every label. */
export function labelBudgetFromFlag(text: unknown): SubsampleSpec | undefined {
  try {
    return parseLabelBudget(text === undefined ? undefined : String(text));
  } catch (e) {
    throw new UsageError(`--labels: ${(e as Error).message}`);
  }
}

/** Check required flags before any slow work, so a typo fails at once (exit code 2). */
export function requireFlags(flags: FlagValues, names: string[]): void {
  for (const n of names) if (flags[n] === undefined || flags[n] === '') throw new UsageError(`--${n} is required${n === 'data' ? ' (e.g. --data breastmnist)' : n === 'out' ? ': checkpoints and results go there' : ''}.`);
}

/**
 * The run settings every stage takes, from `stageFlags`: epochs, batch, lr, seed, the `--out` folder as the stage's
 * files, `--resume`, progress, and the worker threads' starter (for `--workers`).
 */
export function stageRunFromFlags(flags: FlagValues): Required<Pick<StageRunOptions, 'epochs' | 'batchSize' | 'lr' | 'seed' | 'files' | 'resume' | 'onProgress'>> & { startWorkers: typeof startWorkerGradients } {
  return {
    epochs: flags.epochs as number, batchSize: flags.batch as number, lr: flags.lr as number, seed: flags.seed as number,
    files: stageFiles(outDir(flags)), resume: !!flags.resume, onProgress: progressPrinter(!!flags.quiet), startWorkers: startWorkerGradients,
  };
}

/** Resolve `--out` (required) to an absolute folder. */
export function outDir(flags: FlagValues): string {
  if (!flags.out) throw new UsageError('--out DIR is required: checkpoints and results go there.');
  const problem = notAFolder(String(flags.out));
  if (problem) throw new UsageError(problem);
  return path.resolve(String(flags.out));
}

function clock(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')}`;
}

/** A progress printer: one line per epoch, plus a step line at most every 5 s (stderr). */
export function progressPrinter(quiet: boolean): (p: TrainProgress) => void {
  let last = 0;
  return (p) => {
    if (quiet) return;
    if (p.kind === 'resume') {
      console.error(`[${p.stage}] resuming after epoch ${p.epoch} (step ${p.step})`);
      return;
    }
    const now = Date.now();
    if (p.kind === 'step' && now - last < 5000) return;
    last = now;
    const metrics = p.metrics ? Object.entries(p.metrics).map(([k, v]) => ` ${k} ${v.toFixed(4)}`).join('') : '';
    const head = `[${p.stage}] epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.totalSteps}`;
    console.error(`${head} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} ${Math.round(p.imagesPerSecond)} img/s${p.kind === 'step' ? ` eta ${clock(p.etaSeconds)}` : ''}${metrics}`);
  };
}

/** Start the backend and say which one in progress output. */
export async function startBackend(quiet: boolean): Promise<string> {
  const b = await initBackend();
  if (!quiet) console.error(`backend: ${b.name}`);
  return b.name;
}
