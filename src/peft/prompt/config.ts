/** Visual prompt tuning config (Jia et al. 2022): `tokens` learned prompts, `shallow` (input only) or `deep` (every block). */
import { checkOptions, optionDefaults, type PeftOption } from '../options';

/** Prompt settings. */
export interface PromptConfig {
  readonly method: 'prompt';
  /** Prompt tokens per layer. */
  readonly tokens: number;
  /** `shallow`: prompts enter before block 0; `deep`: new prompts replace the previous ones before every block. */
  readonly depth: 'shallow' | 'deep';
}

/** Prompt options. Defaults: 8 shallow prompt tokens. */
export const PROMPT_OPTIONS: readonly PeftOption[] = [
  { name: 'tokens', type: 'int', min: 1, default: 8, flag: 'prompts', help: 'prompt tokens (per block when deep)' },
  { name: 'depth', type: 'choice', choices: ['shallow', 'deep'], default: 'shallow', flag: 'depth', help: 'prompt depth: shallow (input only) or deep (every block)' },
];

/** The default prompt config. */
export const PROMPT_DEFAULTS: PromptConfig = optionDefaults<PromptConfig>('prompt', PROMPT_OPTIONS);

/** Throw naming the bad field. */
export function validatePromptConfig(c: PromptConfig): void {
  checkOptions('prompt', c, PROMPT_OPTIONS);
}
