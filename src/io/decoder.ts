/** The MAE decoder file (format: src/checkpoint/decoder.ts, re-exported here) written and read by path. */
import { promises as fs } from 'node:fs';
import { decodeDecoder, encodeDecoder } from '../checkpoint/decoder';
import type { MAE } from '../model/mae';
import type { ViT } from '../model/vit';
import { writeFileAtomic } from './safetensors';

export { DECODER_FORMAT } from '../checkpoint/decoder';

/** Write the decoder of `mae` atomically; returns the path. */
export async function saveDecoder(mae: MAE, path: string, metadata: Record<string, unknown> = {}): Promise<string> {
  await writeFileAtomic(path, await encodeDecoder(mae, metadata));
  return path;
}

/** Build an MAE around `encoder` with the decoder stored at `path` (which must belong to that backbone). */
export async function loadDecoder(path: string, encoder: ViT): Promise<MAE> {
  return decodeDecoder(new Uint8Array(await fs.readFile(path)), path, encoder);
}
