/**
 * The contract every PEFT method fulfils: a readonly config with a `validate()`, and an `apply()` that builds a
 * small module (new variables + hooks into the backbone) without touching the backbone's own weights.
 */
import * as tf from '@tensorflow/tfjs';
import type { VitHooks } from '../model/hooks';
import type { ParamLayout } from '../model/layout';
import type { ViT } from '../model/vit';
import type { PeftOption } from './options';

/** What applying a method to a backbone produced. */
export interface PeftModule {
  /** Hooks the backbone's forward calls (empty for BitFit, linear probe and full fine-tuning). */
  readonly hooks: VitHooks;
  /**
   * The target parameters by PyTorch-style name (`blocks.3.attn.qkv.lora_A`). For LoRA, adapters, prompts and
   * SSF these are new variables owned by the module; for BitFit and full fine-tuning they are the backbone's own.
   */
  readonly params: Map<string, tf.Variable>;
  /** Layout of each target parameter (how it converts to PyTorch's layout in checkpoints). */
  readonly layouts: Map<string, ParamLayout>;
  /** Whether `params` are new variables (disposed with the module) rather than the backbone's. */
  readonly ownsParams: boolean;
  /** Human-readable insertion points, one line each. */
  readonly insertionPoints: readonly string[];
  /** Fold the module into the backbone weights (LoRA only). */
  merge?(): void;
  /** Undo `merge()`, restoring the backbone weights bitwise. */
  unmerge?(): void;
  /** Whether the module is currently merged. */
  readonly merged?: boolean;
}

/** Options of `apply`. */
export interface ApplyOptions {
  /** Seed of the new parameters' initialisation. */
  seed: number;
}

/** A PEFT method: its name, options (with their defaults), validation and injector. */
export interface PeftMethod<C extends { readonly method: string }> {
  readonly name: C['method'];
  /** One-line description for listings. */
  readonly description: string;
  /** Its settings, each described once (type, bounds, default, help, CLI flag); empty for methods without any. */
  readonly options: readonly PeftOption[];
  /** The default config (frozen), from `options`. */
  readonly defaults: C;
  /** Throw an Error naming the bad field if `config` is unusable. */
  validate(config: C): void;
  /**
   * Build the module for `model`; the backbone's variables are not modified. Settings that do not fit the model
   * (e.g. a LoRA rank above a layer's width) are an Error naming both numbers.
   */
  apply(model: ViT, config: C, options: ApplyOptions): PeftModule;
}
