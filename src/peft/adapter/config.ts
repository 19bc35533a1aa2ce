/**
 * Bottleneck adapter config: `parallel` (AdaptFormer, Chen et al. 2022: a bottleneck MLP beside each block's
 * MLP, output scaled by `scale`) or `sequential` (Houlsby et al. 2019: a bottleneck after the attention branch
 * and after the MLP branch, each with its own skip connection).
 */
import { checkOptions, optionDefaults, type PeftOption } from '../options';

/** Adapter settings. */
export interface AdapterConfig {
  readonly method: 'adapter';
  /** `parallel` (AdaptFormer) or `sequential` (Houlsby). */
  readonly style: 'parallel' | 'sequential';
  /** Bottleneck width b (down-projection D → b, up-projection b → D). */
  readonly bottleneck: number;
  /** Output scale s of the parallel adapter (AdaptFormer uses 0.1); ignored by `sequential`. */
  readonly scale: number;
}

/**
 * Adapter options. Defaults: parallel, bottleneck 8, scale 0.1. A bottleneck wider than the model width is
 * refused when the model is known (`applyPeft`).
 */
export const ADAPTER_OPTIONS: readonly PeftOption[] = [
  { name: 'style', type: 'choice', choices: ['parallel', 'sequential'], default: 'parallel', flag: 'style', help: 'adapter style: parallel (AdaptFormer) or sequential (Houlsby)' },
  { name: 'bottleneck', type: 'int', min: 1, default: 8, flag: 'bottleneck', help: 'adapter bottleneck width' },
  { name: 'scale', type: 'number', default: 0.1, flag: 'scale', help: 'parallel adapter output scale' },
];

/** The default adapter config. */
export const ADAPTER_DEFAULTS: AdapterConfig = optionDefaults<AdapterConfig>('adapter', ADAPTER_OPTIONS);

/** Throw naming the bad field. */
export function validateAdapterConfig(c: AdapterConfig): void {
  checkOptions('adapter', c, ADAPTER_OPTIONS);
}
