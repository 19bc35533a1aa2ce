/**
 * The fine-tuning stage both tasks share (classification: finetune.ts, segmentation: segment.ts): a copy of the
 * backbone with a new head and the PEFT method applied to it or loaded from a TPP adapter (`openFinetuneModel`), a
 * labelled set repeated up to a minimum number of steps per epoch, and training with validation every epoch, the
 * best epoch picked by the task's metric, then validation and test scores (`trainAndEvaluate`). A task says how
 * to compute its loss, how to evaluate, and which validation metric to maximise.
 */
import type { tf } from '../backend';
import type { AugmentOptions } from '../data/sets/augment';
import type { Batch, Normalization } from '../data/sets/batches';
import type { Dataset, Images } from '../data/sets/dataset';
import type { SegDataset } from '../data/sets/segmentation';
import { decodeAdapter, loadAdapter } from '../io/checkpoint';
import { decodeSafetensors } from '../checkpoint/safetensors';
import type { StageFiles } from '../io/stage-files';
import { withNewHead } from '../model/head';
import type { ViT } from '../model/vit';
import { applyPeft, type PeftConfig, type PeftModel } from '../peft/index';
import { epochBatches, fitStage, stepsPerEpoch, type StageRunOptions } from './common';
import type { FitResult, FitSpec } from './loop';

/** A TPP adapter to start from: a file's path, or its bytes with a name for messages and settings (a web page). */
export type AdapterInit = string | { name: string; bytes: Uint8Array };

/** The name an adapter init goes by in settings and messages (null: none). */
export function initName(init: AdapterInit | undefined): string | null {
  return init === undefined ? null : typeof init === 'string' ? init : init.name;
}

/** A copy of `backbone` with a new `classes`-logit head and the PEFT model on it; the caller disposes both. */
export async function openFinetuneModel(options: { backbone: ViT; method?: PeftConfig; init?: AdapterInit; seed: number; classes: number }): Promise<{ model: ViT; peft: PeftModel }> {
  const { init, method, seed } = options;
  const model = withNewHead(options.backbone, options.classes, seed);
  let peft: PeftModel | null = null;
  try {
    if (!init && !method) throw new Error('finetune: pass a method (e.g. peftConfig("lora")) or an init adapter to take it from.');
    if (init === undefined) peft = applyPeft(model, method!, { seed });
    else if (typeof init === 'string') peft = await loadAdapter(init, model, { head: false });
    else peft = await decodeAdapter(decodeSafetensors(init.bytes, init.name), init.name, model, { head: false });
    // Hash the untrained backbone now (webgpu: frees the tensors held for it before training changes them).
    await peft.fingerprint();
    if (init && method && JSON.stringify(peft.config) !== JSON.stringify(method)) {
      throw new Error(`finetune: the init adapter ${initName(init)} is a ${JSON.stringify(peft.config)} adapter, but the method asked for is ${JSON.stringify(method)}. Use the same method and settings as the TPP run.`);
    }
    return { model, peft };
  } catch (e) {
    peft?.dispose();
    model.dispose();
    throw e;
  }
}

/**
 * `ds` repeated so that one epoch holds at least `minSteps` batches of `batchSize` (unchanged if it does); `pick`
 * takes the examples at some indices (`subset`, `segSubset`).
 */
export function repeatForSteps<D extends { images: Images; source: string }>(ds: D, batchSize: number, minSteps: number | undefined, pick: (ds: D, indices: Int32Array, source: string) => D): D {
  if (!minSteps || stepsPerEpoch(ds, batchSize) >= minSteps) return ds;
  const n = ds.images.shape[0];
  const copies = Math.ceil((minSteps * batchSize) / n);
  return pick(ds, Int32Array.from({ length: n * copies }, (_, i) => i % n), `${ds.source} x${copies}`);
}

/** What a fine-tuning task brings to the stage. */
export interface FinetuneTask<D, E> {
  /** Training loss of a batch. */
  lossOf(b: Batch): tf.Scalar;
  /** Scores of the model as it is now on `ds`. */
  evaluate(ds: D): Promise<E>;
  /** The validation metrics reported after each epoch (`val_*`), from an evaluation. */
  valMetrics(e: E): Record<string, number>;
  /** The one of `valMetrics` that picks the best epoch (higher is better). */
  monitor: string;
}

/** How the stage trains: the run options and files, what to train, on which data, with which schedule. */
export interface FinetuneFit<D> {
  run: StageRunOptions;
  files: StageFiles | undefined;
  params: Map<string, tf.Variable>;
  /** The labelled training set as one epoch sees it (repeated for `minStepsPerEpoch`). */
  data: D;
  batchSize: number;
  seed: number;
  epochs: number;
  lr: number;
  weightDecay: number;
  normalization: Normalization;
  augment: boolean | AugmentOptions;
  patience?: number;
  /** Settings stored in the checkpoint (resume refuses other settings). */
  meta: Record<string, unknown>;
  gradients?: FitSpec<Batch>['gradients'];
  lrScale?: FitSpec<Batch>['lrScale'];
}

/** Train with `task` (best epoch by its monitor metric), then score validation and, when given, test. */
export async function trainAndEvaluate<D extends Dataset | SegDataset, E>(task: FinetuneTask<D, E>, f: FinetuneFit<D>, val: D, test?: D): Promise<{ fit: FitResult; val: E; test?: E }> {
  const data = f.data as Dataset;
  const fit = await fitStage<Batch>(f.run, f.files, {
    gradients: f.gradients,
    stage: 'finetune',
    params: f.params,
    epochs: f.epochs,
    stepsPerEpoch: stepsPerEpoch(data, f.batchSize),
    batches: (epoch) => epochBatches(data, f.batchSize, f.seed, epoch, f.normalization, f.augment),
    loss: (b) => task.lossOf(b),
    evaluate: async () => task.valMetrics(await task.evaluate(val)),
    monitor: { metric: task.monitor, mode: 'max', patience: f.patience },
    lr: f.lr,
    weightDecay: f.weightDecay,
    lrScale: f.lrScale,
    meta: f.meta,
  });
  return { fit, val: await task.evaluate(val), test: test ? await task.evaluate(test) : undefined };
}
