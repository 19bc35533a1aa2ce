/**
 * Stage 3: PEFT fine-tuning on labelled data. A PEFT method (optionally initialised from a TPP adapter) and a
 * new task head are trained with AdamW, warm-up and cosine decay; validation every epoch picks the best epoch
 * (early stopping restores it); test metrics are computed once at the end.
 */
import { initBackend } from '../backend';
import { parameterChanges, snapshotTensors, type ParamChange } from '../analysis/params';
import type { Normalization } from '../data/sets/batches';
import { Dataset, numClasses, numExamples, subset } from '../data/sets/dataset';
import { subsampleLabels, type SubsampleSpec } from '../data/sets/splits';
import { saveAdapter } from '../io/checkpoint';
import { stageFiles } from '../io/stage-files';
import { HEAD_PARAMS, type ViT } from '../model/vit';
import type { PeftConfig, PeftModel } from '../peft/index';
import { checkImagesFit } from '../data/sets/fit';
import { predictAll, type StageRunOptions } from './common';
import { initName, openFinetuneModel, repeatForSteps, type AdapterInit, trainAndEvaluate, type FinetuneTask } from './finetune-stage';
import { STAGE_DEFAULTS } from './defaults';
import { WorkerGradients } from '../parallel/workers';
import { finetuneGradTask, hostBatchOf } from './finetune-task';
import type { FitResult } from './loop';
import { evaluate, type Metrics } from './metrics';
import { headSize, scoresFromLogits, taskKind, taskLoss } from './objective';

export interface FinetuneOptions extends StageRunOptions {
  /** The pre-trained backbone (not modified: a copy with a new head is fine-tuned). */
  backbone: ViT;
  /** The PEFT method. Optional with `init` (the adapter's method is used); when both are given they must be equal. */
  method?: PeftConfig;
  /** A TPP adapter to start the target parameters from (trained on the same backbone): its path, or its bytes. */
  init?: AdapterInit;
  train: Dataset;
  val: Dataset;
  test?: Dataset;
  /** Label budget: k examples per class or a fraction of each class (stratified, by `seed`); default every label. */
  labelBudget?: SubsampleSpec;
  normalization: Normalization;
  weightDecay?: number;
  /**
   * At least this many optimiser steps per epoch. A labelled set smaller than `minStepsPerEpoch` batches is
   * repeated within each epoch (every repetition in the epoch's seeded order), so 20 labels at batch 10 with
   * `minStepsPerEpoch: 10` take 10 steps an epoch instead of 2. Default: one pass (today's behaviour).
   */
  minStepsPerEpoch?: number;
  /**
   * Peak learning rate of the new head when it should differ from the target parameters' `lr` (a new, randomly
   * initialised head usually wants a larger one). Default: `lr`.
   */
  headLr?: number;
  /** Stop after this many epochs without a better validation AUC (default: never stop early). */
  patience?: number;
  augment?: boolean;
  metadata?: Record<string, unknown>;
  /**
   * Threads that compute gradients (default 1: this thread). N > 1 splits each batch over N worker threads
   * (src/parallel), each with its own backend; the weights trained are the same up to float rounding (LoRA
   * dropout draws differ). Worth it on wasm with idle cores; on a GPU backend keep 1.
   */
  workers?: number;
}

export interface FinetuneResult {
  peft: PeftModel;
  /** The fine-tuned copy of the backbone (with the new head); dispose with the PEFT model. */
  model: ViT;
  fit: FitResult;
  val: Metrics;
  test?: Metrics;
  trainExamples: number;
  /** Optimiser steps taken. */
  steps: number;
  /**
   * How far fine-tuning moved the target parameters (head excluded): the L2 norm over all of them of
   * (end − start), and of the start (e.g. a TPP adapter, or LoRA's random A with B = 0).
   */
  targetShift: number;
  targetStartNorm: number;
  adapterPath?: string;
}

/** Metrics of `peft` on `ds`. */
export async function evaluateModel(peft: PeftModel, ds: Dataset, normalization: Normalization, batchSize = 256): Promise<Metrics> {
  const kind = taskKind(ds);
  const { scores } = await predictAll(ds, batchSize, normalization, (x) => scoresFromLogits(kind, peft.forward(x)));
  const labels = kind === 'multilabel' ? ds.labels.data : ds.labels.data.subarray(0, numExamples(ds));
  return evaluate(kind, labels, scores, numClasses(ds));
}

/** Fine-tune and evaluate. The caller disposes `result.peft` and `result.model`. */
export async function finetune(options: FinetuneOptions): Promise<FinetuneResult> {
  const seed = options.seed ?? 0;
  const cfg = options.backbone.config;
  for (const ds of [options.train, options.val, options.test]) if (ds) checkImagesFit(ds, cfg, 'finetune');
  const train = options.labelBudget ? subsampleLabels(options.train, options.labelBudget, seed) : options.train;
  const kind = taskKind(train);
  const classes = numClasses(train);
  const batchSize = Math.min(options.batchSize ?? STAGE_DEFAULTS.finetune.batchSize, numExamples(train));
  const { model, peft: pm } = await openFinetuneModel({ backbone: options.backbone, method: options.method, init: options.init, seed, classes: headSize(train) });
  let pool: WorkerGradients | null = null;
  try {
    const targets = pm.targetParameters();
    const start = await snapshotTensors(targets);
    const epochData = repeatForSteps(train, batchSize, options.minStepsPerEpoch, subset);
    const epochs = options.epochs ?? STAGE_DEFAULTS.finetune.epochs;
    const lr = options.lr ?? STAGE_DEFAULTS.finetune.lr;
    const settings = {
      method: pm.config, init: initName(options.init), labelBudget: options.labelBudget ?? 'all', trainExamples: numExamples(train), epochs, batchSize, lr, seed, data: options.train.source,
      ...(options.minStepsPerEpoch ? { minStepsPerEpoch: options.minStepsPerEpoch } : {}), ...(options.headLr !== undefined ? { headLr: options.headLr } : {}),
    };
    const files = stageFiles(options.outDir);
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`finetune: workers must be a whole number >= 1, got ${workers}.`);
    if (workers > 1) {
      const gradTask = finetuneGradTask(model, pm, { config: model.config, method: pm.config, seed, kind, classes });
      pool = await WorkerGradients.start(gradTask, workers, { backend: (await initBackend({ warn: () => {} })).name });
    }
    const task: FinetuneTask<Dataset, Metrics> = {
      lossOf: (b) => taskLoss(kind, pm.forward(b.x, { training: true }), b.y, classes),
      evaluate: (ds) => evaluateModel(pm, ds, options.normalization),
      valMetrics: (m) => ({ val_auc: m.auc, val_accuracy: m.accuracy, val_balanced_accuracy: m.balanced_accuracy, val_f1: m.f1 }),
      monitor: 'val_auc',
    };
    const { fit: result, val, test } = await trainAndEvaluate(task, {
      run: options, files, params: pm.trainableParameters(), data: epochData, batchSize, seed, epochs, lr,
      weightDecay: options.weightDecay ?? STAGE_DEFAULTS.finetune.weightDecay, normalization: options.normalization, augment: options.augment ?? false,
      patience: options.patience, meta: settings, gradients: pool ? async (b) => pool!.compute(await hostBatchOf(b)) : undefined,
      lrScale: options.headLr === undefined ? undefined : (name) => (HEAD_PARAMS.includes(name as (typeof HEAD_PARAMS)[number]) ? options.headLr! / lr : 1),
    }, options.val, options.test);
    const moved = parameterChanges(start, await snapshotTensors(targets));
    const overAll = (norm: (c: ParamChange) => number) => Math.sqrt(moved.reduce((sum, c) => sum + norm(c) ** 2, 0));
    const out: FinetuneResult = {
      peft: pm, model, fit: result, val, test, trainExamples: numExamples(train), steps: result.steps,
      targetShift: overAll((c) => c.normDelta), targetStartNorm: overAll((c) => c.normBefore),
    };
    if (files) {
      const strip = (m?: Metrics) => (m ? { accuracy: m.accuracy, balanced_accuracy: m.balanced_accuracy, auc: m.auc, f1: m.f1 } : undefined);
      out.adapterPath = (await saveAdapter(pm, files.file('adapter.safetensors'), {
        stage: 'finetune', ...settings, bestEpoch: result.bestEpoch, val: strip(val), test: strip(test), normalization: options.normalization, modality: options.train.modality, classNames: train.classNames, ...options.metadata,
      })).path;
    }
    return out;
  } catch (e) {
    pm.dispose();
    model.dispose();
    throw e;
  } finally {
    await pool?.dispose();
  }
}
