/**
 * Bottleneck adapter config: `parallel` (AdaptFormer, Chen et al. 2022: a bottleneck MLP beside each block's
 * MLP, output scaled by `scale`) or `sequential` (Houlsby et al. 2019: a bottleneck after the attention branch
 * and after the MLP branch, each with its own skip connection).
 */
import { requireKnownFields, requirePositiveInt } from '../method';

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

/** Defaults: parallel, bottleneck 8, scale 0.1. */
export const ADAPTER_DEFAULTS: AdapterConfig = Object.freeze({ method: 'adapter', style: 'parallel', bottleneck: 8, scale: 0.1 });

/** Throw naming the bad field. */
export function validateAdapterConfig(c: AdapterConfig): void {
  requireKnownFields('adapter', c, ['method', 'style', 'bottleneck', 'scale']);
  if (c.style !== 'parallel' && c.style !== 'sequential') {
    throw new Error(`adapter config: style must be "parallel" or "sequential", got ${JSON.stringify(c.style)}.`);
  }
  requirePositiveInt('adapter', 'bottleneck', c.bottleneck);
  if (typeof c.scale !== 'number' || !Number.isFinite(c.scale)) {
    throw new Error(`adapter config: scale must be a finite number, got ${JSON.stringify(c.scale)}.`);
  }
}
