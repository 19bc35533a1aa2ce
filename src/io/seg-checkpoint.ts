/** Segmentation adapter files (format: src/checkpoint/seg-adapter.ts) written and read by path, atomically. */
import { decodeSegAdapter, encodeSegAdapter, type LoadedSegAdapter } from '../checkpoint/seg-adapter';
import type { SegHead } from '../model/seg-head';
import type { ViT } from '../model/vit';
import type { PeftModel } from '../peft/index';
import type { CheckpointMetadata, SaveResult } from './checkpoint';
import { readSafetensorsFile, writeFileAtomic } from './safetensors';

export type { LoadedSegAdapter } from '../checkpoint/seg-adapter';

/** Save `peft`'s target parameters and `head` (PyTorch layouts) with configs and metadata, atomically. */
export async function saveSegAdapter(peft: PeftModel, head: SegHead, path: string, metadata: CheckpointMetadata = {}): Promise<SaveResult> {
  const { bytes, ...facts } = await encodeSegAdapter(peft, head, metadata);
  await writeFileAtomic(path, bytes);
  return { path, bytes: bytes.byteLength, ...facts };
}

/** Open the segmentation adapter at `path` on the backbone it was trained on (see `decodeSegAdapter`). */
export async function loadSegAdapter(path: string, backbone: ViT): Promise<LoadedSegAdapter> {
  return decodeSegAdapter(await readSafetensorsFile(path), path, backbone);
}
