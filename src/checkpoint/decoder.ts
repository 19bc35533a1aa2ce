/**
 * The MAE decoder as its own safetensors file (PyTorch layout, names as in the MAE reference:
 * `decoder_embed.weight`, `mask_token`, `decoder_blocks.0.attn.qkv.weight`, ...). TPP's MAE pretext loads it
 * next to the backbone it was trained with; the stored fingerprint makes a mismatch an error. This file is the
 * format, bytes in and out; src/io/decoder.ts reads and writes it by path.
 */
import { tf } from '../backend';
import { backboneFingerprint } from '../model/fingerprint';
import { createMAE, type DecoderConfig, MAE, validateDecoderConfig } from '../model/mae';
import type { ViT } from '../model/vit';
import { decodeSafetensors, encodeSafetensors, entryToFloat32, type TensorToWrite } from './safetensors';

export const DECODER_FORMAT = 'tpp-lab/mae-decoder';

/** The decoder of `mae` as the bytes of a safetensors file. */
export async function encodeDecoder(mae: MAE, metadata: Record<string, unknown> = {}): Promise<Uint8Array> {
  const weights = mae.getDecoderWeights('torch');
  try {
    const tensors = new Map<string, TensorToWrite>();
    for (const [name, t] of weights) tensors.set(name, { dtype: 'F32', shape: t.shape, data: new Float32Array(await t.data()) });
    return encodeSafetensors(tensors, {
      format: DECODER_FORMAT,
      decoder_config: JSON.stringify(mae.decoderConfig),
      fingerprint: await backboneFingerprint(mae.encoder),
      metadata: JSON.stringify(metadata),
    });
  } finally {
    tf.dispose([...weights.values()]);
  }
}

/** Build an MAE around `encoder` with the decoder in `bytes` (named `where` in errors; it must belong to that backbone). */
export async function decodeDecoder(bytes: Uint8Array, where: string, encoder: ViT): Promise<MAE> {
  const file = decodeSafetensors(bytes, where);
  if (file.metadata.format !== DECODER_FORMAT) throw new Error(`${where} is not a tpp-lab MAE decoder (format ${JSON.stringify(file.metadata.format ?? null)}).`);
  const config = JSON.parse(file.metadata.decoder_config ?? 'null') as DecoderConfig | null;
  if (!config) throw new Error(`${where} lacks decoder_config metadata.`);
  validateDecoderConfig(config);
  const fingerprint = await backboneFingerprint(encoder);
  if (file.metadata.fingerprint !== fingerprint) {
    throw new Error(`The decoder ${where} was trained with backbone ${file.metadata.fingerprint}, not with this one (${fingerprint}). Use the decoder.safetensors saved beside this backbone.`);
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
