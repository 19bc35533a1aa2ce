/**
 * From settings to a grid: open the backbone, load the target (its limit applied, fitted to the backbone), load
 * each arm's pool (or mix of pools) and build the `CompareGrid` that plan.ts and run.ts work on. What loading did to
 * the data (conversions, a DICOM folder's failed files) is said through `onNote`, never printed.
 */
import { initBackend } from '../backend';
import { formatDicomLoad } from '../data/dicom/dicom-dataset';
import { concatDatasets } from '../data/sets/concat';
import type { Dataset } from '../data/sets/dataset';
import { describeFit, fitToBackbone } from '../data/sets/fit';
import { numSegExamples, segImages, segSubset, type SegDataset } from '../data/sets/segmentation';
import { limit, loadData } from '../data/sources/load';
import { loadSegData } from '../data/sources/seg-source';
import { openBackbone, SEGMENTATION_BACKBONE } from '../io/backbone';
import { fileFingerprint } from '../io/folder-store';
import type { GridStore } from '../io/store';
import { DEFAULT_SEG_HEAD } from '../model/seg-head';
import type { ViT } from '../model/vit';
import { normalizationFrom } from '../train/common';
import { fitSegToBackbone } from '../train/seg-data';
import { gridMethods } from './methods';
import { capImages } from './plan';
import { extraSettings, GRID_BACKBONE, type GridSettings, otherArms } from './settings';
import type { Arm, ArmTpp, CompareGrid } from './types';

/** Receives one line about what loading did (a conversion, a DICOM folder's left-out files). */
export type NoteSink = (line: string) => void;

/** The target's splits as a grid loads them. */
export interface GridTarget {
  name: string;
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

/** `fitToBackbone`, saying through `onNote` what `convert` did to the images. */
function fitNoted(ds: Dataset, config: ViT['config'], convert: boolean, onNote?: NoteSink): Dataset {
  const note = convert && onNote ? describeFit(ds, config) : null;
  if (note) onNote!(note);
  return fitToBackbone(ds, config, convert);
}

/** The backbone a grid of `s` starts from: `s.backbone`, else the bundled default (segmentation data: its own). */
export function gridBackbone(s: Pick<GridSettings, 'backbone' | 'task'>): string {
  return s.backbone ?? (s.task === 'segment' ? SEGMENTATION_BACKBONE : GRID_BACKBONE);
}

/** The target of `s` (its `limit` applied, converted to fit `vit` where `s.convert`), as the grid and `diagnose` load it. */
export async function loadTarget(s: GridSettings, vit: ViT, onNote?: NoteSink): Promise<GridTarget> {
  const convert = !!s.convert;
  const loaded = await loadData(s.data, { splitSeed: s.splitSeed, imageSize: vit.config.imageSize, channels: vit.config.channels });
  if (loaded.dicomLoad) onNote?.(formatDicomLoad(s.data, loaded.dicomLoad));
  return {
    name: loaded.name, train: fitNoted(limit(loaded.train, s.limit), vit.config, convert, onNote), val: fitToBackbone(capImages(loaded.val, s.valImages), vit.config, convert), test: fitToBackbone(loaded.test, vit.config, convert),
  };
}

/** A segmentation target's splits (its `limit` applied, fitted to `vit`: converted where `s.convert`, else checked). */
export async function loadSegTarget(s: GridSettings, vit: ViT): Promise<{ name: string; train: SegDataset; val: SegDataset; test: SegDataset }> {
  const splits = await loadSegData(s.data, { splitSeed: s.splitSeed });
  const fit = (ds: SegDataset) => fitSegToBackbone(ds, vit.config, !!s.convert);
  const n = numSegExamples(splits.train);
  const train = s.limit !== undefined && s.limit < n ? segSubset(splits.train, Array.from({ length: s.limit }, (_, i) => i)) : splits.train;
  if (s.valImages !== undefined) throw new Error('--val-images applies to classification targets; a segmentation grid scores every validation image.');
  return { name: splits.name, train: fit(train), val: fit(splits.val), test: fit(splits.test) };
}

/** An arm's own TPP settings as the grid takes them (undefined members dropped; undefined when there are none). */
function armTpp(s: GridSettings, arm: string): ArmTpp | undefined {
  const own = s.armTpp?.[arm];
  if (!own) return undefined;
  const t: ArmTpp = { ...(own.images !== undefined ? { images: own.images } : {}), ...(own.epochs !== undefined ? { epochs: own.epochs } : {}), ...(own.seed !== undefined ? { seed: own.seed } : {}) };
  return Object.keys(t).length ? t : undefined;
}

/** The arms of `s` with their images: none, the target's own, a pool, or a mix of pools. */
async function buildArms(s: GridSettings, target: GridTarget, vit: ViT, onNote?: NoteSink): Promise<Arm[]> {
  const specs = otherArms(s.other);
  const fit = (ds: Dataset) => fitNoted(ds, vit.config, !!s.convert, onNote);
  const pool = async (spec: string) => loadData(spec, { splitSeed: s.splitSeed, imageSize: vit.config.imageSize, channels: vit.config.channels });
  for (const name of Object.keys(s.armTpp ?? {})) if (!s.arms.includes(name) || name === 'none') throw new Error(`armTpp: "${name}" is not a TPP arm of the grid (${s.arms.filter((a) => a !== 'none').join(', ')}).`);
  const arms: Arm[] = [];
  for (const a of s.arms) {
    const tpp = armTpp(s, a);
    const pools = s.armTpp?.[a]?.pools;
    if (a === 'none') arms.push({ name: 'none', label: 'no TPP' });
    else if (pools?.length) {
      const parts: Dataset[] = [];
      const labels: string[] = [];
      for (const p of pools) {
        if (p.data === 'same') {
          parts.push(capImages(target.train, p.images));
          labels.push(`${target.name} train images`);
        } else {
          const other = await pool(p.data);
          parts.push(fit(capImages(other.train, p.images ?? tpp?.images ?? s.tppImages)));
          labels.push(`${other.name} train images`);
        }
      }
      arms.push({ name: a, images: concatDatasets(parts, { labelMode: 'source' }), label: `mix: ${labels.join(' + ')}`, ...(tpp ? { tpp } : {}) });
    } else if (a === 'same') arms.push({ name: 'same', images: target.train, label: `${target.name} train images (same modality)`, ...(tpp ? { tpp } : {}) });
    else {
      const spec = specs.get(a);
      if (!spec) throw new Error(`Arm "${a}" is not none, same, or one of the other arms (${[...specs.keys()].join(', ') || 'none given'}).`);
      const other = await pool(spec);
      arms.push({ name: a, images: fit(capImages(other.train, tpp?.images ?? s.tppImages)), label: `${other.name} train images (${other.train.modality ?? 'other data'})`, ...(tpp ? { tpp } : {}) });
    }
  }
  return arms;
}

/** Options of `buildGrid`. */
export interface BuildGridOptions {
  /** Where the grid's cells and TPP runs are kept (`folderStore(s.out)` from src/io/folder-store.ts). */
  store: GridStore;
  recompute?: boolean;
  /** The command that runs the grid, recorded in each cell. */
  command?: string;
  onNote?: NoteSink;
}

/** A built grid, the backbone it holds (the caller disposes it), the backend's name and the backbone's file. */
export interface BuiltGrid {
  grid: CompareGrid;
  vit: ViT;
  backend: string;
  backbonePath: string;
}

/** Start the backend, open the backbone and load the data of `s`, and build its grid. Caller disposes `vit`. */
export async function buildGrid(s: GridSettings, o: BuildGridOptions): Promise<BuiltGrid> {
  const backend = (await initBackend()).name;
  const { vit, metadata, paths } = await openBackbone(gridBackbone(s));
  try {
    const segment = s.task === 'segment' ? await loadSegTarget(s, vit) : undefined;
    const target = segment
      ? { name: segment.name, train: segImages(segment.train), val: segImages(segment.val), test: segImages(segment.test) }
      : await loadTarget(s, vit, o.onNote);
    const normalization = normalizationFrom(metadata, target.train);
    const arms = await buildArms(s, target, vit, o.onNote);
    if (s.pretext === 'mae' && !paths.decoder) throw new Error(`The mae pretext needs decoder.safetensors beside ${paths.backbone}.`);
    const decoder = paths.decoder && s.pretext === 'mae' ? { decoderPath: paths.decoder, decoderFingerprint: fileFingerprint(paths.decoder) } : { decoderPath: paths.decoder ?? undefined };
    const grid: CompareGrid = {
      backbone: vit, ...decoder, normalization, target, arms, budgets: s.budgets, seeds: s.seeds, methods: gridMethods(s.methods),
      tpp: { epochs: s.tppEpochs, batchSize: 64, lr: s.tppLr, pretext: s.pretext, maxImages: s.tppImages, seeds: s.tppSeeds },
      finetune: { epochs: s.epochs, batchSize: s.batch, lr: s.lr, patience: s.patience, minStepsPerEpoch: s.minSteps, headLr: s.headLr }, store: o.store,
      settings: extraSettings(s), recompute: !!o.recompute, command: o.command,
      ...(segment ? { segment: { train: segment.train, val: segment.val, test: segment.test, head: s.head ?? DEFAULT_SEG_HEAD } } : {}),
    };
    return { grid, vit, backend, backbonePath: paths.backbone };
  } catch (e) {
    vit.dispose();
    throw e;
  }
}
