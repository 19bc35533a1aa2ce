/** SSF config (Lian et al. 2022): per-channel scale and shift after chosen ops. */
import { requireKnownFields } from '../method';

/** SSF settings. */
export interface SsfConfig {
  readonly method: 'ssf';
  /**
   * Ops to follow with scale+shift, by exact name or dotted suffix: any of `patch_embed.proj`, `norm1`, `qkv`,
   * `proj`, `norm2`, `fc1`, `fc2`, `norm` (the final norm), or full names like `blocks.0.attn.qkv`.
   */
  readonly targets: readonly string[];
  /** If set, a regex (full match over op names) used instead of `targets`. */
  readonly targetRegex?: string;
}

/** Defaults: after every op, as in the SSF paper. */
export const SSF_DEFAULTS: SsfConfig = Object.freeze({
  method: 'ssf',
  targets: Object.freeze(['patch_embed.proj', 'norm1', 'qkv', 'proj', 'norm2', 'fc1', 'fc2', 'norm']),
});

/** Throw naming the bad field. */
export function validateSsfConfig(c: SsfConfig): void {
  requireKnownFields('ssf', c, ['method', 'targets', 'targetRegex']);
  if (!Array.isArray(c.targets) || c.targets.some((t) => typeof t !== 'string')) {
    throw new Error('ssf config: targets must be an array of op names, e.g. ["qkv", "fc1"].');
  }
  if (c.targetRegex !== undefined && typeof c.targetRegex !== 'string') throw new Error('ssf config: targetRegex must be a string.');
}
