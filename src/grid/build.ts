/**
 * From settings to a grid: open the backbone, load the target (its limit applied, fitted to the backbone), load
 * each arm's pool (or mix of pools) and build the `CompareGrid` that plan.ts and run.ts work on. Data and backbones
 * come from the caller's readers (`GridSources`, sources.ts). What loading did to the data (conversions, a DICOM
 * folder's failed files) is said through `onNote`, never printed.
 */
import { initBackend } from '../backend';
import { concatDatasets } from '../data/sets/concat';
import type { Dataset } from '../data/sets/dataset';
import { fitImages, type NoteLevel } from '../data/sets/prepare';
import type { SegDataset } from '../data/sets/segmentation';
import { openWith } from '../data/sources/open-with';
import type { GridStore } from '../io/store';
import { DEFAULT_SEG_HEAD } from '../model/seg-head';
import type { ViT } from '../model/vit';
import { normalizationFrom } from '../train/common';
import { gridMethods } from './methods';
import { capImages } from '../data/sets/dataset';
import { extraSettings, GRID_BACKBONE, type GridSettings, otherArms, SEGMENTATION_BACKBONE } from './settings';
import type { GridSources } from './sources';
import type { Arm, ArmTpp, CompareGrid } from './types';

/** Receives one line about what loading did (a conversion, a DICOM folder's left-out files); `warning` when data were left out. */
export type NoteSink = (line: string, level?: NoteLevel) => void;

/** The target's splits as a grid loads them. */
export interface GridTarget {
  name: string;
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

/** The backbone a grid of `s` starts from: `s.backbone`, else the bundled default (segmentation data: its own). */
export function gridBackbone(s: Pick<GridSettings, 'backbone' | 'task'>): string {
  return s.backbone ?? (s.task === 'segment' ? SEGMENTATION_BACKBONE : GRID_BACKBONE);
}

/**
 * The target of `s` (its `limit` applied, validation capped at `valImages`, fitted to `vit`: converted where
 * `s.convert`, else checked), as the grid, `diagnose` and the continued arm load it: the data opener's splits, with
 * a segmentation pack's masks in `seg`.
 */
export async function loadTarget(s: GridSettings, sources: GridSources, vit: ViT, onNote?: NoteSink): Promise<GridTarget & { seg?: { train: SegDataset; val: SegDataset; test: SegDataset } }> {
  if (s.task === 'segment' && s.valImages !== undefined) throw new Error('--val-images applies to classification targets; a segmentation grid scores every validation image.');
  return openWith(sources.loadData, s.data, { splitSeed: s.splitSeed, limit: s.limit, valImages: s.valImages, fit: { config: vit.config, convert: !!s.convert }, onNote });
}

/** An arm's own TPP settings as the grid takes them (undefined members dropped; undefined when there are none). */
function armTpp(s: GridSettings, arm: string): ArmTpp | undefined {
  const own = s.armTpp?.[arm];
  if (!own) return undefined;
  const t: ArmTpp = { ...(own.images !== undefined ? { images: own.images } : {}), ...(own.epochs !== undefined ? { epochs: own.epochs } : {}), ...(own.seed !== undefined ? { seed: own.seed } : {}) };
  return Object.keys(t).length ? t : undefined;
}

/**
 * The arms of `s` with their images: none, the target's own, a pool, or a mix of pools. The images TPP then runs on
 * are `tppImages` (plan.ts) of each: what the regime map's distance tables measure too (scripts/regime-distances.ts).
 */
export async function buildArms(s: GridSettings, sources: GridSources, target: GridTarget, vit: ViT, onNote?: NoteSink): Promise<Arm[]> {
  const specs = otherArms(s.other);
  const fit = (ds: Dataset) => fitImages(ds, { config: vit.config, convert: !!s.convert }, onNote);
  const pool = async (spec: string) => sources.loadData(spec, { splitSeed: s.splitSeed, imageSize: vit.config.imageSize, channels: vit.config.channels });
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
  /** Where its data and backbone come from (`nodeGridSources` from src/io/grid-sources.ts under Node). */
  sources: GridSources;
  recompute?: boolean;
  /** The command that runs the grid, recorded in each cell. */
  command?: string;
  onNote?: NoteSink;
}

/** A built grid, the backbone it holds (the caller disposes it), the backend's name and the backbone file's name. */
export interface BuiltGrid {
  grid: CompareGrid;
  vit: ViT;
  backend: string;
  backbonePath: string;
}

/** Start the backend, open the backbone and load the data of `s`, and build its grid. Caller disposes `vit`. */
export async function buildGrid(s: GridSettings, o: BuildGridOptions): Promise<BuiltGrid> {
  const backend = (await initBackend()).name;
  const { vit, metadata, file, decoder } = await o.sources.openBackbone(gridBackbone(s));
  try {
    const loaded = await loadTarget(s, o.sources, vit, o.onNote);
    const segment = s.task === 'segment' ? loaded.seg : undefined;
    if (s.task === 'segment' && !segment) throw new Error(`${s.data} has no masks: a segmentation grid needs a segmentation pack or a folder with masks.csv.`);
    const target: GridTarget = { name: loaded.name, train: loaded.train, val: loaded.val, test: loaded.test };
    const normalization = normalizationFrom(metadata, target.train);
    const arms = await buildArms(s, o.sources, target, vit, o.onNote);
    if (s.pretext === 'mae' && !decoder) throw new Error(`The mae pretext needs decoder.safetensors beside ${file.name}.`);
    const grid: CompareGrid = {
      backbone: vit, ...(decoder ? { decoder } : {}), normalization, target, arms, budgets: s.budgets, seeds: s.seeds, methods: gridMethods(s.methods),
      tpp: { epochs: s.tppEpochs, batchSize: 64, lr: s.tppLr, pretext: s.pretext, maxImages: s.tppImages, seeds: s.tppSeeds },
      finetune: { epochs: s.epochs, batchSize: s.batch, lr: s.lr, patience: s.patience, minStepsPerEpoch: s.minSteps, headLr: s.headLr }, store: o.store,
      settings: extraSettings(s), recompute: !!o.recompute, command: o.command,
      ...(segment ? { segment: { train: segment.train, val: segment.val, test: segment.test, head: s.head ?? DEFAULT_SEG_HEAD } } : {}),
    };
    return { grid, vit, backend, backbonePath: file.name };
  } catch (e) {
    vit.dispose();
    throw e;
  }
}
