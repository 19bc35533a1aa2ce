/**
 * What `tpp-lab pretrain`, `tpp`, `finetune` and `compare` share: their common flags, resolving `--backbone`
 * and `--method`, loading `--data`, and a progress printer (stderr, so `--json` output stays clean).
 */
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../backend';
import type { Dataset } from '../data/dataset';
import { loadBackbone, readCheckpointInfo } from '../io/checkpoint';
import type { ViT } from '../model/vit';
import { peftConfig, PEFT_METHOD_NAMES, type PeftConfig, type PeftMethodName } from '../peft/index';
import { fitToBackbone, limit, loadData, type DataSplits } from '../train/data';
import type { TrainProgress } from '../train/loop';
import { FlagSpec, FlagValues, UsageError } from './args';

/** The backbone shipped in data/ (MAE-pretrained on Fashion-MNIST; see data/backbone-tutorial/README.md). */
export const BUNDLED_BACKBONE_DIR = path.resolve(__dirname, '..', '..', 'data', 'backbone-tutorial');

export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: 'data', type: 'string', value: 'FLAG|FILE|DIR', help: 'MedMNIST flag (breastmnist), .npz file, fashion-mnist, or a DICOM folder with labels.csv' },
  { name: 'out', type: 'string', value: 'DIR', help: 'output folder (checkpoints, results)' },
  { name: 'epochs', type: 'int', value: 'N', help: 'training epochs' },
  { name: 'batch', type: 'int', value: 'N', help: 'batch size' },
  { name: 'lr', type: 'number', value: 'X', help: 'peak learning rate (AdamW, warm-up then cosine decay)' },
  { name: 'seed', type: 'int', value: 'N', help: 'random seed (data order, init, masks)', default: 0 },
  { name: 'limit', type: 'int', value: 'N', help: 'use at most N training images (quick runs)' },
  { name: 'convert', type: 'boolean', help: 'resize images and convert channels to fit the backbone' },
  { name: 'resume', type: 'boolean', help: 'continue from the checkpoint in --out' },
  { name: 'force', type: 'boolean', help: 'overwrite an earlier run\'s files in --out (default: refuse)' },
  { name: 'json', type: 'boolean', help: 'print one JSON object with the results as the last line' },
  { name: 'quiet', type: 'boolean', help: 'no progress lines' },
];

export const BACKBONE_FLAG: FlagSpec = { name: 'backbone', type: 'string', value: 'DIR|FILE', help: `backbone folder or .safetensors file (default: the bundled one)` };

export const METHOD_FLAGS: readonly FlagSpec[] = [
  { name: 'method', type: 'string', choices: PEFT_METHOD_NAMES, help: 'PEFT method', default: 'lora' },
  { name: 'rank', type: 'int', value: 'R', help: 'LoRA rank (default 4)' },
  { name: 'alpha', type: 'number', value: 'A', help: 'LoRA alpha (scale alpha/rank; default = rank)' },
  { name: 'targets', type: 'string', value: 'LIST', help: 'LoRA/SSF target modules, comma-separated (e.g. q,v or qkv,fc1)' },
  { name: 'bottleneck', type: 'int', value: 'N', help: 'adapter bottleneck width (default 8)' },
  { name: 'style', type: 'string', choices: ['parallel', 'sequential'], help: 'adapter style (default parallel)' },
  { name: 'prompts', type: 'int', value: 'N', help: 'prompt tokens (default 8)' },
  { name: 'depth', type: 'string', choices: ['shallow', 'deep'], help: 'prompt depth (default shallow)' },
];

/** A PEFT config from `--method` and its option flags (flags of other methods are an error). */
export function methodFromFlags(flags: FlagValues): PeftConfig {
  const method = String(flags.method ?? 'lora') as PeftMethodName;
  const owned: Record<string, PeftMethodName[]> = { rank: ['lora'], alpha: ['lora'], targets: ['lora', 'ssf'], bottleneck: ['adapter'], style: ['adapter'], prompts: ['prompt'], depth: ['prompt'] };
  for (const [flag, methods] of Object.entries(owned)) {
    if (flags[flag] !== undefined && !methods.includes(method)) throw new UsageError(`--${flag} applies to ${methods.join('/')}, not to --method ${method}.`);
  }
  const o: Record<string, unknown> = {};
  if (flags.rank !== undefined) {
    o.rank = flags.rank;
    o.alpha = flags.alpha ?? flags.rank;
  } else if (flags.alpha !== undefined) o.alpha = flags.alpha;
  if (flags.targets !== undefined) o.targets = String(flags.targets).split(',').map((s) => s.trim()).filter(Boolean);
  if (flags.bottleneck !== undefined) o.bottleneck = flags.bottleneck;
  if (flags.style !== undefined) o.style = flags.style;
  if (flags.prompts !== undefined) o.tokens = flags.prompts;
  if (flags.depth !== undefined) o.depth = flags.depth;
  try {
    return peftConfig(method, o as never);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Paths of a backbone given as a folder or a file; the decoder is looked for beside it. */
export function backbonePaths(spec: string | undefined): { backbone: string; decoder: string | null } {
  const given = spec ?? BUNDLED_BACKBONE_DIR;
  const isDir = fs.existsSync(given) && fs.statSync(given).isDirectory();
  const backbone = isDir ? path.join(given, 'backbone.safetensors') : given;
  if (!fs.existsSync(backbone)) {
    throw new Error(spec ? `No backbone at ${backbone}. Pass a folder written by \`tpp-lab pretrain --out DIR\` or its backbone.safetensors.` : `The bundled backbone is missing at ${backbone}; is the checkout complete?`);
  }
  const decoder = path.join(path.dirname(backbone), 'decoder.safetensors');
  return { backbone, decoder: fs.existsSync(decoder) ? decoder : null };
}

/** Load a backbone and its metadata (normalisation of its pre-training pool). */
export async function openBackbone(spec: string | undefined): Promise<{ vit: ViT; metadata: Record<string, unknown>; paths: ReturnType<typeof backbonePaths> }> {
  const paths = backbonePaths(spec);
  const info = await readCheckpointInfo(paths.backbone);
  if (info.kind !== 'backbone') throw new Error(`${paths.backbone} is a ${info.kind} file, not a backbone.`);
  return { vit: await loadBackbone(paths.backbone), metadata: info.metadata, paths };
}

/** Load `--data`, apply `--limit` to the training split, and fit images to `config` (with `--convert`). */
export async function dataFromFlags(flags: FlagValues, fit?: ViT): Promise<DataSplits> {
  if (!flags.data) throw new UsageError('--data is required (e.g. --data breastmnist).');
  const splits = await loadData(String(flags.data), { seed: Number(flags.seed ?? 0), imageSize: fit?.config.imageSize, channels: fit?.config.channels });
  const conv = (ds: Dataset) => (fit ? fitToBackbone(ds, fit.config, !!flags.convert) : ds);
  return { name: splits.name, train: conv(limit(splits.train, flags.limit as number | undefined)), val: conv(splits.val), test: conv(splits.test) };
}

/** Check required flags before any slow work, so a typo fails at once (exit code 2). */
export function requireFlags(flags: FlagValues, names: string[]): void {
  for (const n of names) if (flags[n] === undefined || flags[n] === '') throw new UsageError(`--${n} is required${n === 'data' ? ' (e.g. --data breastmnist)' : n === 'out' ? ': checkpoints and results go there' : ''}.`);
}

/** Resolve `--out` (required) to an absolute folder. */
export function outDir(flags: FlagValues): string {
  if (!flags.out) throw new UsageError('--out DIR is required: checkpoints and results go there.');
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
