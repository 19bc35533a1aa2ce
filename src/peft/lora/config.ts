/** LoRA config (Hu et al. 2021): rank r, alpha (scale alpha / r), dropout on the module input, target modules. */
import { requireKnownFields, requirePositiveInt } from '../method';

/** LoRA's settings. */
export interface LoraConfig {
  readonly method: 'lora';
  /** Rank r of A `[in, r]` and B `[r, out]`. */
  readonly rank: number;
  /** Scale numerator: the update is `(alpha / rank) * x A B`. */
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

/** Defaults: rank 4, alpha 4 (scale 1), no dropout, targets q and v (the LoRA paper's choice). */
export const LORA_DEFAULTS: LoraConfig = Object.freeze({ method: 'lora', rank: 4, alpha: 4, dropout: 0, targets: Object.freeze(['q', 'v']) });

/** Throw naming the bad field. */
export function validateLoraConfig(c: LoraConfig): void {
  requireKnownFields('lora', c, ['method', 'rank', 'alpha', 'dropout', 'targets', 'targetRegex']);
  requirePositiveInt('lora', 'rank', c.rank);
  if (typeof c.alpha !== 'number' || !Number.isFinite(c.alpha) || c.alpha <= 0) {
    throw new Error(`lora config: alpha must be a positive number, got ${JSON.stringify(c.alpha)}.`);
  }
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) {
    throw new Error(`lora config: dropout must be in [0, 1), got ${JSON.stringify(c.dropout)}.`);
  }
  if (!Array.isArray(c.targets) || c.targets.some((t) => typeof t !== 'string')) {
    throw new Error('lora config: targets must be an array of module names, e.g. ["q", "v"].');
  }
  if (c.targetRegex !== undefined && typeof c.targetRegex !== 'string') {
    throw new Error('lora config: targetRegex must be a string.');
  }
}
