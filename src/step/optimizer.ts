/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization") over an explicit map of variables, so the
 * trainable set is exactly what the caller passes (the PEFT target parameters and the head) and nothing else.
 * Its state (moments and step) can be read and restored for checkpoints and resumed runs.
 */
import { tf } from '../backend';

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
   * times each parameter's `lrScale` factor.
   */
  apply(grads: Map<string, tf.Tensor> | Record<string, tf.Tensor>, baseLr: number): void {
    const g = grads instanceof Map ? grads : new Map(Object.entries(grads));
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
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/** Scale gradients so their global L2 norm is at most `maxNorm`; returns the new map and the norm before clipping. */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  const names = [...grads.keys()];
  // tf.tidy keeps only tensors it can see in the returned value (arrays, not Maps).
  const [norm, ...scaled] = tf.tidy(() => {
    const all = names.map((k) => grads.get(k)!);
    const n = tf.sqrt(tf.addN(all.map((g) => g.square().sum()))) as tf.Scalar;
    const scale = tf.minimum(1, tf.div(maxNorm, n.add(1e-6)));
    return [n, ...all.map((g) => g.mul(scale))];
  });
  return { grads: new Map(names.map((k, i) => [k, scaled[i]])), norm: norm as tf.Scalar };
}

let counter = 0;
function uid(): number {
  return ++counter;
}
