/**
 * `tpp-lab compare` (the grid) and `tpp-lab demo` (the grid with the tutorial's settings on the bundled data).
 */
import * as path from 'path';
import { limit, loadData } from '../../data/load';
import type { SubsampleSpec } from '../../data/splits';
import { openBackbone } from '../../io/backbone';
import { peftConfig, PEFT_METHOD_NAMES, type PeftMethodName } from '../../peft/index';
import { normalizationFrom } from '../../train/common';
import { type Arm, type CompareProgress, methodSizes, runCompare, summarize } from '../../train/compare';
import { PRETEXT_NAMES, type PretextName } from '../../train/pretext';
import { writeCompareReport } from '../../report/compare-report';
import { FlagValues, UsageError } from '../args';
import { Command } from '../command';
import { BACKBONE_FLAG, labelBudgetFromFlag, SPLIT_SEED_FLAG, startBackend } from '../train-shared';

/** Everything a comparison needs, from flags or from the demo's presets. */
export interface CompareSettings {
  data: string;
  other: string[];
  methods: PeftMethodName[];
  arms: string[];
  budgets: SubsampleSpec[];
  seeds: number[];
  /** Seed of the split of data without official splits (DICOM folders, fashion-mnist). */
  splitSeed: number;
  tppEpochs: number;
  tppLr: number;
  tppImages: number;
  pretext: PretextName;
  epochs: number;
  lr: number;
  batch: number;
  patience?: number;
  backbone?: string;
  out: string;
  title: string;
}

function list(text: unknown, what: string): string[] {
  const items = String(text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new UsageError(`--${what} needs at least one value.`);
  return items;
}

function ints(text: unknown, what: string): number[] {
  return list(text, what).map((s) => {
    if (!/^\d+$/.test(s)) throw new UsageError(`--${what} takes whole numbers separated by commas, got "${s}".`);
    return Number(s);
  });
}

/** The demo's grid: small enough for about 10 minutes on 2 cores (quick) or the fuller version (--full). */
export function demoSettings(full: boolean, out: string): CompareSettings {
  return {
    data: 'breastmnist', other: ['pneumoniamnist'], methods: ['lora', 'adapter'], arms: ['none', 'same', 'pneumoniamnist'],
    budgets: full ? [{ perClass: 5 }, { perClass: 10 }, { perClass: 25 }] : [{ perClass: 10 }],
    // Learning rates and epochs were chosen on BreastMNIST's validation split (never its test split).
    seeds: full ? [0, 1, 2, 3, 4] : [0, 1, 2], splitSeed: 0, tppEpochs: full ? 40 : 20, tppLr: 3e-3, tppImages: 546, pretext: 'mae',
    epochs: 40, lr: 3e-3, batch: 10, out, title: full ? 'TPP on BreastMNIST (full demo)' : 'TPP on BreastMNIST (demo)',
  };
}

function settingsFromFlags(flags: FlagValues): CompareSettings {
  if (!flags.data) throw new UsageError('--data is required (the target dataset, e.g. breastmnist).');
  if (!flags.out) throw new UsageError('--out DIR is required.');
  const methods = list(flags.methods, 'methods') as PeftMethodName[];
  for (const m of methods) if (!PEFT_METHOD_NAMES.includes(m)) throw new UsageError(`Unknown method "${m}" in --methods; use ${PEFT_METHOD_NAMES.join(', ')}.`);
  const budgets = list(flags.labels, 'labels').map((t) => {
    const b = labelBudgetFromFlag(t);
    if (!b) throw new UsageError('--labels in compare needs budgets (e.g. 5,10,25 or 0.1), not "all".');
    return b;
  });
  const other = flags.other ? list(flags.other, 'other') : [];
  const arms = flags.arms ? list(flags.arms, 'arms') : ['none', 'same', ...other];
  for (const a of arms) if (a !== 'none' && a !== 'same' && !other.includes(a)) throw new UsageError(`Arm "${a}" is not none, same, or one of --other (${other.join(', ') || 'none given'}).`);
  return {
    data: String(flags.data), other, methods, arms, budgets, seeds: ints(flags.seeds, 'seeds'), splitSeed: flags['split-seed'] as number,
    tppEpochs: flags['tpp-epochs'] as number, tppLr: flags['tpp-lr'] as number, tppImages: flags['tpp-images'] as number,
    pretext: flags.pretext as PretextName, epochs: flags.epochs as number, lr: flags.lr as number, batch: flags.batch as number,
    patience: flags.patience as number | undefined, backbone: flags.backbone as string | undefined, out: path.resolve(String(flags.out)),
    title: `TPP on ${flags.data}`,
  };
}

function progressLine(quiet: boolean): (e: CompareProgress) => void {
  let last = '';
  return (e) => {
    if (quiet || e.train) return;
    const line = `[${e.done}/${e.total}] ${e.phase === 'skip' ? 'done earlier' : e.phase}: ${e.cell}`;
    if (line !== last) console.error(line);
    last = line;
  };
}

/** Run a comparison and write its files; returns the exit code. */
export async function runComparison(s: CompareSettings, flags: { json?: boolean; quiet?: boolean }): Promise<number> {
  const quiet = !!flags.quiet;
  const t0 = Date.now();
  const backend = await startBackend(quiet);
  const { vit, metadata, paths } = await openBackbone(s.backbone);
  try {
    const target = await loadData(s.data, { splitSeed: s.splitSeed, imageSize: vit.config.imageSize, channels: vit.config.channels });
    const normalization = normalizationFrom(metadata, target.train);
    const arms: Arm[] = [];
    for (const a of s.arms) {
      if (a === 'none') arms.push({ name: 'none', label: 'no TPP' });
      else if (a === 'same') arms.push({ name: 'same', images: target.train, label: `${target.name} train images (same modality)` });
      else {
        const other = await loadData(a, { splitSeed: s.splitSeed, imageSize: vit.config.imageSize, channels: vit.config.channels });
        arms.push({ name: a, images: limit(other.train, s.tppImages), label: `${other.name} train images (${other.train.modality ?? 'other data'})` });
      }
    }
    if (s.pretext === 'mae' && !paths.decoder) throw new Error(`The mae pretext needs decoder.safetensors beside ${paths.backbone}.`);
    const methods = s.methods.map((m) => ({ name: m, config: peftConfig(m) }));
    const cells = await runCompare({
      backbone: vit, decoderPath: paths.decoder ?? undefined, normalization, target, methods, arms, budgets: s.budgets, seeds: s.seeds,
      tpp: { epochs: s.tppEpochs, batchSize: 64, lr: s.tppLr, pretext: s.pretext, maxImages: s.tppImages },
      finetune: { epochs: s.epochs, batchSize: s.batch, lr: s.lr, patience: s.patience }, outDir: s.out, onProgress: progressLine(quiet),
    });
    const seconds = (Date.now() - t0) / 1000;
    const settings = {
      title: s.title, target: target.name, modality: target.train.modality ?? null, arms: arms.map((a) => `${a.name}: ${a.label}`).join('; '),
      methods: methods.map((m) => JSON.stringify(m.config)).join('; '), budgets: s.budgets.map((b) => JSON.stringify(b)).join(', '), seeds: s.seeds.join(', '), 'split seed': s.splitSeed,
      tpp: `${s.pretext} pretext, ${s.tppEpochs} epochs, lr ${s.tppLr}, up to ${s.tppImages} images, batch 64`,
      finetune: `${s.epochs} epochs, lr ${s.lr}, batch ${s.batch}, AdamW + warm-up + cosine, best epoch by validation AUC${s.patience !== undefined ? `, patience ${s.patience}` : ''}`,
      backbone: path.relative(process.cwd(), paths.backbone), backend, 'wall time (s)': Math.round(seconds), finished: new Date().toISOString(),
    };
    const files = await writeCompareReport(s.out, cells, settings, methodSizes(vit, methods));
    const rows = summarize(cells);
    if (flags.json) {
      console.log(JSON.stringify({ ...files, seconds, backend, summary: rows }));
      return 0;
    }
    const pad = (x: string, n: number) => x.padEnd(n);
    console.log(`\n${pad('method', 9)}${pad('labels', 10)}${pad('TPP arm', 16)}${pad('test AUC', 17)}${pad('accuracy', 17)}Δ AUC vs none (wins)`);
    for (const r of rows) {
      const delta = r.arm === 'none' ? '' : `${r.delta_auc_mean >= 0 ? '+' : ''}${r.delta_auc_mean.toFixed(3)} ± ${r.delta_auc_std.toFixed(3)} (${r.wins})`;
      console.log(`${pad(r.method, 9)}${pad(r.budget, 10)}${pad(r.arm, 16)}${pad(`${r.auc_mean.toFixed(3)} ± ${r.auc_std.toFixed(3)}`, 17)}${pad(`${r.accuracy_mean.toFixed(3)} ± ${r.accuracy_std.toFixed(3)}`, 17)}${delta}`);
    }
    console.log(`\nReport: ${files.report_html}\nTables: ${files.results_csv}, ${files.summary_csv}\n${cells.length} cells in ${Math.round(seconds)} s on ${backend}.`);
    return 0;
  } finally {
    vit.dispose();
  }
}

export const command: Command = {
  name: 'compare',
  summary: 'Grid of PEFT methods x TPP arms x label budgets x seeds, with an HTML report',
  usage: 'compare --data <target> --out <dir> [--other pneumoniamnist] [--methods lora,adapter] [--labels 5,10] [--seeds 0,1,2] [options]',
  description: 'Arms: none (no TPP), same (TPP on the target\'s own unlabelled training images), and each --other dataset.\nResumable: re-running with the same --out skips finished cells.',
  flags: [
    { name: 'data', type: 'string', value: 'FLAG|FILE|DIR', help: 'target dataset (labels are used for fine-tuning only)' },
    { name: 'out', type: 'string', value: 'DIR', help: 'output folder (cells, TPP adapters, report)' },
    { name: 'other', type: 'string', value: 'LIST', help: 'other datasets to pre-train the target parameters on, comma-separated' },
    { name: 'arms', type: 'string', value: 'LIST', help: 'which arms to run (default: none, same and every --other)' },
    { name: 'methods', type: 'string', value: 'LIST', help: `PEFT methods (defaults of each): ${PEFT_METHOD_NAMES.join(', ')}`, default: 'lora,adapter' },
    { name: 'labels', type: 'string', value: 'LIST', help: 'label budgets: K per class or fractions', default: '10' },
    { name: 'seeds', type: 'string', value: 'LIST', help: 'seeds (label subset, init, data order)', default: '0,1,2' },
    SPLIT_SEED_FLAG,
    { name: 'pretext', type: 'string', choices: PRETEXT_NAMES, help: 'TPP pretext', default: 'mae' },
    { name: 'tpp-epochs', type: 'int', value: 'N', help: 'TPP epochs', default: 20, min: 1 },
    { name: 'tpp-lr', type: 'number', value: 'X', help: 'TPP learning rate', default: 3e-3, exclusiveMin: 0 },
    { name: 'tpp-images', type: 'int', value: 'N', help: 'at most N unlabelled images per TPP arm', default: 546, min: 1 },
    { name: 'epochs', type: 'int', value: 'N', help: 'fine-tuning epochs', default: 40, min: 1 },
    { name: 'lr', type: 'number', value: 'X', help: 'fine-tuning learning rate', default: 3e-3, exclusiveMin: 0 },
    { name: 'batch', type: 'int', value: 'N', help: 'fine-tuning batch size', default: 10, min: 1 },
    { name: 'patience', type: 'int', value: 'N', help: 'early stopping patience (epochs)', min: 1 },
    BACKBONE_FLAG,
    { name: 'json', type: 'boolean', help: 'print one JSON object (files and summary) as the last line' },
    { name: 'quiet', type: 'boolean', help: 'no progress lines' },
  ],
  async run({ flags }) {
    return runComparison(settingsFromFlags(flags), { json: !!flags.json, quiet: !!flags.quiet });
  },
};

export const demoCommand: Command = {
  name: 'demo',
  summary: 'The main job: TPP vs no TPP for LoRA and adapters on BreastMNIST, offline, with a report',
  usage: 'demo [--full] [--out out/demo]',
  description: 'Bundled data and backbone; arms none / same modality (BreastMNIST) / other modality (PneumoniaMNIST);\n10 labels per class, 3 seeds (--full: 5, 10 and 25 labels per class, 5 seeds, longer TPP).',
  flags: [
    { name: 'full', type: 'boolean', help: 'the larger version (takes much longer)' },
    { name: 'out', type: 'string', value: 'DIR', help: 'output folder', default: 'out/demo' },
    { name: 'json', type: 'boolean', help: 'print one JSON object as the last line' },
    { name: 'quiet', type: 'boolean', help: 'no progress lines' },
  ],
  async run({ flags }) {
    const full = !!flags.full;
    const out = path.resolve(String(flags.out) + (full && flags.out === 'out/demo' ? '-full' : ''));
    return runComparison(demoSettings(full, out), { json: !!flags.json, quiet: !!flags.quiet });
  },
};
