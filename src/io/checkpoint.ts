/**
 * Backbone and adapter checkpoint files: the format (src/checkpoint/checkpoint.ts, re-exported here) read from
 * and written to disk, atomically.
 */
import { promises as fs } from 'node:fs';
import { checkpointInfo, decodeAdapter, decodeBackbone, encodeAdapter, encodeBackbone, type CheckpointInfo, type CheckpointMetadata, type LoadAdapterOptions, type LoadBackboneOptions, type OtherHead } from '../checkpoint/checkpoint';
import type { ViT } from '../model/vit';
import type { PeftModel } from '../peft/index';
import { readSafetensorsFile, readSafetensorsHeader, writeFileAtomic } from './safetensors';

export * from '../checkpoint/checkpoint';

/** What a save returns. */
export interface SaveResult {
  path: string;
  /** File size in bytes. */
  bytes: number;
  /** Number of tensors written. */
  tensors: number;
  /** Scalars written. */
  parameters: number;
  /** Backbone fingerprint stored in the file. */
  fingerprint: string;
}

/** Save the backbone (all parameters, head included) atomically. */
export async function saveBackbone(model: ViT, path: string, metadata: CheckpointMetadata = {}): Promise<SaveResult> {
  const { bytes, ...facts } = await encodeBackbone(model, metadata);
  await writeFileAtomic(path, bytes);
  return { path, bytes: bytes.byteLength, ...facts };
}

/** Load a backbone file into a new ViT (see `decodeBackbone` for the checks). */
export async function loadBackbone(path: string, options: LoadBackboneOptions = {}): Promise<ViT> {
  return decodeBackbone(await readSafetensorsFile(path), path, options);
}

/**
 * Save an adapter atomically (see `encodeAdapter`): `head` replaces the classification head with another one,
 * or with none (`false`, a TPP adapter).
 */
export async function saveAdapter(peft: PeftModel, path: string, metadata: CheckpointMetadata = {}, head?: OtherHead | false): Promise<SaveResult> {
  const { bytes, ...facts } = await encodeAdapter(peft, metadata, head);
  await writeFileAtomic(path, bytes);
  return { path, bytes: bytes.byteLength, ...facts };
}

/** Load an adapter file onto a backbone (see `decodeAdapter` for the checks and `options.head`). */
export async function loadAdapter(path: string, target: ViT | PeftModel, options: LoadAdapterOptions = {}): Promise<PeftModel> {
  return decodeAdapter(await readSafetensorsFile(path), path, target, options);
}

/** Header-only facts about a checkpoint file: kind, configs, fingerprint, metadata, tensor count and file size. */
export async function readCheckpointInfo(path: string): Promise<CheckpointInfo> {
  const header = await readSafetensorsHeader(path);
  const { size } = await fs.stat(path);
  return checkpointInfo(header, size, path);
}
