/**
 * Benchmark tasks: the model work `tpp-lab bench` times, built from OUR model code (ViT, LoRA via `applyPeft`,
 * MAE with the preset's decoder) so a faster task means faster training. The presets and variants mean the
 * same model and work as the PyTorch twin's (`scripts/torch_vit.py`, timed by `scripts/torch_bench.py`):
 * - `fwd`: ViT inference (no gradient);
 * - `full`: every ViT weight trained, softmax cross-entropy;
 * - `lora`: LoRA rank 4 on q and v, only LoRA and the head trained;
 * - `mae`: MAE pre-training, mask ratio 0.75, the preset's decoder, encoder and decoder trained.
 *
 * A task's batch is a `HostBatch` (src/parallel/task.ts: typed arrays, rows first) so it can be sliced and sent to
 * `worker_threads` workers unchanged: the MAE masks are drawn for the whole batch on the host.
 */
import { tf } from '../backend';
import { vitConfig, numPatches, type PresetName, type ViTConfig } from '../model/config';
import { createMAE, DECODER_PRESETS, randomMasking, type MAE, type Masking } from '../model/mae';
import { createViT, type ViT } from '../model/vit';
import { applyPeft, peftConfig, type PeftModel } from '../peft/index';
import type { GradTask, HostBatch } from '../parallel/task';
import { mulberry32 } from '../data/sets/random';
import { stepSeed } from '../step/seed';

export { sliceBatch, type GradTask, type HostBatch } from '../parallel/task';

/** What a bench step does (see the file comment). */
export type BenchVariant = 'fwd' | 'full' | 'lora' | 'mae';
/** Every variant, in table order. */
export const BENCH_VARIANTS: readonly BenchVariant[] = ['fwd', 'full', 'lora', 'mae'];
/** Presets the bench knows (the PyTorch twin's: `PRESETS` in scripts/torch_vit.py). */
export const BENCH_PRESETS: readonly PresetName[] = ['tiny', 'tutorial', 'p4', 'small7', 'large'];
/** Default batch of each preset (scripts/torch_bench.py's `BATCH` for the twin's presets). */
export const BENCH_BATCH: Readonly<Record<PresetName, number>> = { tiny: 8, tutorial: 64, p4: 64, small: 64, small7: 64, tutorial64: 64, g64: 64, large: 32 };

/** Shape fields a bench may change from its preset (for sweeps of step time against image size and depth). */
export type BenchShape = Partial<Pick<ViTConfig, 'imageSize' | 'patchSize' | 'depth'>>;

/** Serializable description of a task; a worker builds the same task from it. */
export interface BenchTaskSpec {
  preset: PresetName;
  variant: BenchVariant;
  /** Seed of the weights and of the random batches. */
  seed: number;
  /** Overrides of the preset's shape (default: none); the MAE decoder stays the preset's. */
  shape?: BenchShape;
}

/** A bench task: a `GradTask` plus its spec and random batches. */
export interface BenchTask extends GradTask {
  readonly spec: BenchTaskSpec;
  /** The ViT's configuration (the preset's, with the spec's shape overrides). */
  readonly config: ViTConfig;
  /** A random batch of `n` images for step `step` (deterministic in the seed and step). */
  makeBatch(n: number, step: number): HostBatch;
}

/** Build the task `spec` on the current backend (call `initBackend()` first). */
export function createBenchTask(spec: BenchTaskSpec): BenchTask {
  if (!BENCH_PRESETS.includes(spec.preset)) throw new Error(`Unknown bench preset "${spec.preset}"; use one of ${BENCH_PRESETS.join(', ')}.`);
  if (!BENCH_VARIANTS.includes(spec.variant)) throw new Error(`Unknown bench variant "${spec.variant}"; use one of ${BENCH_VARIANTS.join(', ')}.`);
  const config = vitConfig(spec.preset, spec.shape ?? {});
  const vit = createViT(config, { seed: spec.seed });
  const { imageSize: s, channels: c, numClasses: k } = config;
  const l = numPatches(config);
  let peft: PeftModel | null = null;
  let mae: MAE | null = null;
  let params: Map<string, tf.Variable>;
  let trainable: string[];
  if (spec.variant === 'mae') {
    mae = createMAE(vit, DECODER_PRESETS[spec.preset], { seed: spec.seed });
    params = new Map([...vit.params, ...mae.decoderParams]);
    trainable = [...mae.trainableParameters().keys()];
  } else if (spec.variant === 'lora') {
    peft = applyPeft(vit, peftConfig('lora', { rank: 4, targets: ['q', 'v'] }), { seed: spec.seed });
    params = new Map([...vit.params, ...peft.targetParameters()]);
    trainable = [...peft.trainableParameters().keys()];
  } else {
    params = new Map(vit.params);
    trainable = spec.variant === 'full' ? [...vit.trainableParameters().keys()] : [];
  }
  const images = (b: HostBatch) => tf.tensor4d(b.arrays.images as Float32Array, [b.n, s, s, c]);
  const logits = (b: HostBatch, training: boolean) => (peft ? peft.forward(images(b), { training }) : vit.forward(images(b), { training }));
  return {
    spec,
    config,
    ref: { module: __filename, factory: 'createBenchTask', options: spec },
    params,
    trainable,
    makeBatch(n, step) {
      // Pixels and labels from draw 1 of the step's seed; MAE masks from draw 0, as pre-training draws them.
      const rand = mulberry32(stepSeed(spec.seed, step, 1));
      const pixels = new Float32Array(n * s * s * c);
      for (let i = 0; i < pixels.length; i++) pixels[i] = rand();
      const labels = new Int32Array(n);
      for (let i = 0; i < n; i++) labels[i] = Math.floor(rand() * k);
      const arrays: HostBatch['arrays'] = { images: pixels, labels };
      if (spec.variant === 'mae') {
        const m = randomMasking(n, l, 0.75, stepSeed(spec.seed, step));
        arrays.keep = m.keep;
        arrays.mask = m.mask;
      }
      return { n, arrays };
    },
    loss(b) {
      if (mae) return mae.forward(images(b), { masking: maskingOf(b, l), training: true }).loss;
      const onehot = tf.oneHot(tf.tensor1d(b.arrays.labels as Int32Array, 'int32'), k).cast('float32');
      return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits(b, true))), 1))) as tf.Scalar;
    },
    forward(b) {
      return logits(b, false);
    },
    dispose() {
      peft?.dispose();
      mae?.dispose();
      vit.dispose();
    },
  };
}

/** The MAE masking stored in a host batch. */
function maskingOf(b: HostBatch, l: number): Masking {
  const keep = b.arrays.keep as Int32Array;
  return { keep, mask: b.arrays.mask as Float32Array, n: b.n, numPatches: l, numKept: keep.length / b.n };
}
