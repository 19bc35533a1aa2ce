/**
 * Stage 2: Target Parameter Pre-training (Lei et al., "Pre-training Everywhere", arXiv 2408.15011).
 * The backbone is frozen bitwise; a PEFT method is applied and only its target parameters (plus the pretext's
 * throw-away helpers) are trained with a self-supervised pretext on unlabelled images of the target kind.
 * The adapter is saved with metadata naming the pretext and the data it saw; fine-tuning starts from it.
 */
import { tf } from '../backend';
import type { Batch, Normalization } from '../data/sets/batches';
import { Dataset, numExamples } from '../data/sets/dataset';
import { encodeAdapter } from '../checkpoint/checkpoint';
import { decodeDecoder } from '../checkpoint/decoder';
import { whereIs, type NamedBytes } from '../io/store';
import type { ViT } from '../model/vit';
import { applyPeft, type PeftConfig, type PeftModel } from '../peft/index';
import { checkImagesFit } from '../data/sets/fit';
import { epochBatches, fitStage, stepsPerEpoch, type StageRunOptions } from './common';
import { STAGE_DEFAULTS } from './defaults';
import type { FitResult } from './loop';
import { maePretext, type Pretext, type PretextName, simsiamPretext } from './pretext';

export interface TppOptions extends StageRunOptions {
  /** The pre-trained backbone; it is not modified (except for BitFit/full, whose targets are backbone tensors). */
  backbone: ViT;
  method: PeftConfig;
  pretext?: PretextName;
  /**
   * The MAE decoder saved with the backbone (decoder.safetensors beside backbone.safetensors), needed by the `mae`
   * pretext: its bytes and name (under Node `fileBytes(path)`, src/io/stage-files.ts).
   */
  decoder?: NamedBytes;
  /** Train the MAE decoder too (default false; see pretext.ts for why). */
  trainDecoder?: boolean;
  maskRatio?: number;
  /** Unlabelled images of the target kind (labels are ignored). */
  images: Dataset;
  /** Pixel normalisation of the backbone (from its metadata). */
  normalization: Normalization;
  /** Extra metadata for the adapter file (e.g. modality, command). */
  metadata?: Record<string, unknown>;
}

export interface TppResult {
  peft: PeftModel;
  fit: FitResult;
  /** The adapter file's metadata (`encodeAdapter(peft, metadata, false)` gives the bytes the CLI writes). */
  metadata: Record<string, unknown>;
  /** Where `files` holds the saved adapter.safetensors (`whereIs`) and its size in bytes, when a store was given. */
  adapterPath?: string;
  adapterBytes?: number;
}

/** Run TPP and return the PEFT model with pre-trained target parameters (caller disposes it). */
export async function targetParameterPretrain(options: TppOptions): Promise<TppResult> {
  const seed = options.seed ?? 0;
  const pretextName = options.pretext ?? 'mae';
  checkImagesFit(options.images, options.backbone.config, 'tpp');
  const batchSize = Math.min(options.batchSize ?? STAGE_DEFAULTS.tpp.batchSize, numExamples(options.images));
  const peft = applyPeft(options.backbone, options.method, { seed });
  let pretext: Pretext | null = null;
  let maeToDispose: { dispose(): void } | null = null;
  try {
    // Hash the untrained backbone now (webgpu: frees the tensors held for it before training changes them).
    await peft.fingerprint();
    if (pretextName === 'mae') {
      if (!options.decoder) throw new Error('tpp: the mae pretext needs the decoder saved with the backbone (decoder.safetensors beside backbone.safetensors).');
      const mae = await decodeDecoder(options.decoder.bytes, options.decoder.name, options.backbone);
      maeToDispose = mae;
      pretext = maePretext(mae, { trainDecoder: options.trainDecoder, maskRatio: options.maskRatio });
    } else {
      pretext = simsiamPretext(peft, { seed });
    }
    // Only the method's targets (no head: TPP has no labels) and the pretext's helpers are trained.
    const params = new Map<string, tf.Variable>([...peft.targetParameters(), ...pretext.params()]);
    if (params.size === 0) throw new Error(`tpp: method "${options.method.method}" has no target parameters to pre-train (a linear probe trains only a head).`);
    const epochs = options.epochs ?? STAGE_DEFAULTS.tpp.epochs;
    const lr = options.lr ?? STAGE_DEFAULTS.tpp.lr;
    const settings = { method: options.method, pretext: pretext.describe(), epochs, batchSize, lr, seed, data: options.images.source, images: numExamples(options.images) };
    const files = options.files;
    const p = pretext;
    const result = await fitStage<Batch>(options, {
      stage: 'tpp',
      params,
      epochs,
      stepsPerEpoch: stepsPerEpoch(options.images, batchSize),
      batches: (epoch) => epochBatches(options.images, batchSize, seed, epoch, options.normalization, false),
      loss: (b, step) => p.loss(peft, b.x, step, seed),
      lr,
      weightDecay: STAGE_DEFAULTS.tpp.weightDecay,
      meta: settings,
    });
    const metadata = {
      stage: 'tpp',
      ...settings,
      modality: options.images.modality,
      finalLoss: result.history[result.history.length - 1]?.loss,
      normalization: options.normalization,
      ...options.metadata,
    };
    const out: TppResult = { peft, fit: result, metadata };
    if (files) {
      const { bytes } = await encodeAdapter(peft, metadata, false);
      await files.writeBytes('adapter.safetensors', bytes);
      out.adapterPath = whereIs(files, 'adapter.safetensors');
      out.adapterBytes = bytes.byteLength;
    }
    return out;
  } catch (e) {
    peft.dispose();
    throw e;
  } finally {
    pretext?.dispose();
    maeToDispose?.dispose();
  }
}
