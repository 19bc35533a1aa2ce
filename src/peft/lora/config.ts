/** LoRA config (Hu et al. 2021): rank r, alpha (scale alpha / r), dropout on the module input, target modules. */
import { checkOptions, optionDefaults, type PeftOption } from '../options';

/** LoRA's settings. */
export interface LoraConfig {
  readonly method: 'lora';
  /** Rank r of A `[in, r]` and B `[r, out]`. */
  readonly rank: number;
  /** Scale numerator: the update is `(alpha / rank) * x A B`. Defaults to the rank (scale 1). */
  readonly alpha: number;
  /** Dropout probability on the LoRA input while training (0 = none). */
  readonly dropout: number;
  /**
   * Modules to adapt, by exact name or dotted suffix: any of `qkv`, `q`, `k`, `v` (q/k/v are the thirds of the
   * fused qkv output), `proj`, `fc1`, `fc2`, or full names like `blocks.3.attn.qkv`.
   */
  readonly targets: readonly string[];
  /** If set, a regex (full match over module names) used instead of `targets`. */
  readonly targetRegex?: string;
}

/**
 * LoRA's options. Defaults: rank 4, alpha = rank (scale 1 at any rank), no dropout, targets q and v (the LoRA
 * paper's choice). A rank above a target's width is refused when the model is known (`applyPeft`).
 */
export const LORA_OPTIONS: readonly PeftOption[] = [
  { name: 'rank', type: 'int', min: 1, default: 4, flag: 'rank', help: 'LoRA rank r of the update x A B' },
  { name: 'alpha', type: 'number', exclusiveMin: 0, default: 4, defaultFrom: 'rank', flag: 'alpha', help: 'LoRA alpha: the update is scaled by alpha / rank' },
  { name: 'dropout', type: 'number', min: 0, exclusiveMax: 1, default: 0, flag: 'dropout', help: 'LoRA dropout on the module input while training' },
  { name: 'targets', type: 'strings', default: ['q', 'v'], flag: 'targets', help: 'LoRA target modules, comma-separated (qkv, q, k, v, proj, fc1, fc2 or full names)' },
  { name: 'targetRegex', type: 'string', flag: 'target-regex', help: 'LoRA: a regex over module names, used instead of the targets' },
];

/** The default LoRA config. */
export const LORA_DEFAULTS: LoraConfig = optionDefaults<LoraConfig>('lora', LORA_OPTIONS);

/** Throw naming the bad field. */
export function validateLoraConfig(c: LoraConfig): void {
  checkOptions('lora', c, LORA_OPTIONS);
}
