/**
 * The experiment runner behind `tpp-lab compare` and `npm run demo`: a grid of PEFT methods x TPP arms x label
 * budgets x seeds on one target dataset. An arm says what the target parameters were pre-trained on before
 * fine-tuning: `none` (the method's usual random/zero init), `same` (the target's own unlabelled training images)
 * or another dataset (a different modality). Fine-tuning in every arm uses the same labelled subset, head init and
 * data order for a given seed, so `arm - none` per seed is a paired difference.
 *
 * Resumable: each TPP adapter and each finished cell is written atomically under `outDir`, and a re-run skips
 * what exists (a cell is only written once complete).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Normalization } from '../data/batches';
import type { Dataset } from '../data/dataset';
import { limit } from '../data/load';
import type { SubsampleSpec } from '../data/splits';
import { writeFileAtomic } from '../io/safetensors';
import type { ViT } from '../model/vit';
import { applyPeft, type PeftConfig } from '../peft/index';
import { finetune } from './finetune';
import type { EpochRecord, TrainProgress } from './loop';
import type { PretextName } from './pretext';
import { targetParameterPretrain } from './tpp';
import { meanStd, pairedSummary } from '../analysis/paired';

/** One TPP arm: `none`, or pre-training on `images` (named `name`, e.g. `same` or `other`). */
export interface Arm {
  name: string;
  /** Unlabelled images for TPP; absent for the `none` arm. */
  images?: Dataset;
  /** Human-readable description, e.g. `breastmnist (ultrasound)`. */
  label: string;
}

export interface CompareGrid {
  backbone: ViT;
  /** The decoder file for the MAE pretext. */
  decoderPath?: string;
  normalization: Normalization;
  target: { name: string; train: Dataset; val: Dataset; test: Dataset };
  methods: { name: string; config: PeftConfig }[];
  arms: Arm[];
  budgets: SubsampleSpec[];
  seeds: number[];
  tpp: { epochs: number; batchSize: number; lr: number; pretext: PretextName; maxImages?: number };
  finetune: { epochs: number; batchSize: number; lr: number; patience?: number };
  outDir: string;
  signal?: AbortSignal;
  onProgress?: (e: CompareProgress) => void;
}

/** Progress of the grid: one event per phase start and per training progress event inside it. */
export interface CompareProgress {
  phase: 'tpp' | 'finetune' | 'skip';
  cell: string;
  done: number;
  total: number;
  train?: TrainProgress;
}

/** One finished cell of the grid. */
export interface CellResult {
  method: string;
  arm: string;
  budget: string;
  seed: number;
  trainExamples: number;
  targetParameters: number;
  accuracy: number;
  balanced_accuracy: number;
  auc: number;
  f1: number;
  val_auc: number;
  bestEpoch: number;
  seconds: number;
  /** Validation AUC per epoch (learning curve). */
  curve: number[];
  tppSeconds: number | null;
  tppFinalLoss: number | null;
}

/** `10/class` or `10%`. */
export function budgetLabel(b: SubsampleSpec): string {
  return 'perClass' in b ? `${b.perClass}/class` : `${Math.round(b.fraction * 1000) / 10}%`;
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** Run (or resume) the grid; returns every cell, in grid order. */
export async function runCompare(grid: CompareGrid): Promise<CellResult[]> {
  fs.mkdirSync(path.join(grid.outDir, 'cells'), { recursive: true });
  const cells: CellResult[] = [];
  const total = grid.methods.length * grid.arms.length * grid.budgets.length * grid.seeds.length;
  let done = 0;
  const emit = grid.onProgress ?? (() => {});
  for (const method of grid.methods) {
    for (const seed of grid.seeds) {
      for (const arm of grid.arms) {
        // TPP once per (method, arm, seed); every budget fine-tunes from it.
        let adapter: string | undefined;
        let tppSeconds: number | null = null;
        let tppFinalLoss: number | null = null;
        const cellKeys = grid.budgets.map((b) => `${method.name}__${arm.name}__${safe(budgetLabel(b))}__s${seed}`);
        const pending = cellKeys.filter((k) => !fs.existsSync(path.join(grid.outDir, 'cells', `${k}.json`)));
        if (arm.images && pending.length) {
          const dir = path.join(grid.outDir, 'tpp', `${method.name}__${arm.name}__s${seed}`);
          adapter = path.join(dir, 'adapter.safetensors');
          const summaryFile = path.join(dir, 'tpp.json');
          if (!fs.existsSync(summaryFile)) {
            emit({ phase: 'tpp', cell: `${method.name} / tpp on ${arm.label} / seed ${seed}`, done, total });
            const t0 = Date.now();
            const r = await targetParameterPretrain({
              backbone: grid.backbone, method: method.config, pretext: grid.tpp.pretext, decoderPath: grid.decoderPath,
              images: limit(arm.images, grid.tpp.maxImages), normalization: grid.normalization, epochs: grid.tpp.epochs,
              batchSize: grid.tpp.batchSize, lr: grid.tpp.lr, seed, outDir: dir, resume: true, signal: grid.signal,
              onProgress: (p) => emit({ phase: 'tpp', cell: `${method.name} / ${arm.name} / seed ${seed}`, done, total, train: p }),
              metadata: { arm: arm.name, armLabel: arm.label },
            });
            const summary = { seconds: (Date.now() - t0) / 1000, finalLoss: r.fit.history[r.fit.history.length - 1]?.loss ?? null };
            r.peft.dispose();
            await writeFileAtomic(summaryFile, Buffer.from(JSON.stringify(summary, null, 1)));
          }
          const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
          tppSeconds = summary.seconds;
          tppFinalLoss = summary.finalLoss;
        }
        for (let bi = 0; bi < grid.budgets.length; bi++) {
          const budget = grid.budgets[bi];
          const file = path.join(grid.outDir, 'cells', `${cellKeys[bi]}.json`);
          const label = `${method.name} / ${arm.name} / ${budgetLabel(budget)} / seed ${seed}`;
          if (fs.existsSync(file)) {
            cells.push(JSON.parse(fs.readFileSync(file, 'utf8')));
            emit({ phase: 'skip', cell: label, done: ++done, total });
            continue;
          }
          emit({ phase: 'finetune', cell: label, done, total });
          const t0 = Date.now();
          const r = await finetune({
            backbone: grid.backbone, method: method.config, init: adapter, train: grid.target.train, val: grid.target.val, test: grid.target.test,
            labelBudget: budget, normalization: grid.normalization, epochs: grid.finetune.epochs, batchSize: grid.finetune.batchSize,
            lr: grid.finetune.lr, patience: grid.finetune.patience, seed, signal: grid.signal,
            onProgress: (p) => emit({ phase: 'finetune', cell: label, done, total, train: p }),
          });
          const t = r.test!;
          const cell: CellResult = {
            method: method.name, arm: arm.name, budget: budgetLabel(budget), seed, trainExamples: r.trainExamples,
            targetParameters: r.peft.counts().target, accuracy: t.accuracy, balanced_accuracy: t.balanced_accuracy, auc: t.auc, f1: t.f1,
            val_auc: r.val.auc, bestEpoch: r.fit.bestEpoch + 1, seconds: (Date.now() - t0) / 1000,
            curve: r.fit.history.map((h: EpochRecord) => h.metrics.val_auc), tppSeconds, tppFinalLoss,
          };
          r.peft.dispose();
          r.model.dispose();
          await writeFileAtomic(file, Buffer.from(JSON.stringify(cell, null, 1)));
          cells.push(cell);
          done++;
        }
      }
    }
  }
  return cells;
}


/** A summary row per (method, budget, arm): mean ± std of the test metrics and the paired difference to `none`. */
export interface SummaryRow {
  method: string;
  budget: string;
  arm: string;
  n: number;
  auc_mean: number;
  auc_std: number;
  accuracy_mean: number;
  accuracy_std: number;
  balanced_accuracy_mean: number;
  f1_mean: number;
  /** Mean and std over seeds of (this arm's AUC - the none arm's AUC, same seed); NaN for `none`. */
  delta_auc_mean: number;
  delta_auc_std: number;
  /** Seeds where this arm beat `none` on AUC, as "k/n". */
  wins: string;
}

/** Aggregate cells into summary rows, in the order methods, budgets and arms first appear. */
export function summarize(cells: CellResult[]): SummaryRow[] {
  const order = <K extends keyof CellResult>(k: K) => [...new Set(cells.map((c) => c[k]))];
  const rows: SummaryRow[] = [];
  for (const method of order('method')) {
    for (const budget of order('budget')) {
      const none = new Map(cells.filter((c) => c.method === method && c.budget === budget && c.arm === 'none').map((c) => [c.seed, c]));
      for (const arm of order('arm')) {
        const cs = cells.filter((c) => c.method === method && c.budget === budget && c.arm === arm);
        if (!cs.length) continue;
        const auc = meanStd(cs.map((c) => c.auc));
        const acc = meanStd(cs.map((c) => c.accuracy));
        const deltas = arm === 'none' ? [] : cs.filter((c) => none.has(c.seed)).map((c) => c.auc - none.get(c.seed)!.auc);
        const d = pairedSummary(deltas);
        rows.push({
          method: String(method), budget: String(budget), arm: String(arm), n: cs.length,
          auc_mean: auc.mean, auc_std: auc.std, accuracy_mean: acc.mean, accuracy_std: acc.std,
          balanced_accuracy_mean: meanStd(cs.map((c) => c.balanced_accuracy)).mean, f1_mean: meanStd(cs.map((c) => c.f1)).mean,
          delta_auc_mean: arm === 'none' ? NaN : d.mean, delta_auc_std: arm === 'none' ? NaN : d.std,
          wins: arm === 'none' ? '' : `${d.wins}/${deltas.length}`,
        });
      }
    }
  }
  return rows;
}

/** Target-parameter count of each method on `backbone` (for the report). */
export function methodSizes(backbone: ViT, methods: { name: string; config: PeftConfig }[]): { name: string; target: number; percent: number }[] {
  return methods.map((m) => {
    const p = applyPeft(backbone, m.config);
    const c = p.counts();
    p.dispose();
    return { name: m.name, target: c.target, percent: c.percentOfBackbone };
  });
}
