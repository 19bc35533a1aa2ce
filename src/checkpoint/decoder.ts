/**
 * The MAE decoder file's format read from bytes (PyTorch layout, names as in the MAE reference:
 * `decoder_embed.weight`, `mask_token`, `decoder_blocks.0.attn.qkv.weight`, ...), so a web page builds the same
 * MAE from fetched bytes that `loadDecoder` (src/io/decoder.ts) builds from a file. The stored fingerprint makes a
 * decoder of another backbone an error.
 */
import * as tf from '@tensorflow/tfjs';
import { backboneFingerprint } from '../model/fingerprint';
import { createMAE, type DecoderConfig, type MAE, validateDecoderConfig } from '../model/mae';
import type { ViT } from '../model/vit';
import { entryToFloat32, type SafetensorsContents } from './safetensors';

export const DECODER_FORMAT = 'tpp-lab/mae-decoder';

/** Build an MAE around `encoder` with the decoder in `contents` (read from `path`, named in errors). */
export async function decodeDecoder(contents: SafetensorsContents, path: string, encoder: ViT): Promise<MAE> {
  if (contents.metadata.format !== DECODER_FORMAT) throw new Error(`${path} is not a tpp-lab MAE decoder (format ${JSON.stringify(contents.metadata.format ?? null)}).`);
  const config = JSON.parse(contents.metadata.decoder_config ?? 'null') as DecoderConfig | null;
  if (!config) throw new Error(`${path} lacks decoder_config metadata.`);
  validateDecoderConfig(config);
  const fingerprint = await backboneFingerprint(encoder);
  if (contents.metadata.fingerprint !== fingerprint) {
    throw new Error(`The decoder ${path} was trained with backbone ${contents.metadata.fingerprint}, not with this one (${fingerprint}). Use the decoder.safetensors saved beside this backbone.`);
  }
  const mae = createMAE(encoder, config);
  const weights = new Map<string, tf.Tensor>();
  try {
    for (const [name, e] of contents.tensors) weights.set(name, tf.tensor(entryToFloat32(name, e), e.shape));
    mae.setDecoderWeights(weights, 'torch');
  } catch (e) {
    mae.dispose();
    throw e;
  } finally {
    tf.dispose([...weights.values()]);
  }
  return mae;
}
