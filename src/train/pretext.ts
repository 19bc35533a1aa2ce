/**
 * Pretext tasks for Target Parameter Pre-training: self-supervised losses computed through a PEFT model whose
 * backbone is frozen, so only the target parameters (and the pretext's own helper weights) learn.
 *
 * - `mae`: masked-image reconstruction with the decoder saved at backbone pre-training (Lei et al. use MAE as
 *   TPP's pretext). The decoder stays frozen by default: it already maps the backbone's features to pixels, so a
 *   frozen decoder makes the target parameters carry all of the adaptation to the new images, which is what TPP
 *   is meant to pre-train; training it too is an option (`trainDecoder`).
 * - `simsiam`: two augmented views of each image should give the same embedding (Chen & He, "Exploring Simple
 *   Siamese Representation Learning", 2021): projector + predictor MLPs on the class token, negative cosine
 *   similarity with a stop-gradient on the target branch. The projector and predictor are discarded afterwards.
 */
import { tf } from '../backend';
import { mulberry32 } from '../data/sets/random';
import { gelu, layerNorm, linear } from '../model/dense';
import { ParamStore } from '../model/params';
import type { MAE } from '../model/mae';
import type { PeftModel } from '../peft/index';
import { stepSeed } from '../step/seed';

export type PretextName = 'mae' | 'simsiam';
export const PRETEXT_NAMES: readonly PretextName[] = ['mae', 'simsiam'];

/** A self-supervised loss for TPP. */
export interface Pretext {
  readonly name: PretextName;
  /** The pretext's own trainable weights (trained beside the target parameters, then discarded). */
  params(): Map<string, tf.Variable>;
  /** Scalar loss of images `[N, H, W, C]` (normalised) at global step `step`; randomness from `stepSeed(seed, step, draw)`. */
  loss(peft: PeftModel, x: tf.Tensor4D, step: number, seed: number): tf.Scalar;
  /** Settings recorded in the adapter's metadata. */
  describe(): Record<string, unknown>;
  dispose(): void;
}

/** MAE reconstruction through the PEFT hooks. `mae` holds the frozen backbone as its encoder and the decoder. */
export function maePretext(mae: MAE, options: { trainDecoder?: boolean; maskRatio?: number; normPixLoss?: boolean } = {}): Pretext {
  const trainDecoder = options.trainDecoder ?? false;
  const maskRatio = options.maskRatio ?? 0.75;
  return {
    name: 'mae',
    params: () => (trainDecoder ? mae.decoderTrainableParameters() : new Map()),
    loss: (peft, x, step, seed) => {
      if (peft.base !== mae.encoder) throw new Error('maePretext: the PEFT model must wrap the MAE encoder (the same backbone object).');
      return mae.forward(x, { maskRatio, normPixLoss: options.normPixLoss, seed: stepSeed(seed, step), hooks: peft.module.hooks, training: true }).loss;
    },
    describe: () => ({ pretext: 'mae', maskRatio, trainDecoder, normPixLoss: !!options.normPixLoss, decoder: mae.decoderConfig }),
    dispose: () => {},
  };
}

/**
 * A differentiable stop-gradient: identity forward, zero gradient backward (tfjs has no `stopGradient` op).
 */
const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: x.clone(), gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)] };
}) as <T extends tf.Tensor>(x: T) => T;

/** Seeded per-image augmentation in tensor ops: flip, brightness/contrast jitter, patch erasing, noise. */
function augmentView(x: tf.Tensor4D, seed: number, patch: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const rand = mulberry32(seed);
  const flip = new Float32Array(n).map(() => (rand() < 0.5 ? 1 : 0));
  const scale = new Float32Array(n).map(() => 1 + 0.4 * (rand() - 0.5));
  const shift = new Float32Array(n).map(() => 0.4 * (rand() - 0.5));
  // Erase 25 % of the patches (set to the image mean), a crop-like occlusion that keeps the grid.
  const g = h / patch;
  const erase = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < g * g; p++) {
      if (rand() >= 0.25) continue;
      const py = Math.floor(p / g) * patch;
      const px = (p % g) * patch;
      for (let y = 0; y < patch; y++) for (let xx = 0; xx < patch; xx++) erase[i * h * w + (py + y) * w + px + xx] = 1;
    }
  }
  return tf.tidy(() => {
    const f = tf.tensor4d(flip, [n, 1, 1, 1]);
    const flipped = tf.add(tf.mul(f, tf.reverse(x, 2)), tf.mul(tf.sub(1, f), x));
    const jittered = tf.add(tf.mul(flipped, tf.tensor4d(scale, [n, 1, 1, 1])), tf.tensor4d(shift, [n, 1, 1, 1]));
    const e = tf.tensor4d(erase, [n, h, w, 1]);
    const mean = tf.mean(jittered, [1, 2, 3], true);
    const erased = tf.add(tf.mul(jittered, tf.sub(1, e)), tf.mul(mean, e));
    return tf.add(erased, tf.randomNormal([n, h, w, c], 0, 0.05, 'float32', seed % 2147483647)) as tf.Tensor4D;
  });
}

/** SimSiam-style self-distillation on the class token. `projDim` sizes the projector output and predictor. */
export function simsiamPretext(peft: PeftModel, options: { projDim?: number; predDim?: number; seed?: number } = {}): Pretext {
  const d = peft.base.config.dim;
  const proj = options.projDim ?? 2 * d;
  const pred = options.predDim ?? d;
  const seed = options.seed ?? 0;
  const store = new ParamStore('simsiam pretext', seed);
  // He-style std halved; each weight's draw is keyed by its layer's name (`pretext.projector.fc1`).
  const addLinear = (name: string, fanIn: number, fanOut: number) =>
    store.addLinear(name, fanIn, fanOut, { kind: 'truncNormal', std: Math.sqrt(2 / fanIn) * 0.5 }, { initKey: name });
  addLinear('pretext.projector.fc1', d, proj);
  store.addNorm('pretext.projector.norm', proj);
  addLinear('pretext.projector.fc2', proj, proj);
  addLinear('pretext.predictor.fc1', proj, pred);
  store.addNorm('pretext.predictor.norm', pred);
  addLinear('pretext.predictor.fc2', pred, proj);
  const p = (name: string) => store.get(name);
  const mlp = (prefix: string, x: tf.Tensor2D) => {
    const hidden = linear(x, p(`${prefix}.fc1.weight`) as tf.Tensor2D, p(`${prefix}.fc1.bias`) as tf.Tensor1D);
    const normed = layerNorm(hidden, p(`${prefix}.norm.weight`) as tf.Tensor1D, p(`${prefix}.norm.bias`) as tf.Tensor1D);
    return linear(gelu(normed), p(`${prefix}.fc2.weight`) as tf.Tensor2D, p(`${prefix}.fc2.bias`) as tf.Tensor1D);
  };
  const embed = (model: PeftModel, x: tf.Tensor4D): tf.Tensor2D => {
    const tokens = model.forwardDetailed(x, { training: true }).tokens; // [N, T, D], normed
    const [n] = tokens.shape;
    return tf.slice(tokens, [0, 0, 0], [n, 1, d]).reshape([n, d]) as tf.Tensor2D;
  };
  const negCos = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.neg(tf.mean(tf.sum(tf.mul(tf.div(a, tf.norm(a, 2, 1, true).add(1e-6)), tf.div(b, tf.norm(b, 2, 1, true).add(1e-6))), 1)));
  return {
    name: 'simsiam',
    params: () => store.params,
    loss: (model, x, step, runSeed) => {
      const z1 = mlp('pretext.projector', embed(model, augmentView(x, stepSeed(runSeed, step, 0), model.base.config.patchSize)));
      const z2 = mlp('pretext.projector', embed(model, augmentView(x, stepSeed(runSeed, step, 1), model.base.config.patchSize)));
      const p1 = mlp('pretext.predictor', z1);
      const p2 = mlp('pretext.predictor', z2);
      return tf.mul(tf.add(negCos(p1, stopGradient(z2)), negCos(p2, stopGradient(z1))), 0.5) as tf.Scalar;
    },
    describe: () => ({ pretext: 'simsiam', projDim: proj, predDim: pred }),
    dispose: () => store.dispose(),
  };
}
