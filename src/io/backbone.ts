/**
 * Finding and opening a backbone: the bundled one (data/backbone-tutorial) or one written by `pretrainMAE` /
 * `tpp-lab pretrain`, given as its folder or its backbone.safetensors. The MAE decoder is looked for beside it.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ViT } from '../model/vit';
import { loadBackbone, readCheckpointInfo } from './checkpoint';

/** The default backbone shipped in data/ (MAE-pretrained on Fashion-MNIST; see data/backbone-tutorial/README.md). */
export const BUNDLED_BACKBONE_DIR = path.resolve(__dirname, '..', '..', 'data', 'backbone-tutorial');

/**
 * Backbones shipped in data/, by name (each folder has a README saying how it was made): `fashion28` (the default,
 * MAE on Fashion-MNIST), `imagenet28` (MAE on Tiny-ImageNet, grey, 28 px) and `imagenet64` (the same photographs at their
 * native 64 px, preset `tutorial64`: an 8x8 patch grid, the backbone of segmentation) and `imagenet28-small7` (as
 * `imagenet28`, 5.7x larger: preset `small7`, the regime map's capacity axis).
 */
export const BUNDLED_BACKBONES: Readonly<Record<string, string>> = Object.freeze({
  fashion28: BUNDLED_BACKBONE_DIR,
  imagenet28: path.resolve(__dirname, '..', '..', 'data', 'backbone-imagenet28'),
  imagenet64: path.resolve(__dirname, '..', '..', 'data', 'backbone-imagenet64'),
  'imagenet28-small7': path.resolve(__dirname, '..', '..', 'data', 'backbone-imagenet28-small7'),
});

/** Where a backbone's files are: the backbone and, when present beside it, its MAE decoder. */
export interface BackbonePaths {
  backbone: string;
  decoder: string | null;
}

/** Paths of a backbone given as a folder, a file or a bundled name (undefined: the default); the decoder is looked for beside it. */
export function backbonePaths(spec: string | undefined): BackbonePaths {
  // A bundled name, unless a file or folder of that name exists here.
  const named = spec !== undefined && !fs.existsSync(spec) && Object.prototype.hasOwnProperty.call(BUNDLED_BACKBONES, spec);
  const given = spec === undefined ? BUNDLED_BACKBONE_DIR : named ? BUNDLED_BACKBONES[spec] : spec;
  const isDir = fs.existsSync(given) && fs.statSync(given).isDirectory();
  const backbone = isDir ? path.join(given, 'backbone.safetensors') : given;
  if (!fs.existsSync(backbone)) {
    throw new Error(spec && !named
      ? `No backbone at ${backbone}. Pass a folder written by \`tpp-lab pretrain --out DIR\`, its backbone.safetensors, or a bundled name (${Object.keys(BUNDLED_BACKBONES).join(', ')}).`
      : `The bundled backbone is missing at ${backbone}; is the checkout complete?`);
  }
  const decoder = path.join(path.dirname(backbone), 'decoder.safetensors');
  return { backbone, decoder: fs.existsSync(decoder) ? decoder : null };
}

/** Load a backbone (undefined: the bundled one) and its metadata (e.g. the normalisation of its pre-training pool). */
export async function openBackbone(spec: string | undefined): Promise<{ vit: ViT; metadata: Record<string, unknown>; paths: BackbonePaths }> {
  const paths = backbonePaths(spec);
  const info = await readCheckpointInfo(paths.backbone);
  if (info.kind !== 'backbone') throw new Error(`${paths.backbone} is a ${info.kind} file, not a backbone.`);
  return { vit: await loadBackbone(paths.backbone), metadata: info.metadata, paths };
}
