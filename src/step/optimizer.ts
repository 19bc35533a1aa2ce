/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization") over an explicit map of variables, so the
 * trainable set is exactly what the caller passes (the PEFT target parameters and the head) and nothing else.
 * Its state (moments and step) can be read and restored for checkpoints and resumed runs.
 */
import { tf } from '../backend';
import { ownKernelsActive } from '../kernels/wasm';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (PyTorch's AdamW default is 0.01; ViT fine-tuning commonly uses 0.05). */
  weightDecay?: number;
  /** Parameters that get no weight decay; default: biases, norms, tokens and 1-D tensors. */
  noDecay?: (name: string, shape: number[]) => boolean;
  /**
   * A factor on the learning rate per parameter (PyTorch's parameter groups), e.g. a faster head than target
   * parameters. Default 1 for every parameter.
   */
  lrScale?: (name: string) => number;
}

/** Default no-decay rule: biases, LayerNorm/SSF scales, class/prompt/mask tokens and position embeddings. */
export function defaultNoDecay(name: string, shape: number[]): boolean {
  return shape.length <= 1 || /(^|\.)(bias|cls_token|pos_embed|mask_token|prompt[s]?)$/.test(name) || /norm/.test(name);
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly noDecay: (name: string, shape: number[]) => boolean;
  /** Each parameter's learning-rate factor (`lrScale`), fixed when the optimiser is made. */
  private readonly lrFactor = new Map<string, number>();
  /** Number of updates applied so far. */
  step = 0;
  private m = new Map<string, tf.Variable>();
  private v = new Map<string, tf.Variable>();
  /** The last update's norm before clipping: a number from the host loop, a scalar tensor from the tfjs ops. */
  private norm: number | tf.Scalar = NaN;

  constructor(readonly params: Map<string, tf.Variable>, opts: AdamWOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.noDecay = opts.noDecay ?? defaultNoDecay;
    for (const name of params.keys()) {
      const k = opts.lrScale ? opts.lrScale(name) : 1;
      if (!(Number.isFinite(k) && k >= 0)) throw new Error(`AdamW: lrScale for "${name}" must be a finite number >= 0, got ${k}.`);
      this.lrFactor.set(name, k);
    }
    for (const [name, p] of params) {
      // Inside tidy: the zeros tensor a variable is made from would otherwise stay alive beside it.
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false, `adamw/${name}/m/${uid()}`)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false, `adamw/${name}/v/${uid()}`)));
    }
  }

  /**
   * Apply one update from gradients keyed like `params` (missing names are skipped), with learning rate `baseLr`
   * times each parameter's `lrScale` factor. With `clipNorm` > 0 the gradients are first scaled so their global
   * L2 norm is at most `clipNorm` (as `clipByGlobalNorm` does); that norm before clipping is kept for `lastNorm()`.
   * The caller keeps ownership of `grads`.
   *
   * Where the backend keeps tensors in host memory and our kernels are on (`ownKernelsActive()`: wasm, cpu) the
   * update runs as one loop over each parameter's values in JavaScript (double precision, stored as float32): two
   * kernels' worth of copying per tensor instead of about 20 small kernels per parameter. Elsewhere (GPU backends)
   * it runs as tfjs ops with no read back to the host: the norm stays a tensor until someone asks for it.
   */
  apply(grads: Map<string, tf.Tensor> | Record<string, tf.Tensor>, baseLr: number, clipNorm = 0): void {
    const g = grads instanceof Map ? grads : new Map(Object.entries(grads));
    this.forgetNorm();
    if (ownKernelsActive()) {
      this.norm = this.applyOnHost(g, baseLr, clipNorm);
      return;
    }
    if (!(clipNorm > 0)) {
      this.applyOps(g, baseLr);
      return;
    }
    const clipped = clipByGlobalNorm(g, clipNorm);
    try {
      this.applyOps(clipped.grads, baseLr);
    } finally {
      tf.dispose([...clipped.grads.values()]);
    }
    this.norm = clipped.norm;
  }

  /**
   * The global gradient norm before clipping of the last `apply` (NaN when clipping was off or nothing was applied),
   * read asynchronously: on a GPU backend this is the only read of it, so a caller that never asks never waits.
   */
  async lastNorm(): Promise<number> {
    const n = this.norm;
    return typeof n === 'number' ? n : (await n.data())[0];
  }

  private forgetNorm(): void {
    if (typeof this.norm !== 'number') this.norm.dispose();
    this.norm = NaN;
  }

  /** The update on the host: read parameter, gradient and moments, update in place, write the three back. */
  private applyOnHost(g: Map<string, tf.Tensor>, baseLr: number, clipNorm: number): number {
    const names = [...this.params.keys()].filter((n) => g.has(n));
    const gv = names.map((n) => g.get(n)!.dataSync() as Float32Array);
    let norm = NaN;
    let scale = 1;
    if (clipNorm > 0) {
      let sq = 0;
      for (const a of gv) for (let i = 0; i < a.length; i++) sq += a[i] * a[i];
      norm = Math.sqrt(sq);
      scale = Math.min(1, clipNorm / (norm + 1e-6));
    }
    this.step++;
    const { beta1: b1, beta2: b2, eps } = this;
    const bc1 = 1 - b1 ** this.step;
    const bc2 = 1 - b2 ** this.step;
    names.forEach((name, k) => {
      const p = this.params.get(name)!;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      const gr = gv[k];
      const pv = Float32Array.from(p.dataSync() as Float32Array);
      const mv = Float32Array.from(m.dataSync() as Float32Array);
      const vv = Float32Array.from(v.dataSync() as Float32Array);
      const lr = baseLr * this.lrFactor.get(name)!;
      const keep = 1 - lr * (this.noDecay(name, p.shape) ? 0 : this.weightDecay);
      for (let i = 0; i < pv.length; i++) {
        const gi = gr[i] * scale;
        const mi = b1 * mv[i] + (1 - b1) * gi;
        const vi = b2 * vv[i] + (1 - b2) * gi * gi;
        mv[i] = mi;
        vv[i] = vi;
        // Decoupled decay, then the Adam step (PyTorch's AdamW order), as in applyOps.
        pv[i] = pv[i] * keep - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
      }
      for (const [variable, values] of [[p, pv], [m, mv], [v, vv]] as const) {
        const t = tf.tensor(values, variable.shape, 'float32');
        variable.assign(t);
        t.dispose();
      }
    });
    return norm;
  }

  /** The update as tfjs ops (GPU backends). */
  private applyOps(g: Map<string, tf.Tensor>, baseLr: number): void {
    this.step++;
    const bc1 = 1 - this.beta1 ** this.step;
    const bc2 = 1 - this.beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const grad = g.get(name);
        if (!grad) continue;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const mNew = m.mul(this.beta1).add(grad.mul(1 - this.beta1));
        const vNew = v.mul(this.beta2).add(grad.square().mul(1 - this.beta2));
        m.assign(mNew);
        v.assign(vNew);
        const update = mNew.div(bc1).div(vNew.div(bc2).sqrt().add(this.eps));
        const decay = this.noDecay(name, p.shape) ? 0 : this.weightDecay;
        const lr = baseLr * this.lrFactor.get(name)!;
        // Decoupled decay: w <- w - lr * wd * w, then the Adam step (PyTorch's AdamW order).
        const decayed = decay ? p.mul(1 - lr * decay) : p;
        p.assign(decayed.sub(update.mul(lr)));
      }
    });
  }

  /** The optimiser state as named tensors (`<param>.exp_avg`, `<param>.exp_avg_sq`), for checkpoints. */
  stateTensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const name of this.params.keys()) {
      out.set(`${name}.exp_avg`, this.m.get(name)!);
      out.set(`${name}.exp_avg_sq`, this.v.get(name)!);
    }
    return out;
  }

  /** Restore what `stateTensors` and `step` saved; shapes must match. */
  loadState(tensors: Map<string, tf.Tensor>, step: number): void {
    for (const [name, p] of this.params) {
      for (const [suffix, store] of [['exp_avg', this.m], ['exp_avg_sq', this.v]] as const) {
        const t = tensors.get(`${name}.${suffix}`);
        if (!t) throw new Error(`Optimizer state has no "${name}.${suffix}": the checkpoint was written for other trainable parameters.`);
        if (t.shape.join() !== p.shape.join()) {
          throw new Error(`Optimizer state "${name}.${suffix}" has shape [${t.shape}] but the parameter has [${p.shape}].`);
        }
        store.get(name)!.assign(t);
      }
    }
    this.step = step;
  }

  dispose(): void {
    this.forgetNorm();
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Most tensors one `tf.addN` may sum. WebGPU guarantees a shader 8 storage buffers (the output and 7 inputs);
 * an addN over every gradient of a model needs more and Dawn rejects its pipeline.
 */
export const ADDN_MAX_INPUTS = 7;

/**
 * The sum of `terms` by `tf.addN` over at most `ADDN_MAX_INPUTS` tensors at a time, each chunk adding to the sum
 * of the ones before: the same left-to-right order as one `addN` (which wasm and cpu sum in that order).
 */
export function sumInChunks(terms: tf.Tensor[]): tf.Tensor {
  if (terms.length === 0) throw new Error('sumInChunks: nothing to sum.');
  return tf.tidy(() => {
    let sum = tf.addN(terms.slice(0, ADDN_MAX_INPUTS));
    for (let i = ADDN_MAX_INPUTS; i < terms.length; i += ADDN_MAX_INPUTS - 1) sum = tf.addN([sum, ...terms.slice(i, i + ADDN_MAX_INPUTS - 1)]);
    return sum;
  });
}

/** Scale gradients so their global L2 norm is at most `maxNorm`; returns the new map and the norm before clipping. */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  const names = [...grads.keys()];
  // tf.tidy keeps only tensors it can see in the returned value (arrays, not Maps).
  const [norm, ...scaled] = tf.tidy(() => {
    const all = names.map((k) => grads.get(k)!);
    const n = tf.sqrt(sumInChunks(all.map((g) => g.square().sum()))) as tf.Scalar;
    const scale = tf.minimum(1, tf.div(maxNorm, n.add(1e-6)));
    return [n, ...all.map((g) => g.mul(scale))];
  });
  return { grads: new Map(names.map((k, i) => [k, scaled[i]])), norm: norm as tf.Scalar };
}

let counter = 0;
function uid(): number {
  return ++counter;
}
