/** The PEFT config union (each method's readonly config, told apart by `method`). */
import type { AdapterConfig } from './adapter/config';
import type { BitFitConfig } from './bitfit/bitfit';
import type { FullConfig } from './full/full';
import type { LinearProbeConfig } from './linear-probe/linear-probe';
import type { LoraConfig } from './lora/config';
import type { PromptConfig } from './prompt/config';
import type { SsfConfig } from './ssf/config';

export type { AdapterConfig, BitFitConfig, FullConfig, LinearProbeConfig, LoraConfig, PromptConfig, SsfConfig };

/** Any method's config. Plain JSON data (stored in adapter checkpoints). */
export type PeftConfig = LoraConfig | AdapterConfig | PromptConfig | BitFitConfig | SsfConfig | LinearProbeConfig | FullConfig;

/** Method names: `lora`, `adapter`, `prompt`, `bitfit`, `ssf`, `linear-probe`, `full`. */
export type PeftMethodName = PeftConfig['method'];
