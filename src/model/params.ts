/**
 * The one way a model part makes its parameters: a `ParamStore` creates named `tf.Variable`s from an init rule,
 * with their layout (how each converts to PyTorch's layout in checkpoints) and trainable flag, and looks them up
 * by name. The ViT, the MAE decoder, the segmentation heads, the pretext heads and the PEFT methods all build
 * theirs here, so a name is a checkpoint key everywhere (`blocks.3.attn.qkv.weight`, `blocks.3.attn.q.lora_A`,
 * `seg_head.proj.weight`), and a seeded init draws from (seed, name) only (src/model/init.ts): adding a parameter
 * leaves the values of the others unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { normal, truncatedNormal, uniform } from './init';
import type { ParamLayout } from './layout';

/**
 * How a parameter's first values are made:
 * - `zeros`, `ones`: constants (biases, LayerNorm, LoRA's B, adapters' up-projections);
 * - `truncNormal` (±2 std), `normal`, `uniform` (in [-limit, limit)): seeded draws keyed by the parameter's name;
 * - `values`: given values (fixed sin-cos position embeddings).
 */
export type Init =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  | { readonly kind: 'truncNormal'; readonly std: number }
  | { readonly kind: 'normal'; readonly std: number }
  | { readonly kind: 'uniform'; readonly limit: number }
  | { readonly kind: 'values'; readonly values: Float32Array };

/** Zeros. */
export const ZEROS: Init = Object.freeze({ kind: 'zeros' });
/** Ones. */
export const ONES: Init = Object.freeze({ kind: 'ones' });
/** timm's `trunc_normal_(std=.02)`, the default of every dense weight. */
export const TRUNC_NORMAL_02: Init = Object.freeze({ kind: 'truncNormal', std: 0.02 });

/** Options of `ParamStore.add`. */
export interface ParamOptions {
  /** PyTorch layout (default `plain`: the same in both). */
  layout?: ParamLayout;
  /** Whether an optimiser may train it (default true; fixed sin-cos position embeddings are not). */
  trainable?: boolean;
  /**
   * Name the seeded draw is keyed by, when it is not the parameter's own (the SimSiam pretext's weights were
   * drawn with their layer's name, `pretext.projector.fc1`; kept so its runs reproduce bitwise).
   */
  initKey?: string;
}

/** The values of `init` for `n` numbers of parameter `key` under `seed`. */
function initValues(init: Init, n: number, seed: number, key: string): Float32Array {
  switch (init.kind) {
    case 'zeros': return new Float32Array(n);
    case 'ones': return new Float32Array(n).fill(1);
    case 'truncNormal': return truncatedNormal(n, init.std, seed, key);
    case 'normal': return normal(n, init.std, seed, key);
    case 'uniform': return uniform(n, init.limit, seed, key);
    case 'values': {
      if (init.values.length !== n) throw new Error(`init values for "${key}" have ${init.values.length} numbers; the shape needs ${n}.`);
      return init.values;
    }
  }
}

/** Named parameters of one model part, in creation order (the order of its state dict). */
export class ParamStore {
  /** Variables by name, in creation order. */
  readonly params = new Map<string, tf.Variable>();
  /** Layout of each parameter. */
  readonly layouts = new Map<string, ParamLayout>();

  /**
   * @param owner what the parameters belong to, for error messages (`ViT`, `MAE decoder`, `lora`)
   * @param seed the seed of every seeded init
   */
  constructor(readonly owner: string, readonly seed: number) {}

  /** Create parameter `name` of `shape` from `init`; a second parameter of the same name is an Error. */
  add(name: string, shape: readonly number[], init: Init, options: ParamOptions = {}): tf.Variable {
    if (this.params.has(name)) throw new Error(`${this.owner}: parameter "${name}" is created twice.`);
    const values = initValues(init, shape.reduce((a, b) => a * b, 1), this.seed, options.initKey ?? name);
    const v = tf.tidy(() => tf.variable(tf.tensor(values, [...shape], 'float32'), options.trainable ?? true));
    this.params.set(name, v);
    this.layouts.set(name, options.layout ?? 'plain');
    return v;
  }

  /**
   * A dense layer `name`: `name.weight` `[fanIn, fanOut]` (timm's truncated normal, std 0.02, unless `weight`
   * says otherwise; layout `linear` unless `options.layout` says otherwise) and `name.bias` `[fanOut]` (zeros).
   */
  addLinear(name: string, fanIn: number, fanOut: number, weight: Init = TRUNC_NORMAL_02, options: Pick<ParamOptions, 'layout' | 'initKey'> = {}): void {
    this.add(`${name}.weight`, [fanIn, fanOut], weight, { layout: options.layout ?? 'linear', initKey: options.initKey });
    this.add(`${name}.bias`, [fanOut], ZEROS);
  }

  /** A LayerNorm `name` of width `width`: `name.weight` (ones) and `name.bias` (zeros). */
  addNorm(name: string, width: number): void {
    this.add(`${name}.weight`, [width], ONES);
    this.add(`${name}.bias`, [width], ZEROS);
  }

  /** The parameter `name` (throws, listing a few names, if there is none). */
  get(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`${this.owner} has no parameter "${name}"; it has e.g. ${[...this.params.keys()].slice(0, 6).join(', ')}, ...`);
    return v;
  }

  /** The trainable parameters by name. */
  trainable(): Map<string, tf.Variable> {
    return new Map([...this.params].filter(([, v]) => v.trainable));
  }

  /** Number of scalar parameters. */
  numParameters(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Dispose every variable. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
