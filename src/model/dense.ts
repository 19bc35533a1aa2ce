/**
 * The few numeric building blocks of the ViT, written for the wasm backend:
 * - `linear` / `matMul2d`: rank-2 matmuls with a custom gradient that transposes explicitly. tfjs's default
 *   matMul gradient uses transpose flags, which send wasm to a loop about 11x slower than its XNNPACK kernel
 *   (measured with tfjs 4.22's wasm backend in Node); explicit transposes keep every backward matmul on the fast
 *   path. test/model-dense.test.ts checks the gradient against tfjs's own and finite differences.
 * - `gelu`: exact GELU (erf), PyTorch's default, with a closed-form gradient.
 * - `layerNorm`: over the last axis, eps 1e-6 like timm's ViT.
 * On backends that keep tensors in host memory (wasm, cpu), `gelu` and `layerNorm` run forward and backward as
 * one WebAssembly SIMD kernel each (src/kernels/elementwise.ts); elsewhere as the tfjs ops below.
 *
 * Weights are stored `[in, out]` (so the forward is `x @ W` with no flag); checkpoints transpose to PyTorch's
 * `[out, in]` on export.
 */
import * as tf from '@tensorflow/tfjs';
import { geluBackwardTensor, geluForwardTensor, geluKernelFits, layerNormBackwardTensors, layerNormForwardTensors, layerNormKernelFits } from '../kernels/elementwise';
import { ownKernelsActive } from '../kernels/wasm';

/** LayerNorm epsilon of timm's ViT. */
export const LAYER_NORM_EPS = 1e-6;

type GradArg = tf.Tensor | tf.GradSaveFunc;

/**
 * The weight gradient `x^T dy` (`[in, out]`) of a dense layer. wasm's fast matmul packs its second operand on every
 * call, so a thin layer (LoRA's B: in = r, out = 3D) would pack all of dy (`[M, out]`) for a tiny product; there
 * `(dy^T x)^T` packs x (`[M, in]`) instead and is several times faster. Same values up to float rounding.
 */
function weightGrad(x: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D {
  if (dy.shape[1] >= 4 * x.shape[1]) return tf.transpose(tf.matMul(tf.transpose(dy), x)) as tf.Tensor2D;
  return tf.matMul(tf.transpose(x), dy);
}

const onesRows = new Map<number, tf.Tensor2D>();

/**
 * The bias gradient: dy `[M, out]` summed over its rows. On our host backends as `ones[1, M] @ dy` (wasm's
 * fast matmul: about 20 µs for `[1088, 192]`, where wasm's Sum over the first axis takes about 170 µs); elsewhere
 * tfjs's sum. Same values up to float rounding.
 */
function biasGrad(dy: tf.Tensor2D): tf.Tensor1D {
  if (!ownKernelsActive()) return tf.sum(dy, 0);
  const m = dy.shape[0];
  let ones = onesRows.get(m);
  if (!ones || ones.isDisposed) {
    ones = tf.keep(tf.ones([1, m]) as tf.Tensor2D);
    onesRows.set(m, ones);
  }
  return tf.matMul(ones, dy).reshape([dy.shape[1]]);
}

const linearWithBias = tf.customGrad((...args: GradArg[]) => {
  const [x, w, b] = args as tf.Tensor[];
  (args[3] as tf.GradSaveFunc)([x, w]);
  return {
    value: tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(sw)), weightGrad(sx, dy2), biasGrad(dy2)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

const linearNoBias = tf.customGrad((...args: GradArg[]) => {
  const [x, w] = args as tf.Tensor[];
  (args[2] as tf.GradSaveFunc)([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(sw)), weightGrad(sx, dy2)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * Weights a training step updates, while a `withTrainable` scope is open (null: unknown, compute everything).
 * tf.variableGrads differentiates only the listed variables, but a custom gradient computes the gradient of
 * every input; for a frozen weight that is a wasted `x^T @ dy` matmul per dense layer (about a third of a
 * PEFT step's backward matmul work).
 */
let trainableScope: Set<tf.Tensor> | null = null;

/**
 * Run `f` (a forward pass that will be differentiated, e.g. inside `tf.variableGrads`) telling `linear` which
 * weights train: a dense weight outside `trainable` gets no weight gradient (its input and bias still do).
 * Gradients of the listed variables are unchanged. Scopes do not nest; the previous one is restored.
 */
export function withTrainable<T>(trainable: Iterable<tf.Tensor>, f: () => T): T {
  const previous = trainableScope;
  trainableScope = new Set(trainable);
  try {
    return f();
  } finally {
    trainableScope = previous;
  }
}

/**
 * `x @ w + b` with `w` frozen: `w` is captured, not an input, so the backward pass computes no `dW`. A frozen bias
 * variable is captured too (no `db`); a trained or derived bias (BitFit's) stays an input with its gradient.
 */
function linearFrozenWeight(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null): tf.Tensor2D {
  const wT = () => tf.transpose(w);
  if (b === null || (b instanceof tf.Variable && !trainableScope?.has(b))) {
    return tf.customGrad((...args: GradArg[]) => {
      const xi = args[0] as tf.Tensor2D;
      const y = tf.matMul(xi, w);
      return { value: b === null ? y : tf.add(y, b), gradFunc: (dy: tf.Tensor) => [tf.matMul(dy as tf.Tensor2D, wT())] };
    })(x) as tf.Tensor2D;
  }
  return tf.customGrad((...args: GradArg[]) => {
    const [xi, bi] = args as tf.Tensor[];
    return {
      value: tf.add(tf.matMul(xi as tf.Tensor2D, w), bi),
      gradFunc: (dy: tf.Tensor) => [tf.matMul(dy as tf.Tensor2D, wT()), biasGrad(dy as tf.Tensor2D)],
    };
  })(x, b) as tf.Tensor2D;
}

/**
 * Dense layer `y = x @ w + b` for x `[M, in]`, w `[in, out]`, b `[out]` → `[M, out]`, with the explicit-transpose
 * gradient described above. Pass `b = null` for a bias-free map (LoRA's A and B). Inside `withTrainable`, a
 * weight variable not in the trainable set gets no gradient work.
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null): tf.Tensor2D {
  if (x.rank !== 2 || w.rank !== 2) {
    throw new Error(`linear expects x [M, in] and w [in, out] (rank 2), got ranks ${x.rank} and ${w.rank}; reshape to 2-D first.`);
  }
  // Only a variable can be frozen: a derived weight (a slice of pos_embed, a one-hot) may carry a gradient.
  if (trainableScope && w instanceof tf.Variable && !trainableScope.has(w)) return linearFrozenWeight(x, w, b);
  return b === null ? linearNoBias(x, w) : linearWithBias(x, w, b);
}

/** `a @ b` for rank-2 tensors with the fast explicit-transpose gradient (same as `linear(a, b, null)`). */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return linear(a, b, null);
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const geluExact = tf.customGrad((...args: GradArg[]) => {
  const x = args[0] as tf.Tensor;
  (args[1] as tf.GradSaveFunc)([x]);
  return {
    // 0.5 x (1 + erf(x / sqrt 2))
    value: tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, SQRT1_2)), 1)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx] = saved;
      // d/dx = Phi(x) + x * phi(x)
      const cdf = tf.mul(tf.add(tf.erf(tf.mul(sx, SQRT1_2)), 1), 0.5);
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(sx), -0.5)), INV_SQRT_2PI);
      return [tf.mul(dy, tf.add(cdf, tf.mul(sx, pdf)))];
    },
  };
}) as <T extends tf.Tensor>(x: T) => T;

const geluKernel = tf.customGrad((...args: GradArg[]) => {
  const x = args[0] as tf.Tensor;
  (args[1] as tf.GradSaveFunc)([x]);
  return { value: geluForwardTensor(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [geluBackwardTensor(saved[0], dy)] };
}) as <T extends tf.Tensor>(x: T) => T;

/** Exact GELU `0.5 x (1 + erf(x / sqrt 2))` (PyTorch's `F.gelu` default), any shape. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return x.dtype === 'float32' && ownKernelsActive() && geluKernelFits(x.size) ? geluKernel(x) : geluExact(x);
}

/** `gelu` on tfjs ops only (what it runs on GPU backends); for tests and A/B measurements against the kernel. */
export function geluOps<T extends tf.Tensor>(x: T): T {
  return geluExact(x);
}

const layerNormOp = new Map<number, (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D) => tf.Tensor2D>();

/** The custom-gradient LayerNorm for one epsilon (cached: customGrad builds a new op each call). */
function layerNormFor(eps: number): (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D) => tf.Tensor2D {
  let op = layerNormOp.get(eps);
  if (op) return op;
  op = tf.customGrad((...args: GradArg[]) => {
    const [x, gamma, beta] = args as tf.Tensor[];
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
    const xhat = tf.mul(centered, rstd);
    (args[3] as tf.GradSaveFunc)([xhat, rstd, gamma]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxhat, srstd, sgamma] = saved;
        // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma (the standard LayerNorm backward).
        const g = tf.mul(dy, sgamma);
        const inner = tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(sxhat, tf.mean(tf.mul(g, sxhat), -1, true)));
        return [tf.mul(inner, srstd), tf.sum(tf.mul(dy, sxhat), 0), tf.sum(dy, 0)];
      },
    };
  }) as (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D) => tf.Tensor2D;
  layerNormOp.set(eps, op);
  return op;
}

/**
 * LayerNorm over the last axis: `(x - mean) / sqrt(var + eps) * gamma + beta`; x `[M, D]`, gamma, beta `[D]`.
 * Hand-written gradient (saves the normalised x and 1/std; about half the kernels of tfjs's automatic
 * gradient through `moments`); `layerNormPlain` is the reference it is tested against.
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = LAYER_NORM_EPS): tf.Tensor2D {
  if (x.rank !== 2) throw new Error(`layerNorm expects x [M, D] (rank 2), got rank ${x.rank}; reshape to 2-D first.`);
  if (x.dtype === 'float32' && ownKernelsActive() && layerNormKernelFits(x.shape[1])) return layerNormKernelFor(eps)(x, gamma, beta);
  return layerNormFor(eps)(x, gamma, beta);
}

/** `layerNorm` on tfjs ops only (what it runs on GPU backends); for tests and A/B measurements against the kernel. */
export function layerNormOps(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = LAYER_NORM_EPS): tf.Tensor2D {
  return layerNormFor(eps)(x, gamma, beta);
}

const layerNormKernelOp = new Map<number, (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D) => tf.Tensor2D>();

/** The LayerNorm on the WebAssembly kernel for one epsilon (keeps xhat and 1/std for the backward pass). */
function layerNormKernelFor(eps: number): (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D) => tf.Tensor2D {
  let op = layerNormKernelOp.get(eps);
  if (op) return op;
  op = tf.customGrad((...args: GradArg[]) => {
    const [x, gamma, beta] = args as tf.Tensor[];
    const f = layerNormForwardTensors(x as tf.Tensor2D, gamma as tf.Tensor1D, beta as tf.Tensor1D, eps);
    (args[3] as tf.GradSaveFunc)([f.xhat, f.rstd, gamma]);
    return {
      value: f.y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = layerNormBackwardTensors(dy, saved[0] as tf.Tensor2D, saved[1], saved[2]);
        return [g.dx, g.dgamma, g.dbeta];
      },
    };
  }) as (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D) => tf.Tensor2D;
  layerNormKernelOp.set(eps, op);
  return op;
}

/** LayerNorm written with tfjs's `moments` and its automatic gradient (the reference for `layerNorm`). */
export function layerNormPlain(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = LAYER_NORM_EPS): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, gamma), beta) as tf.Tensor2D;
}
