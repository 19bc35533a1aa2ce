/**
 * The MAE decoder as its own safetensors file (PyTorch layout, names as in the MAE reference:
 * `decoder_embed.weight`, `mask_token`, `decoder_blocks.0.attn.qkv.weight`, ...). TPP's MAE pretext loads it
 * next to the backbone it was trained with; the stored fingerprint makes a mismatch an error.
 */
import { tf } from '../backend';
import { backboneFingerprint } from '../model/fingerprint';
import { createMAE, type DecoderConfig, MAE, validateDecoderConfig } from '../model/mae';
import type { ViT } from '../model/vit';
import { entryToFloat32, readSafetensorsFile, type TensorToWrite, writeSafetensorsFile } from './safetensors';

export const DECODER_FORMAT = 'tpp-lab/mae-decoder';

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
  const file = await readSafetensorsFile(path);
  if (file.metadata.format !== DECODER_FORMAT) throw new Error(`${path} is not a tpp-lab MAE decoder (format ${JSON.stringify(file.metadata.format ?? null)}).`);
  const config = JSON.parse(file.metadata.decoder_config ?? 'null') as DecoderConfig | null;
  if (!config) throw new Error(`${path} lacks decoder_config metadata.`);
  validateDecoderConfig(config);
  const fingerprint = await backboneFingerprint(encoder);
  if (file.metadata.fingerprint !== fingerprint) {
    throw new Error(`The decoder ${path} was trained with backbone ${file.metadata.fingerprint}, not with this one (${fingerprint}). Use the decoder.safetensors saved beside this backbone.`);
  }
  const mae = createMAE(encoder, config);
  const weights = new Map<string, tf.Tensor>();
  try {
    for (const [name, e] of file.tensors) weights.set(name, tf.tensor(entryToFloat32(name, e), e.shape));
    mae.setDecoderWeights(weights, 'torch');
  } catch (e) {
    mae.dispose();
    throw e;
  } finally {
    tf.dispose([...weights.values()]);
  }
  return mae;
}
