/**
 * Stage 1: backbone pre-training with MAE. Every encoder and decoder weight trains on unlabelled images; the
 * result is a backbone file (the encoder, with the pixel normalisation of its pool in the metadata) and a
 * decoder file, which TPP reuses for its MAE pretext.
 */
import { tf } from '../backend';
import { batches, computeNormalization, Normalization } from '../data/sets/batches';
import type { Batch } from '../data/sets/batches';
import { Dataset, numExamples } from '../data/sets/dataset';
import { checkpointInfoOf, decodeBackbone, encodeBackbone } from '../checkpoint/checkpoint';
import { decodeDecoder, encodeDecoder } from '../checkpoint/decoder';
import { decodeSafetensors } from '../checkpoint/safetensors';
import { whereIs, type NamedBytes } from '../io/store';
import { type PresetName, type ViTConfig, vitConfig } from '../model/config';
import { createMAE, DECODER_PRESETS, type DecoderConfig, MAE } from '../model/mae';
import type { VitHooks } from '../model/hooks';
import { createViT, type ViT } from '../model/vit';
import { checkImagesFit } from '../data/sets/fit';
import { stepSeed } from '../step/seed';
import { epochBatches, fitStage, stageWorkers, stepsPerEpoch, type StageRunOptions, type WorkerOptions } from './common';
import { STAGE_DEFAULTS } from './defaults';
import type { GradientSource } from '../parallel/gradients';
import type { FitResult } from './loop';
import { maskedHostBatch, pretrainGradTask } from './pretrain-task';

export interface PretrainOptions extends StageRunOptions, WorkerOptions {
  /** Unlabelled images to pre-train on (labels are ignored). */
  train: Dataset;
  /** Held-out images for the reconstruction loss reported each epoch. */
  val?: Dataset;
  /** A preset name or a full config (numClasses only sizes the unused head). */
  preset?: PresetName | ViTConfig;
  decoder?: DecoderConfig;
  weightDecay?: number;
  /** Masked fraction (default 0.75). */
  maskRatio?: number;
  normPixLoss?: boolean;
  /**
   * Continue pre-training a saved backbone and its MAE decoder (every weight trains) instead of starting from
   * random weights: the reference arm "continued MAE of the whole backbone on the target's images". The config
   * and the pixel normalisation come from the backbone file (`preset` and `decoder` must be left out), so the
   * result is a drop-in replacement for it. The files' bytes with their names (under Node `fileBytes(path)`,
   * src/io/stage-files.ts); the backbone's name is recorded in the checkpoint's settings.
   */
  init?: { backbone: NamedBytes; decoder: NamedBytes };
  /** Free-form provenance stored in the backbone file (command, data, time...). */
  provenance?: Record<string, unknown>;
}

export interface PretrainResult {
  mae: MAE;
  normalization: Normalization;
  fit: FitResult;
  /** Where `files` holds the saved backbone.safetensors and decoder.safetensors (`whereIs`), when a store was given. */
  backbonePath?: string;
  decoderPath?: string;
  /** Mean masked-patch loss on `val` after training (fixed masks), when `val` was given. */
  valLoss?: number;
}

/**
 * Mean MAE loss over `ds` with masks fixed by `seed` and the batch size (comparable across epochs and runs).
 * `hooks`: a PEFT model's encoder hooks (`peft.module.hooks`), for the loss with a TPP adapter in the encoder.
 */
export async function maeLoss(mae: MAE, ds: Dataset, normalization: Normalization, options: { batchSize?: number; maskRatio?: number; normPixLoss?: boolean; seed?: number; hooks?: VitHooks } = {}): Promise<number> {
  let sum = 0;
  let count = 0;
  let i = 0;
  for (const b of batches(ds, options.batchSize ?? 128, { normalization })) {
    const loss = tf.tidy(() => mae.forward(b.x, { maskRatio: options.maskRatio, normPixLoss: options.normPixLoss, seed: stepSeed(options.seed ?? 0, i++), hooks: options.hooks }).loss);
    sum += (await loss.data())[0] * b.x.shape[0];
    count += b.x.shape[0];
    tf.dispose([loss, b.x, b.y]);
  }
  return sum / count;
}

/** A new backbone and MAE decoder of `config`; the normalisation is that of the images to pre-train on. */
function freshMAE(train: Dataset, config: ViTConfig, decoder: DecoderConfig, seed: number): { encoder: ViT; mae: MAE; normalization: Normalization } {
  checkImagesFit(train, config, 'pretrain');
  const encoder = createViT(config, { seed });
  return { encoder, mae: createMAE(encoder, decoder, { seed }), normalization: computeNormalization(train) };
}

/** A saved backbone and its decoder, to continue pre-training; the normalisation stays the backbone's. */
async function continueFrom(train: Dataset, init: { backbone: NamedBytes; decoder: NamedBytes }): Promise<{ encoder: ViT; mae: MAE; normalization: Normalization }> {
  const { backbone, decoder } = init;
  const info = checkpointInfoOf(backbone.bytes, backbone.name);
  const normalization = info.metadata.normalization as Normalization | undefined;
  if (!normalization || !Array.isArray(normalization.mean)) throw new Error(`${backbone.name} has no pixel normalisation in its metadata; continue only a backbone made by tpp-lab pretrain.`);
  const encoder = decodeBackbone(decodeSafetensors(backbone.bytes, backbone.name), backbone.name);
  try {
    checkImagesFit(train, encoder.config, 'pretrain');
    return { encoder, mae: await decodeDecoder(decoder.bytes, decoder.name, encoder), normalization };
  } catch (e) {
    encoder.dispose();
    throw e;
  }
}

/** Pre-train a ViT with MAE. The returned MAE's encoder is the backbone; the caller disposes both. */
export async function pretrainMAE(options: PretrainOptions): Promise<PretrainResult> {
  const seed = options.seed ?? 0;
  if (options.init && (options.preset !== undefined || options.decoder !== undefined)) {
    throw new Error('pretrain: init continues a saved backbone, whose config and decoder are fixed; leave preset and decoder out.');
  }
  const preset = options.preset ?? 'tutorial';
  const { encoder, mae, normalization } = options.init
    ? await continueFrom(options.train, options.init)
    : freshMAE(options.train, typeof preset === 'string' ? vitConfig(preset) : preset, options.decoder ?? (typeof preset === 'string' ? DECODER_PRESETS[preset] : DECODER_PRESETS.tutorial), seed);
  const config = encoder.config;
  const decoder = mae.decoderConfig;
  const batchSize = Math.min(options.batchSize ?? STAGE_DEFAULTS.pretrain.batchSize, numExamples(options.train));
  const maskRatio = options.maskRatio ?? 0.75;
  const normPixLoss = options.normPixLoss ?? false;
  const files = options.files;
  const settings = { preset: options.init ? 'continued' : typeof preset === 'string' ? preset : 'custom', ...(options.init ? { init: options.init.backbone.name } : {}), config, decoder, batchSize, lr: options.lr ?? STAGE_DEFAULTS.pretrain.lr, maskRatio, normPixLoss, seed, epochs: options.epochs ?? STAGE_DEFAULTS.pretrain.epochs, data: options.train.source };
  let pool: GradientSource | null = null;
  try {
    // Masks are drawn for the whole batch first, so split batches train the same weights up to rounding.
    pool = await stageWorkers('pretrain', options, () => pretrainGradTask(mae, { config, decoder, seed, maskRatio, normPixLoss }));
    const gradients = pool ? { gradients: async (b: Batch, step: number) => pool!.compute(await maskedHostBatch(b, config, maskRatio, stepSeed(seed, step))) } : {};
    const result = await fitStage<Batch>(options, {
      ...gradients,
      stage: 'pretrain',
      params: mae.trainableParameters(),
      epochs: settings.epochs,
      stepsPerEpoch: stepsPerEpoch(options.train, batchSize),
      batches: (epoch) => epochBatches(options.train, batchSize, seed, epoch, normalization, false),
      loss: (b, step) => mae.forward(b.x, { maskRatio, normPixLoss, seed: stepSeed(seed, step), training: true }).loss,
      evaluate: options.val ? async () => ({ val_loss: await maeLoss(mae, options.val!, normalization, { maskRatio, normPixLoss, seed: 12345 }) }) : undefined,
      lr: settings.lr,
      weightDecay: options.weightDecay ?? STAGE_DEFAULTS.pretrain.weightDecay,
      meta: settings,
    });
    const out: PretrainResult = { mae, normalization, fit: result };
    if (options.val) out.valLoss = result.history[result.history.length - 1]?.metrics.val_loss;
    if (files) {
      const meta = { stage: 'pretrain', normalization, decoder, maskRatio, normPixLoss, seed, epochs: settings.epochs, batchSize, lr: settings.lr, data: options.train.source, images: numExamples(options.train), finalLoss: result.history[result.history.length - 1]?.loss, valLoss: out.valLoss, ...options.provenance };
      await files.writeBytes('backbone.safetensors', (await encodeBackbone(encoder, meta)).bytes);
      await files.writeBytes('decoder.safetensors', await encodeDecoder(mae, { stage: 'pretrain', seed }));
      out.backbonePath = whereIs(files, 'backbone.safetensors');
      out.decoderPath = whereIs(files, 'decoder.safetensors');
    }
    return out;
  } catch (e) {
    mae.dispose();
    encoder.dispose();
    throw e;
  } finally {
    await pool?.dispose();
  }
}
