/**
 * Adapters with a segmentation head: the same adapter file as classification (`tpp-lab/peft-adapter`: target
 * parameters, ViT and PEFT configs, backbone fingerprint, metadata) with the `seg_head.*` tensors in place of
 * `head.weight` / `head.bias` and the head's config in `__metadata__.seg_head_config`. `decodeAdapter(contents,
 * where, vit, { head: false })` reads its target parameters, so a segmentation adapter can start a classification
 * run too. This file is the format, bytes in and out; src/io/seg-checkpoint.ts reads and writes it by path.
 */
import * as tf from '@tensorflow/tfjs';
import { createSegHead, validateSegHeadConfig, type SegHead, type SegHeadConfig } from '../model/seg-head';
import type { ViT } from '../model/vit';
import type { PeftModel } from '../peft/index';
import { decodeAdapter, encodeAdapter, type CheckpointMetadata, type EncodedCheckpoint } from './checkpoint';
import { entryToFloat32, type SafetensorsContents } from './safetensors';

/** `peft`'s target parameters and `head` (PyTorch layouts) with configs and metadata, as file bytes. */
export async function encodeSegAdapter(peft: PeftModel, head: SegHead, metadata: CheckpointMetadata = {}): Promise<EncodedCheckpoint> {
  return encodeAdapter(peft, metadata, { tensors: head.torchWeights(), metadata: { seg_head_config: JSON.stringify(head.config) } });
}

/** What `decodeSegAdapter` returns; the caller disposes `peft` and `head`. */
export interface LoadedSegAdapter {
  peft: PeftModel;
  head: SegHead;
  metadata: CheckpointMetadata;
}

/**
 * Open a segmentation adapter (`where` names it in errors) on the backbone it was trained on (checked by
 * fingerprint, as `decodeAdapter` does): the PEFT method with its target parameters, and the head. Errors name
 * what does not match.
 */
export async function decodeSegAdapter(contents: SafetensorsContents, where: string, backbone: ViT): Promise<LoadedSegAdapter> {
  const text = contents.metadata.seg_head_config;
  if (text === undefined) throw new Error(`Checkpoint ${where} has no segmentation head (no seg_head_config metadata); it is a classification or TPP adapter: use loadAdapter().`);
  let config: SegHeadConfig;
  try {
    config = JSON.parse(text) as SegHeadConfig;
  } catch {
    throw new Error(`Checkpoint ${where}: __metadata__.seg_head_config is not valid JSON.`);
  }
  validateSegHeadConfig(config);
  const peft = await decodeAdapter(contents, where, backbone, { head: false });
  const head = createSegHead(config);
  try {
    const values = new Map<string, { data: Float32Array; shape: number[] }>();
    for (const [name, shape] of head.torchShapes()) {
      const e = contents.tensors.get(name);
      if (!e) throw new Error(`Checkpoint ${where}: missing segmentation head tensor "${name}".`);
      if (e.dtype !== 'F32' || !tf.util.arraysEqual(e.shape, shape)) {
        throw new Error(`Checkpoint ${where}: tensor "${name}" is ${e.dtype} [${e.shape}], expected F32 [${shape}] for its seg_head_config.`);
      }
      values.set(name, { data: entryToFloat32(name, e), shape });
    }
    head.setTorchWeights(values);
  } catch (e) {
    head.dispose();
    peft.dispose();
    throw e;
  }
  let metadata: CheckpointMetadata = {};
  try {
    metadata = JSON.parse(contents.metadata.metadata ?? '{}') as CheckpointMetadata;
  } catch {
    throw new Error(`Checkpoint ${where}: __metadata__.metadata is not valid JSON.`);
  }
  return { peft, head, metadata };
}
