/**
 * The MAE decoder as its own safetensors file on disk (the format is src/checkpoint/decoder.ts). TPP's MAE pretext
 * loads it next to the backbone it was trained with; the stored fingerprint makes a mismatch an error.
 */
import { tf } from '../backend';
import { backboneFingerprint } from '../model/fingerprint';
import type { MAE } from '../model/mae';
import type { ViT } from '../model/vit';
import { DECODER_FORMAT, decodeDecoder } from '../checkpoint/decoder';
import { readSafetensorsFile, type TensorToWrite, writeSafetensorsFile } from './safetensors';

export { DECODER_FORMAT, decodeDecoder };

/** Write the decoder of `mae` atomically; returns the path. */
export async function saveDecoder(mae: MAE, path: string, metadata: Record<string, unknown> = {}): Promise<string> {
  const weights = mae.getDecoderWeights('torch');
  try {
    const tensors = new Map<string, TensorToWrite>();
    for (const [name, t] of weights) tensors.set(name, { dtype: 'F32', shape: t.shape, data: new Float32Array(await t.data()) });
    await writeSafetensorsFile(path, tensors, {
      format: DECODER_FORMAT,
      decoder_config: JSON.stringify(mae.decoderConfig),
      fingerprint: await backboneFingerprint(mae.encoder),
      metadata: JSON.stringify(metadata),
    });
    return path;
  } finally {
    tf.dispose([...weights.values()]);
  }
}

/** Build an MAE around `encoder` with the decoder stored at `path` (which must belong to that backbone). */
export async function loadDecoder(path: string, encoder: ViT): Promise<MAE> {
  return decodeDecoder(await readSafetensorsFile(path), path, encoder);
}
