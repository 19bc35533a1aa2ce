/**
 * Where a grid's data and backbones come from, passed in by the caller, so the grid core reads no file itself and
 * runs in a web page as well as under Node. Under Node `nodeGridSources` (src/io/grid-sources.ts) reads data by
 * name (`loadData`) and backbones by name or folder; a page passes readers of its own.
 */
import type { LoadData } from '../data/sources/open-with';
import type { NamedBytes } from '../io/store';
import type { ViT } from '../model/vit';

/** A backbone opened for a grid: the model, its stored metadata, its file, and the MAE decoder beside it. */
export interface OpenedBackbone {
  vit: ViT;
  /** The backbone file's metadata (e.g. the pixel normalisation of its pre-training pool). */
  metadata: Record<string, unknown>;
  /** The backbone file (its name says where it is in the report and errors). */
  file: NamedBytes;
  /** The MAE decoder saved with it (decoder.safetensors beside it), or null when there is none. */
  decoder: NamedBytes | null;
}

/** A grid's readers: data by spec, whether a spec is segmentation data, and backbones by name. */
export interface GridSources {
  /** The splits of a data spec (a MedMNIST flag, a pool, a segmentation pack, ...): `loadData` under Node. */
  loadData: LoadData;
  /** Whether a data spec names segmentation data (a study plan's targets are told apart by it). */
  isSegmentation(spec: string): boolean;
  /** The backbone of a name (`GridSettings.backbone`: a bundled name, a folder or a file); the caller disposes `vit`. */
  openBackbone(name: string): Promise<OpenedBackbone>;
}
