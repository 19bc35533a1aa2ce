/**
 * Why TPP helps or not, not only whether: for one target and each TPP adapter of a study (method x arm x TPP
 * seed), against the backbone without any adapter (arm `none`):
 *
 * 1. frozen-feature quality: the linear probe and weighted kNN of train/probe.ts on the target's training split (all
 *    labels), scored on its test split;
 * 2. how far the adapter moves the features: linear CKA (analysis/cka.ts) between the pooled test features without and
 *    with it;
 * 3. the pretext itself: the MAE masked-patch loss on the test images, with the same masks (fixed seed) without
 *    and with it;
 * 4. update sizes: the L2 norm of the adapter's target parameters, of its change from the seeded init TPP
 *    started from, and (from the study's cells) the mean fine-tuning movement `targetShift` of the cells that
 *    start from that adapter (or from no TPP).
 */
import { tf } from '../backend';
import type { Normalization } from '../data/sets/batches';
import type { Dataset } from '../data/sets/dataset';
import { loadAdapter, readCheckpointInfo } from '../io/checkpoint';
import { loadDecoder } from '../io/decoder';
import type { MAE } from '../model/mae';
import type { VitHooks } from '../model/hooks';
import type { ViT } from '../model/vit';
import { applyPeft, type PeftModel } from '../peft/index';
import { maeLoss } from '../train/pretrain';
import { linearCka } from '../analysis/cka';
import type { PlainTensor } from '../analysis/lora-svd';
import { parameterChanges, snapshotTensors } from '../analysis/params';
import { type FeatureSource, type Features, knnProbe, linearProbe, pooledFeatures, probeMetric } from '../train/probe';

/** A TPP adapter of a study: `<target>/tpp/<method>__<arm>__s<tppSeed>/adapter.safetensors`. */
export interface TppAdapterFile {
  method: string;
  arm: string;
  tppSeed: number;
  path: string;
}

/** The fields of a study cell (`CellResult`) the update-size columns read. */
export interface CellShift {
  method: string;
  arm: string;
  tppSeed?: number | null;
  targetShift?: number;
}

/** Inputs of `diagnoseTarget`. */
export interface DiagnoseOptions {
  /** The backbone the study's adapters were pre-trained on (its fingerprint is checked per adapter). */
  backbone: ViT;
  /** The MAE decoder saved beside the backbone. */
  decoderPath: string;
  /** Pixel normalisation the study used (the backbone's, see `normalizationFrom`). */
  normalization: Normalization;
  /** The target: the probes train on `train` (all labels) and are scored on `test`; CKA and MAE use `test`. */
  target: { name: string; train: Dataset; test: Dataset };
  /** Methods of the study: each gets a `none` row. */
  methods: readonly string[];
  adapters: readonly TppAdapterFile[];
  /** The study's fine-tuning cells of this target (for `ft_shift_*`); none: those columns are NaN. */
  cells?: readonly CellShift[];
  /** Seed of the MAE masks (default 0) and masked fraction (default 0.75, TPP's). */
  maskSeed?: number;
  maskRatio?: number;
  /** Neighbours of the kNN probe (default 20). */
  k?: number;
  onProgress?: (e: DiagnoseProgress) => void;
}

/** Emitted before each model (the plain backbone, then each adapter) is measured. */
export interface DiagnoseProgress {
  target: string;
  method: string | null;
  arm: string;
  tppSeed: number | null;
  done: number;
  total: number;
}

/** One row of diagnostics.csv. NaN where a figure does not apply (no TPP update for `none`). */
export interface DiagnosticRow {
  target: string;
  method: string;
  arm: string;
  /** The TPP run's seed; null for `none`. */
  tpp_seed: number | null;
  train_images: number;
  test_images: number;
  /** `auc` (two classes) or `accuracy`: the figure in `linear` and `knn`. */
  metric: 'auc' | 'accuracy';
  linear: number;
  knn: number;
  /** This row's probe figure minus the `none` row's. */
  linear_delta: number;
  knn_delta: number;
  /** Linear CKA of the pooled test features without vs with the adapter (1 for `none`). */
  cka: number;
  /** Mean masked-patch MAE loss on the test images (fixed masks), and minus the `none` row's. */
  mae_loss: number;
  mae_loss_delta: number;
  /** L2 norm over all target parameters of the adapter, and of adapter − the seeded init TPP started from. */
  tpp_norm: number;
  tpp_update: number;
  /** Mean `targetShift` (fine-tuning's L2 movement) of the cells that start from this adapter (`none`: no TPP), and their count. */
  ft_shift_mean: number;
  ft_shift_n: number;
}

/** What one model's features and pretext give on the target. */
interface Measured {
  test: Features;
  linear: number;
  knn: number;
  mae: number;
  trainImages: number;
}

function rootSumSquares(xs: number[]): number {
  return Math.sqrt(xs.reduce((s, x) => s + x * x, 0));
}

function meanShift(cells: readonly CellShift[] | undefined, keep: (c: CellShift) => boolean): { mean: number; n: number } {
  const xs = (cells ?? []).filter((c) => keep(c) && typeof c.targetShift === 'number' && Number.isFinite(c.targetShift)).map((c) => c.targetShift!);
  return { mean: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN, n: xs.length };
}

/**
 * Diagnostics of one target: a `none` row per method (the plain backbone), then a row per adapter, in the order
 * given. Each adapter is loaded onto `backbone` and removed again (methods that train backbone tensors in place,
 * BitFit and full fine-tuning, get their tensors restored), so `backbone` is unchanged afterwards.
 */
export async function diagnoseTarget(options: DiagnoseOptions): Promise<DiagnosticRow[]> {
  const { backbone, normalization, target } = options;
  const maskSeed = options.maskSeed ?? 0;
  const maskRatio = options.maskRatio ?? 0.75;
  const emit = options.onProgress ?? (() => {});
  const total = 1 + options.adapters.length;
  const mae: MAE = await loadDecoder(options.decoderPath, backbone);
  try {
    const measure = async (model: FeatureSource, hooks: VitHooks | undefined): Promise<Measured> => {
      const train = await pooledFeatures(model, target.train, normalization);
      const test = await pooledFeatures(model, target.test, normalization);
      const metric = probeMetric(train.classes);
      const linear = (await linearProbe(train, test))[metric];
      const knn = (await knnProbe(train, test, { k: options.k }))[metric];
      const loss = await maeLoss(mae, target.test, normalization, { seed: maskSeed, maskRatio, hooks });
      return { test, linear, knn, mae: loss, trainImages: train.labels.length };
    };
    emit({ target: target.name, method: null, arm: 'none', tppSeed: null, done: 0, total });
    const base = await measure(backbone, undefined);
    const metric = probeMetric(base.test.classes);
    const row = (method: string, arm: string, tppSeed: number | null, m: Measured, sizes: { norm: number; update: number }, shift: { mean: number; n: number }): DiagnosticRow => ({
      target: target.name, method, arm, tpp_seed: tppSeed, train_images: m.trainImages, test_images: m.test.labels.length, metric,
      linear: m.linear, knn: m.knn, linear_delta: m.linear - base.linear, knn_delta: m.knn - base.knn, cka: linearCka(base.test, m.test),
      mae_loss: m.mae, mae_loss_delta: m.mae - base.mae, tpp_norm: sizes.norm, tpp_update: sizes.update, ft_shift_mean: shift.mean, ft_shift_n: shift.n,
    });
    const rows = options.methods.map((method) => row(method, 'none', null, base, { norm: NaN, update: NaN }, meanShift(options.cells, (c) => c.method === method && c.arm === 'none')));
    let done = 1;
    for (const a of options.adapters) {
      emit({ target: target.name, method: a.method, arm: a.arm, tppSeed: a.tppSeed, done: done++, total });
      const { peft, init } = await attachAdapter(backbone, a);
      try {
        const changes = parameterChanges(init, await snapshotTensors(peft.targetParameters()));
        const sizes = { norm: rootSumSquares(changes.map((c) => c.normAfter)), update: rootSumSquares(changes.map((c) => c.normDelta)) };
        const m = await measure(peft, peft.module.hooks);
        rows.push(row(a.method, a.arm, a.tppSeed, m, sizes, meanShift(options.cells, (c) => c.method === a.method && c.arm === a.arm && c.tppSeed === a.tppSeed)));
      } finally {
        detachAdapter(peft, init);
      }
    }
    return rows;
  } finally {
    mae.dispose();
  }
}

/**
 * Apply the adapter file's method to `backbone` with the seed its TPP run started from (so `init` is that start),
 * then load the file's target parameters over it.
 */
async function attachAdapter(backbone: ViT, a: TppAdapterFile): Promise<{ peft: PeftModel; init: Map<string, PlainTensor> }> {
  const info = await readCheckpointInfo(a.path);
  if (info.kind !== 'adapter' || !info.peftConfig) throw new Error(`${a.path} is not a tpp-lab adapter (${info.kind} file); it should hold the TPP run ${a.method} / ${a.arm} / seed ${a.tppSeed}.`);
  if (info.peftConfig.method !== a.method) throw new Error(`${a.path} is a ${info.peftConfig.method} adapter, but the study names it as ${a.method}; is the folder from another plan?`);
  if (info.metadata.stage !== undefined && info.metadata.stage !== 'tpp') throw new Error(`${a.path} was written by ${String(info.metadata.stage)}, not by TPP.`);
  const seed = typeof info.metadata.seed === 'number' ? info.metadata.seed : a.tppSeed;
  const peft = applyPeft(backbone, info.peftConfig, { seed });
  const init = await snapshotTensors(peft.targetParameters());
  try {
    await loadAdapter(a.path, peft, { head: false });
  } catch (e) {
    detachAdapter(peft, init);
    throw e;
  }
  return { peft, init };
}

/** Dispose `peft`; for methods whose targets are backbone tensors, put back their values from `init` first. */
function detachAdapter(peft: PeftModel, init: Map<string, PlainTensor>): void {
  if (!peft.module.ownsParams) {
    for (const [name, v] of peft.targetParameters()) {
      const s = init.get(name)!;
      tf.tidy(() => v.assign(tf.tensor(s.data, s.shape)));
    }
  }
  peft.dispose();
}
