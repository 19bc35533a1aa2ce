/**
 * Stage 3 for segmentation: PEFT fine-tuning of a backbone with a segmentation head on its patch tokens. The
 * PEFT method (optionally initialised from a TPP adapter) is applied exactly as for classification (same target
 * parameters); only the head differs (src/model/seg-head.ts). AdamW with warm-up and cosine decay through the
 * shared loop; validation Dice every epoch picks the best epoch; test metrics once at the end.
 */
import { tf } from '../backend';
import type { Normalization } from '../data/sets/batches';
import { numMaskClasses, numSegExamples, segImages, segLabelBudget, segSubset, type SegDataset } from '../data/sets/segmentation';
import { saveSegAdapter } from '../io/seg-checkpoint';
import { stageFiles } from '../io/stage-files';
import { gridSize } from '../model/config';
import { createSegHead, DEFAULT_SEG_HEAD, type SegHead, type SegHeadKind } from '../model/seg-head';
import type { ViT } from '../model/vit';
import type { PeftConfig, PeftModel } from '../peft/index';
import { checkImagesFit } from '../data/sets/fit';
import type { StageRunOptions } from './common';
import { STAGE_DEFAULTS } from './defaults';
import { initName, openFinetuneModel, repeatForSteps, type AdapterInit, trainAndEvaluate, type FinetuneTask } from './finetune-stage';
import type { FitResult } from './loop';
import { evaluateSegmentation, segLoss, segOutputs, type SegEvaluation } from './seg-objective';

/** Options of `finetuneSegmentation`. */
export interface SegFinetuneOptions extends StageRunOptions {
  /** The pre-trained backbone (not modified: a copy is fine-tuned). */
  backbone: ViT;
  method: PeftConfig;
  /** A TPP adapter file to start the target parameters from (same method and backbone). */
  init?: AdapterInit;
  /** Head architecture (default `DEFAULT_SEG_HEAD`). */
  head?: SegHeadKind;
  train: SegDataset;
  val: SegDataset;
  test?: SegDataset;
  /** Label budget: this many labelled training images (stratified by image label, by `seed`); default all. */
  labelBudget?: number;
  normalization: Normalization;
  weightDecay?: number;
  /**
   * At least this many optimiser steps per epoch: a labelled set smaller than that many batches is repeated within
   * the epoch (as classification's `minStepsPerEpoch`; `trainExamples` still counts distinct images). Default: one pass.
   */
  minStepsPerEpoch?: number;
  /** Stop after this many epochs without a better validation Dice (default: never stop early). */
  patience?: number;
  /** Flips and shifts applied to image and mask alike, plus intensity jitter on the image. */
  augment?: boolean;
  metadata?: Record<string, unknown>;
}

/** What `finetuneSegmentation` returns; the caller disposes `peft`, `head` and `model`. */
export interface SegFinetuneResult {
  peft: PeftModel;
  head: SegHead;
  model: ViT;
  fit: FitResult;
  val: SegEvaluation;
  test?: SegEvaluation;
  trainExamples: number;
  adapterPath?: string;
}

/** Per-pixel logits `[N, H, W, K']` of images `[N, H, W, C]` through the PEFT model and the head. Call inside `tf.tidy`. */
export function segForward(peft: PeftModel, head: SegHead, images: tf.Tensor4D, training = false): tf.Tensor4D {
  return head.forward(peft.forwardDetailed(images, { training }).tokens);
}

/** The summary numbers of an evaluation (no per-image arrays), for metadata and reports. */
export function segSummary(e: SegEvaluation): Record<string, number> {
  const out: Record<string, number> = { n: e.n, dice: e.dice, iou: e.iou, hd95: e.hd95, empty_predictions: e.emptyPredictions };
  if (e.hc_error_mm !== undefined) out.hc_error_mm = e.hc_error_mm;
  return out;
}

/** Fine-tune for segmentation and evaluate. */
export async function finetuneSegmentation(options: SegFinetuneOptions): Promise<SegFinetuneResult> {
  const seed = options.seed ?? 0;
  const cfg = options.backbone.config;
  for (const ds of [options.train, options.val, options.test]) {
    if (!ds) continue;
    checkImagesFit(segImages(ds), cfg, 'finetune --task segment');
    if (numMaskClasses(ds) !== numMaskClasses(options.train)) throw new Error(`finetune --task segment: ${ds.source} has ${numMaskClasses(ds)} mask classes, the training data ${numMaskClasses(options.train)}.`);
  }
  const labelBudget = options.labelBudget;
  const train = labelBudget !== undefined ? segLabelBudget(options.train, labelBudget, seed) : options.train;
  const batchSize = Math.min(options.batchSize ?? STAGE_DEFAULTS.segment.batchSize, numSegExamples(train));
  const headKind = options.head ?? DEFAULT_SEG_HEAD;
  const head = createSegHead({ kind: headKind, outputs: segOutputs(numMaskClasses(train)), dim: cfg.dim, grid: gridSize(cfg), imageSize: cfg.imageSize }, seed);
  let opened: { model: ViT; peft: PeftModel } | null = null;
  try {
    opened = await openFinetuneModel({ backbone: options.backbone, method: options.method, init: options.init, seed, classes: cfg.numClasses });
    const { model, peft: pm } = opened;
    const epochs = options.epochs ?? STAGE_DEFAULTS.segment.epochs;
    const lr = options.lr ?? STAGE_DEFAULTS.segment.lr;
    const settings = {
      task: 'segment', head: headKind, method: options.method, init: initName(options.init), labelBudget: labelBudget ?? 'all', trainExamples: numSegExamples(train),
      epochs, batchSize, lr, seed, data: options.train.source, ...(options.minStepsPerEpoch ? { minStepsPerEpoch: options.minStepsPerEpoch } : {}),
    };
    const files = stageFiles(options.outDir);
    const epochData = repeatForSteps(train, batchSize, options.minStepsPerEpoch, segSubset);
    const predict = (x: tf.Tensor4D) => segForward(pm, head, x);
    const task: FinetuneTask<SegDataset, SegEvaluation> = {
      lossOf: (b) => segLoss(segForward(pm, head, b.x, true), b.y as tf.Tensor4D),
      evaluate: (ds) => evaluateSegmentation(ds, options.normalization, predict),
      valMetrics: (m) => ({ val_dice: m.dice, val_iou: m.iou, val_hd95: m.hd95 }),
      monitor: 'val_dice',
    };
    const { fit: result, val, test } = await trainAndEvaluate(task, {
      run: options, files, params: new Map([...pm.targetParameters(), ...head.params]), data: epochData, batchSize, seed, epochs, lr,
      weightDecay: options.weightDecay ?? STAGE_DEFAULTS.segment.weightDecay, normalization: options.normalization, augment: options.augment ?? false,
      patience: options.patience, meta: settings,
    }, options.val, options.test);
    const out: SegFinetuneResult = { peft: pm, head, model, fit: result, val, test, trainExamples: numSegExamples(train) };
    if (files) {
      out.adapterPath = (await saveSegAdapter(pm, head, files.file('adapter.safetensors'), {
        stage: 'finetune', ...settings, bestEpoch: result.bestEpoch, val: segSummary(val), test: test ? segSummary(test) : undefined,
        normalization: options.normalization, modality: options.train.modality, maskClasses: train.classNames, ...options.metadata,
      })).path;
    }
    return out;
  } catch (e) {
    opened?.peft.dispose();
    opened?.model.dispose();
    head.dispose();
    throw e;
  }
}
