/**
 * A backbone with one PEFT method applied. It forwards like the `ViT` (same methods, same shapes) with the
 * method's hooks included, and knows which parameters train: the method's target parameters plus the head.
 */
import * as tf from '@tensorflow/tfjs';
import { backboneFingerprintSync, fingerprintOfParams } from '../model/fingerprint';
import type { ParamLayout } from '../model/layout';
import { toTorchLayout } from '../model/layout';
import { HEAD_PARAMS, type ClassifierOutput, type EncoderOutput, type ForwardOptions, type NamedTensors, type ViT, type WeightLayout } from '../model/vit';
import { hostFastPaths } from '../tensor-io';
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

/** Options of the `PeftModel` constructor (`applyPeft` uses the defaults). */
export interface PeftModelOptions {
  /**
   * How the backbone fingerprint is captured at apply time. `true`: computed at once with synchronous reads;
   * `false`: the backbone tensors are captured (`clone()`: shared, not copied, until training replaces them) and
   * hashed asynchronously by the first `fingerprint()` call. Default: `hostFastPaths()` (true on wasm and cpu only).
   */
  syncReads?: boolean;
}

/** A `ViT` with a PEFT method applied. Create with `applyPeft`. */
export class PeftModel {
  /** The backbone (its own weights are not trained unless the method is BitFit or full). */
  readonly base: ViT;
  /** The method's config (frozen, validated). */
  readonly config: PeftConfig;
  /** The method's module (hooks and target parameters). */
  readonly module: PeftModule;
  /** The fingerprint once known. */
  private fingerprintValue: string | null = null;
  /** Backbone tensors as they were at apply time, until hashed (backends without synchronous reads). */
  private fingerprintSnapshot: Map<string, tf.Tensor> | null = null;
  /** The running asynchronous computation, if any. */
  private fingerprintPending: Promise<string> | null = null;

  /**
   * Wrap `base` with an applied method. Captures the backbone's fingerprint as it is now, before any training
   * (BitFit and full fine-tuning train backbone tensors in place): see `PeftModelOptions.syncReads`.
   */
  constructor(base: ViT, config: PeftConfig, module: PeftModule, options: PeftModelOptions = {}) {
    this.base = base;
    this.config = config;
    this.module = module;
    if (options.syncReads ?? hostFastPaths()) {
      this.fingerprintValue = backboneFingerprintSync(base);
    } else {
      // tf.keep: applyPeft may run inside tf.tidy, which must not dispose the capture.
      this.fingerprintSnapshot = new Map(base.backboneNames().map((n) => [n, tf.keep(base.param(n).clone())] as [string, tf.Tensor]));
    }
  }

  /**
   * Fingerprint of the backbone as it was when the method was applied (stored in adapter checkpoints; see
   * `backboneFingerprint`). Works on every backend. On backends without synchronous reads (webgpu) the first
   * call hashes the captured backbone tensors and then frees them; await it before training BitFit or full
   * fine-tuning to avoid holding the original backbone alongside the trained one.
   */
  fingerprint(): Promise<string> {
    if (this.fingerprintValue !== null) return Promise.resolve(this.fingerprintValue);
    if (!this.fingerprintPending) {
      const snapshot = this.fingerprintSnapshot;
      if (!snapshot) return Promise.reject(new Error('PeftModel.fingerprint(): the model was disposed before its backbone fingerprint was read; call fingerprint() before dispose().'));
      this.fingerprintPending = fingerprintOfParams(this.base, snapshot, (name) => snapshot.get(name)!.dispose()).then((value) => {
        this.fingerprintValue = value;
        this.releaseSnapshot();
        return value;
      });
    }
    return this.fingerprintPending;
  }

  private releaseSnapshot(): void {
    if (this.fingerprintSnapshot) tf.dispose([...this.fingerprintSnapshot.values()]);
    this.fingerprintSnapshot = null;
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

  /** Dispose the method's own variables (unmerging first if needed) and any captured backbone tensors; the backbone stays alive. */
  dispose(): void {
    if (this.module.merged) this.unmerge();
    if (this.module.ownsParams) for (const v of this.module.params.values()) v.dispose();
    this.releaseSnapshot();
  }
}
