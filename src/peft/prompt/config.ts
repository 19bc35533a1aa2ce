/** Visual prompt tuning config (Jia et al. 2022): `tokens` learned prompts, `shallow` (input only) or `deep` (every block). */
import { requireKnownFields, requirePositiveInt } from '../method';

/** Prompt settings. */
export interface PromptConfig {
  readonly method: 'prompt';
  /** Prompt tokens per layer. */
  readonly tokens: number;
  /** `shallow`: prompts enter before block 0; `deep`: new prompts replace the previous ones before every block. */
  readonly depth: 'shallow' | 'deep';
}

/** Defaults: 8 shallow prompt tokens. */
export const PROMPT_DEFAULTS: PromptConfig = Object.freeze({ method: 'prompt', tokens: 8, depth: 'shallow' });

/** Throw naming the bad field. */
export function validatePromptConfig(c: PromptConfig): void {
  requireKnownFields('prompt', c, ['method', 'tokens', 'depth']);
  requirePositiveInt('prompt', 'tokens', c.tokens);
  if (c.depth !== 'shallow' && c.depth !== 'deep') {
    throw new Error(`prompt config: depth must be "shallow" or "deep", got ${JSON.stringify(c.depth)}.`);
  }
}
