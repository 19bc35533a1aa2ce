/**
 * A backbone with one PEFT method applied. It forwards like the `ViT` (same methods, same shapes) with the
 * method's hooks included, and knows which parameters train: the method's target parameters plus the head.
 */
import * as tf from '@tensorflow/tfjs';
import { backboneFingerprint } from '../model/fingerprint';
import type { ParamLayout } from '../model/layout';
import { toTorchLayout } from '../model/layout';
import { HEAD_PARAMS, type ClassifierOutput, type EncoderOutput, type ForwardOptions, type NamedTensors, type ViT, type WeightLayout } from '../model/vit';
import type { PeftConfig } from './config';
import type { PeftModule } from './method';

/** Parameter counts of a PEFT model (scalars, not tensors). */
export interface ParameterCounts {
  /** Target parameters of the method (0 for a linear probe). */
  target: number;
  /** Head parameters (always trained). */
  head: number;
  /** Trainable in all: target + head. */
  total: number;
  /** Backbone parameters (head excluded, method modules excluded). */
  backbone: number;
  /** Every parameter of the model: backbone + head + new method modules. */
  all: number;
  /** target / backbone * 100. */
  percentOfBackbone: number;
}

/** A `ViT` with a PEFT method applied. Create with `applyPeft`. */
export class PeftModel {
  /** The backbone (its own weights are not trained unless the method is BitFit or full). */
  readonly base: ViT;
  /** The method's config (frozen, validated). */
  readonly config: PeftConfig;
  /** The method's module (hooks and target parameters). */
  readonly module: PeftModule;
  /** Fingerprint of the backbone when the method was applied (stored in adapter checkpoints). */
  readonly baseFingerprint: string;

  constructor(base: ViT, config: PeftConfig, module: PeftModule) {
    this.base = base;
    this.config = config;
    this.module = module;
    this.baseFingerprint = backboneFingerprint(base);
  }

  /** The backbone's config. */
  get vitConfig() {
    return this.base.config;
  }

  private opts(options: ForwardOptions): ForwardOptions {
    return { ...options, hooks: this.module.hooks };
  }

  /** Images `[N, H, W, C]` → logits `[N, classes]` with the method included. Call inside `tf.tidy`. */
  forward(images: tf.Tensor4D, options: ForwardOptions = {}): tf.Tensor2D {
    return this.base.forward(images, this.opts(options));
  }

  /** Logits plus, when asked, per-block features and attention maps. */
  forwardDetailed(images: tf.Tensor4D, options: ForwardOptions = {}): ClassifierOutput {
    return this.base.forwardDetailed(images, this.opts(options));
  }

  /** Patchified input `[N, L, P*P*C]` → logits `[N, classes]`. */
  forwardPatches(patches: tf.Tensor3D, options: ForwardOptions = {}): tf.Tensor2D {
    return this.base.forwardPatches(patches, this.opts(options));
  }

  /** Patch embedding with the method's hooks (SSF on `patch_embed.proj`): `[N, L', PPC]` → `[N, L', D]`. */
  embedPatches(patches: tf.Tensor3D, options: ForwardOptions = {}): tf.Tensor3D {
    return this.base.embedPatches(patches, this.opts(options));
  }

  /** The encoder with the method's hooks on embedded tokens `[N, T, D]` → normed tokens `[N, T, D]`. */
  encode(tokens: tf.Tensor3D, options: ForwardOptions = {}): EncoderOutput {
    return this.base.encode(tokens, this.opts(options));
  }

  /** The method's target parameters by name (no head). */
  targetParameters(): Map<string, tf.Variable> {
    return new Map(this.module.params);
  }

  /** The head's parameters (`head.weight`, `head.bias`). */
  headParameters(): Map<string, tf.Variable> {
    return new Map(HEAD_PARAMS.map((n) => [n, this.base.param(n)] as [string, tf.Variable]));
  }

  /** What an optimiser should train: target parameters then the head. */
  trainableParameters(): Map<string, tf.Variable> {
    return new Map([...this.module.params, ...this.headParameters()]);
  }

  /** Layout of a trainable parameter (for PyTorch-layout export). */
  layoutOf(name: string): ParamLayout {
    const l = this.module.layouts.get(name) ?? this.base.layouts.get(name);
    if (!l) throw new Error(`PeftModel has no trainable parameter "${name}".`);
    return l;
  }

  /** Copies of the trainable parameters (target + head) by name, in the given layout. Caller disposes. */
  adapterWeights(layout: WeightLayout = 'internal'): NamedTensors {
    const out: NamedTensors = new Map();
    const { patchSize, channels } = this.base.config;
    for (const [name, v] of this.trainableParameters()) {
      out.set(name, layout === 'internal' ? v.clone() : toTorchLayout(v, this.layoutOf(name), patchSize, channels));
    }
    return out;
  }

  /** Parameter counts (see `ParameterCounts`). */
  counts(): ParameterCounts {
    const size = (m: Map<string, tf.Variable>) => [...m.values()].reduce((s, v) => s + v.size, 0);
    const target = size(this.module.params);
    const head = size(this.headParameters());
    const backbone = this.base.backboneNames().reduce((s, n) => s + this.base.param(n).size, 0);
    const all = backbone + head + (this.module.ownsParams ? target : 0);
    return { target, head, total: target + head, backbone, all, percentOfBackbone: (100 * target) / backbone };
  }

  /**
   * One line like HF peft's `print_trainable_parameters`, e.g.
   * `lora: trainable params: 4,746 (target 4,096 + head 650) || all params: 208,074 || trainable%: 2.2809 || target/backbone%: 1.9748`.
   */
  summary(): string {
    const c = this.counts();
    const f = (n: number) => n.toLocaleString('en-US');
    return `${this.config.method}: trainable params: ${f(c.total)} (target ${f(c.target)} + head ${f(c.head)}) || all params: ${f(c.all)} || trainable%: ${((100 * c.total) / c.all).toFixed(4)} || target/backbone%: ${c.percentOfBackbone.toFixed(4)}`;
  }

  /** Where the method's modules sit, one human-readable line each. */
  insertionPoints(): string[] {
    return [...this.module.insertionPoints];
  }

  /** Fold LoRA into the backbone weights (faster inference, same outputs within float error). LoRA only. */
  merge(): void {
    if (!this.module.merge) throw new Error(`merge() applies to LoRA; method "${this.config.method}" has nothing to fold into the weights.`);
    this.module.merge();
  }

  /** Undo `merge()`: the backbone weights are restored bitwise. Do not train while merged. */
  unmerge(): void {
    if (!this.module.unmerge) throw new Error(`unmerge() applies to LoRA; method "${this.config.method}" has nothing to unmerge.`);
    this.module.unmerge();
  }

  /** Whether LoRA is currently merged. */
  get merged(): boolean {
    return !!this.module.merged;
  }

  /** Dispose the method's own variables (unmerging first if needed); the backbone stays alive. */
  dispose(): void {
    if (this.module.merged) this.unmerge();
    if (this.module.ownsParams) for (const v of this.module.params.values()) v.dispose();
  }
}
