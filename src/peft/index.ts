/**
 * PEFT registry: `applyPeft(model, config)` applies one method to a ViT and returns a `PeftModel`.
 *
 * Methods: `lora`, `adapter` (parallel / sequential), `prompt` (shallow / deep), `bitfit`, `ssf`, and the
 * baselines `linear-probe` and `full`. Build a config with `peftConfig('lora', { rank: 8 })`.
 */
import type { ViT } from '../model/vit';
import { ADAPTER } from './adapter/adapter';
import { BITFIT } from './bitfit/bitfit';
import type { PeftConfig, PeftMethodName } from './config';
import { FULL } from './full/full';
import { LINEAR_PROBE } from './linear-probe/linear-probe';
import { LORA } from './lora/lora';
import type { PeftMethod } from './method';
import { PeftModel } from './model';
import { resolveOptions } from './options';
import { PROMPT } from './prompt/prompt';
import { SSF } from './ssf/ssf';

export * from './config';
export { PeftModel, type ParameterCounts, type PeftModelOptions } from './model';
export type { PeftMethod, PeftModule } from './method';
export { matchesTarget, selectTargets } from './match';
export { checkOptions, defaultText, describeOption, type OptionValue, type PeftOption } from './options';

/** Every method by name. */
export const PEFT_METHODS: { readonly [K in PeftMethodName]: PeftMethod<Extract<PeftConfig, { method: K }>> } = Object.freeze({
  lora: LORA,
  adapter: ADAPTER,
  prompt: PROMPT,
  bitfit: BITFIT,
  ssf: SSF,
  'linear-probe': LINEAR_PROBE,
  full: FULL,
});

/** Method names in listing order. */
export const PEFT_METHOD_NAMES = Object.keys(PEFT_METHODS) as PeftMethodName[];

function methodOf(name: string): PeftMethod<PeftConfig> {
  const m = (PEFT_METHODS as Record<string, PeftMethod<PeftConfig>>)[name];
  if (!m) throw new Error(`Unknown PEFT method "${name}". Use one of: ${PEFT_METHOD_NAMES.join(', ')}.`);
  return m;
}

/**
 * A validated, frozen config: the method's defaults with `overrides` (undefined values count as not given), e.g.
 * `peftConfig('lora', { rank: 8 })` (alpha follows the rank: 8). The CLI's method flags build their config here too.
 */
export function peftConfig<K extends PeftMethodName>(
  method: K, overrides: Partial<Omit<Extract<PeftConfig, { method: K }>, 'method'>> = {},
): Extract<PeftConfig, { method: K }> {
  const m = methodOf(method);
  const config = Object.freeze({ ...resolveOptions(m.defaults, m.options, overrides), method }) as Extract<PeftConfig, { method: K }>;
  m.validate(config);
  return config;
}

/** Throw an Error naming the bad field if `config` is not a valid PEFT config. */
export function validatePeftConfig(config: PeftConfig): void {
  if (config === null || typeof config !== 'object' || typeof (config as { method?: unknown }).method !== 'string') {
    throw new Error(`A PEFT config needs a "method" field: one of ${PEFT_METHOD_NAMES.join(', ')}.`);
  }
  methodOf(config.method).validate(config);
}

/** Options of `applyPeft`. */
export interface ApplyPeftOptions {
  /** Seed of the new parameters (LoRA's A, adapters' down-projections, prompts). Default: the model's seed. */
  seed?: number;
}

/**
 * Apply one PEFT method to `model`. The backbone's weights are not modified (LoRA's `merge()` aside); BitFit and
 * full fine-tuning train some or all of them in place. Synchronous on every backend: the backbone's fingerprint
 * as it is now is captured for `await peft.fingerprint()` (see `PeftModel`). Dispose the result with `dispose()`.
 */
export function applyPeft(model: ViT, config: PeftConfig, options: ApplyPeftOptions = {}): PeftModel {
  validatePeftConfig(config);
  const frozen = Object.freeze(JSON.parse(JSON.stringify(config))) as PeftConfig;
  const module = methodOf(frozen.method).apply(model, frozen, { seed: options.seed ?? model.seed });
  return new PeftModel(model, frozen, module);
}
