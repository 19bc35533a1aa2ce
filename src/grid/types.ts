/**
 * The grid's shapes: a grid of PEFT methods x TPP arms x label budgets x seeds on one target (`CompareGrid`), its
 * arms, its progress events and its finished cells. An arm says what the target parameters were pre-trained on
 * before fine-tuning: `none` (the method's usual random/zero init), `same` (the target's own unlabelled training
 * images) or other images (another pool, or a mix of pools), each with its own TPP settings where they differ.
 */
import type { Normalization } from '../data/sets/batches';
import type { Dataset } from '../data/sets/dataset';
import type { SubsampleSpec } from '../data/sets/splits';
import type { SegDataset } from '../data/sets/segmentation';
import type { GridStore, NamedBytes } from '../io/store';
import type { SegHeadKind } from '../model/seg-head';
import type { ViT } from '../model/vit';
import type { PeftConfig } from '../peft/index';
import type { TrainProgress } from '../train/loop';
import type { PretextName } from '../train/pretext';

/** A segmentation grid's label budget: this many labelled images, or all of them. */
export interface ImageBudget {
  images: number | 'all';
}

/** A grid's label budget: per class or a fraction (classification), or a number of images (segmentation). */
export type GridBudget = SubsampleSpec | ImageBudget;

/**
 * An arm's own TPP settings, where they differ from the grid's (`CompareGrid.tpp`): at most `images` unlabelled
 * images (a seeded sample), `epochs` of TPP, and TPP seeds shifted by `seed` (TPP seed = `seed` + the shared TPP
 * seed of the fine-tuning seed). Only the fields that differ from the grid's enter the fingerprints, so an arm
 * without them keeps the fingerprints it had before arms had settings of their own.
 */
export interface ArmTpp {
  images?: number;
  epochs?: number;
  seed?: number;
}

/** One TPP arm: `none`, or pre-training on `images` (named `name`, e.g. `same` or `other`). */
export interface Arm {
  name: string;
  /** Unlabelled images for TPP; absent for the `none` arm. */
  images?: Dataset;
  /** Human-readable description, e.g. `breastmnist (ultrasound)`. */
  label: string;
  /** This arm's TPP settings where they differ from the grid's. */
  tpp?: ArmTpp;
}

/** The grid's TPP settings (each arm may differ in images, epochs and seed: `Arm.tpp`). */
export interface GridTpp {
  epochs: number;
  batchSize: number;
  lr: number;
  pretext: PretextName;
  maxImages?: number;
  /**
   * How many TPP runs per (method, arm); fine-tuning seed s starts from the TPP run with seed s mod `seeds`, so
   * TPP's own variance shows across fine-tuning seeds. Default: one TPP run per seed.
   */
  seeds?: number;
}

export interface CompareGrid {
  backbone: ViT;
  /**
   * The MAE decoder saved with the backbone, for the MAE pretext (under Node `fileBytes(path)`, src/io/stage-files.ts);
   * the results record its fingerprint (`sha256:<hex>` of its bytes).
   */
  decoder?: NamedBytes;
  normalization: Normalization;
  target: { name: string; train: Dataset; val: Dataset; test: Dataset };
  methods: { name: string; config: PeftConfig }[];
  arms: Arm[];
  budgets: GridBudget[];
  seeds: number[];
  /**
   * A segmentation grid: the target's splits with their masks and the head to fine-tune (then `target` holds the same
   * images as classification datasets, `segImages`, for TPP's `same` arm; budgets count images, `{ images }`).
   */
  segment?: { train: SegDataset; val: SegDataset; test: SegDataset; head: SegHeadKind };
  tpp: GridTpp;
  /** Fine-tuning settings (see `FinetuneOptions`: `minStepsPerEpoch`, `headLr`). */
  finetune: { epochs: number; batchSize: number; lr: number; patience?: number; minStepsPerEpoch?: number; headLr?: number };
  /** Where cells and TPP adapters are kept (a folder: `folderStore(dir)` from src/io/folder-store.ts). */
  store: GridStore;
  /**
   * Further settings that affect results and are not in the fields above (JSON values; e.g. the CLI's data flag
   * and split seed). They enter every task's settings fingerprint (plan.ts).
   */
  settings?: Record<string, unknown>;
  /** Redo cells and TPP runs whose recorded settings differ from this grid's (default: refuse, naming the change). */
  recompute?: boolean;
  /** The command that runs the grid, recorded in each cell it computes. */
  command?: string;
  signal?: AbortSignal;
  onProgress?: (e: CompareProgress) => void;
}

/** Progress of the grid: one event per phase start and per training progress event inside it. */
export interface CompareProgress {
  phase: 'tpp' | 'finetune' | 'skip';
  cell: string;
  done: number;
  total: number;
  train?: TrainProgress;
}

/** One finished cell of the grid. */
export interface CellResult {
  method: string;
  arm: string;
  budget: string;
  seed: number;
  trainExamples: number;
  targetParameters: number;
  /** `segment` for a segmentation cell (its classification metrics are NaN, null in JSON); absent for classification. */
  task?: 'segment';
  accuracy: number;
  balanced_accuracy: number;
  auc: number;
  f1: number;
  val_auc: number;
  bestEpoch: number;
  /** Optimiser steps of fine-tuning, and how far it moved the target parameters (L2 of end − start). */
  steps?: number;
  targetShift?: number;
  /** Seed of the TPP run the cell started from (null for no TPP). */
  tppSeed?: number | null;
  /** Fingerprint of the run settings the cell shares with the rest of its grid (see plan.ts). */
  settings: string;
  /** Wall time of fine-tuning (timing varies between runs: kept out of results.csv). */
  seconds: number;
  /** Segmentation cells: mean per-image test Dice, IoU, HD95 (mm where the data have pixel sizes, else pixels) and validation Dice. */
  dice?: number;
  iou?: number;
  hd95?: number;
  /** Segmentation cells of data with reference head circumferences (HC18): mean absolute error in mm. */
  hc_error_mm?: number;
  val_dice?: number;
  /** Validation AUC per epoch (learning curve; validation Dice for segmentation). */
  curve: number[];
  tppSeconds: number | null;
  tppFinalLoss: number | null;
}

/** A cell as stored in `cells/<key>.json`: the result plus the full settings, their fingerprint and the command. */
export interface StoredCell extends CellResult {
  fingerprint: string;
  cellSettings: Record<string, unknown>;
  command: string | null;
}

/** The result part of a stored cell. */
export function cellResult(stored: StoredCell): CellResult {
  const { fingerprint: _f, cellSettings: _s, command: _c, ...cell } = stored;
  return cell;
}
