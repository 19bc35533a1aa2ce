/** SSF config (Lian et al. 2022): per-channel scale and shift after chosen ops. */
import { checkOptions, optionDefaults, type PeftOption } from '../options';

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

/** SSF options. Default: after every op, as in the SSF paper. */
export const SSF_OPTIONS: readonly PeftOption[] = [
  { name: 'targets', type: 'strings', default: ['patch_embed.proj', 'norm1', 'qkv', 'proj', 'norm2', 'fc1', 'fc2', 'norm'], flag: 'targets', help: 'SSF target ops, comma-separated (any of the default ones or full names)' },
  { name: 'targetRegex', type: 'string', flag: 'target-regex', help: 'SSF: a regex over op names, used instead of the targets' },
];

/** The default SSF config. */
export const SSF_DEFAULTS: SsfConfig = optionDefaults<SsfConfig>('ssf', SSF_OPTIONS);

/** Throw naming the bad field. */
export function validateSsfConfig(c: SsfConfig): void {
  checkOptions('ssf', c, SSF_OPTIONS);
}
