/**
 * A grid's settings as plain values (what `tpp-lab compare` parses from flags, a study plan gives per target and
 * the demo takes from the study): the target, the arms and their pools, methods, budgets, seeds and the recipe.
 * `buildGrid` (build.ts) turns them into a grid; `grid.json` keeps them so a child process or a rerun rebuilds it.
 */
import type { SegHeadKind } from '../model/seg-head';
import type { PretextName } from '../train/pretext';
import type { GridBudget } from './types';

/** The bundled backbone a grid starts from when none is named (the study's, the demo's and notebooks 04-08's). */
export const GRID_BACKBONE = 'imagenet28';
/** The bundled backbone segmentation uses when none is named (64 px, an 8x8 patch grid). */
export const SEGMENTATION_BACKBONE = 'imagenet64';

/**
 * An arm's own TPP settings where they differ from the grid's: at most `images` unlabelled images, `epochs`, TPP
 * seeds shifted by `seed`, and `pools`: the images as a mix of pools (`same`: the target's own training images, or a
 * data spec), each part at most its own `images`, in order; the arm's `--other` spec is then only its name's data.
 */
export interface ArmTppSettings {
  images?: number;
  epochs?: number;
  seed?: number;
  pools?: { data: string; images?: number }[];
}

/** Everything a grid needs, from flags, a study plan or the demo's presets. */
export interface GridSettings {
  data: string;
  /** TPP arms besides `none` and `same`: `NAME=DATA` or a bare `DATA` (its own name), see `otherArms`. */
  other: string[];
  /** Methods: names, or names with options (`lora:rank=8`, methods.ts). */
  methods: string[];
  arms: string[];
  /** Per class or fractions for classification; `{ images }` for segmentation data. */
  budgets: GridBudget[];
  /** `segment` when the target is segmentation data (masks); absent for classification. */
  task?: 'segment';
  /** Segmentation head on the patch tokens (segmentation targets only). */
  head?: SegHeadKind;
  seeds: number[];
  /** Seed of the split of data without official splits (DICOM folders, fashion-mnist). */
  splitSeed: number;
  tppEpochs: number;
  tppLr: number;
  tppImages: number;
  pretext: PretextName;
  /** Arms' own TPP settings, by arm name (absent: the grid's for every arm). */
  armTpp?: Record<string, ArmTppSettings>;
  epochs: number;
  lr: number;
  batch: number;
  patience?: number;
  /** Use at most the first N target training images. */
  limit?: number;
  /** Score validation (best-epoch choice) on a seeded random sample of at most N validation images. */
  valImages?: number;
  /** TPP runs per (method, arm): fine-tuning seed s starts from TPP seed s mod tppSeeds (default: one per seed). */
  tppSeeds?: number;
  /** Fine-tuning recipe: at least this many optimiser steps per epoch, and the head's own learning rate. */
  minSteps?: number;
  headLr?: number;
  /** Resize images and convert channels of the target and every TPP pool to fit the backbone. */
  convert?: boolean;
  /** Backbone folder, file or bundled name (default GRID_BACKBONE; segmentation data: SEGMENTATION_BACKBONE). */
  backbone?: string;
  out: string;
  title: string;
}

/**
 * The TPP arms of `other`: `NAME=DATA` names an arm (e.g. `same-modality=kermany`); a bare `DATA` is its own
 * name. Returns arm name → data spec, in order.
 */
export function otherArms(other: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of other) {
    const eq = o.indexOf('=');
    const [name, spec] = eq > 0 ? [o.slice(0, eq).trim(), o.slice(eq + 1).trim()] : [o, o];
    if (!spec) throw new Error(`--other "${o}": give NAME=DATA (e.g. same-modality=kermany) or a dataset.`);
    if (name === 'none' || name === 'same') throw new Error(`--other "${o}": the arm names none and same are taken; pick another name.`);
    if (out.has(name)) throw new Error(`--other names the arm "${name}" twice.`);
    out.set(name, spec);
  }
  return out;
}

/**
 * Settings that reach the grid's fingerprints as they are: everything in `s` except the grid's axes and the
 * fields mapped into the grid (recorded there, some more precisely: the backbone by its fingerprint, an arm's own
 * TPP settings in that arm's fingerprints), and the output folder and title. Options added to GridSettings later
 * flow in without a change here.
 */
export function extraSettings(s: GridSettings): Record<string, unknown> {
  const mapped = ['other', 'methods', 'arms', 'armTpp', 'budgets', 'seeds', 'tppEpochs', 'tppLr', 'tppImages', 'tppSeeds', 'pretext', 'epochs', 'lr', 'batch', 'patience', 'minSteps', 'headLr', 'backbone', 'out', 'title'];
  return Object.fromEntries(Object.entries(s).filter(([k]) => !mapped.includes(k)));
}
