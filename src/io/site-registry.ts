/**
 * One backbone, one adapter per site: a registry that maps a site (e.g. `ultrasound`, `xray`) to the adapter
 * file fine-tuned for it and loads that adapter onto the shared backbone when an image from the site arrives.
 * Adapters are checked against the backbone when registered (fingerprint), so a wrong backbone fails early.
 */
import { loadAdapter, readCheckpointInfo } from '../io/checkpoint';
import { withNewHead } from '../model/head';
import type { ViT } from '../model/vit';
import type { PeftModel } from '../peft/index';

/** A registered site. */
export interface SiteEntry {
  site: string;
  path: string;
  /** Size of the adapter file in bytes. */
  bytes: number;
  /** Parameters stored in the file (target parameters + head). */
  parameters: number;
  /** Modality recorded in the adapter's metadata, if any. */
  modality: string | null;
  classNames: string[] | null;
}

/**
 * Adapters per site on one backbone. `modelFor(site)` loads (once) and returns the site's model: a copy of the
 * backbone with the site's head (the only backbone-sized state a site needs is that head; the backbone tensors
 * are never modified by LoRA) plus the site's target parameters. Dispose the registry to free them.
 */
export class SiteRegistry {
  private readonly entries = new Map<string, SiteEntry>();
  private readonly loaded = new Map<string, { peft: PeftModel; model: ViT }>();

  constructor(readonly backbone: ViT) {}

  /** Register `path` for `site`; throws if the adapter was trained on another backbone (fingerprint) or is not an adapter. */
  async register(site: string, path: string): Promise<SiteEntry> {
    const info = await readCheckpointInfo(path);
    if (info.kind !== 'adapter') throw new Error(`SiteRegistry: ${path} is a ${info.kind} file, not an adapter.`);
    const entry: SiteEntry = {
      site, path, bytes: info.fileBytes, parameters: info.parameters,
      modality: typeof info.metadata.modality === 'string' ? info.metadata.modality : null,
      classNames: Array.isArray(info.metadata.classNames) ? (info.metadata.classNames as string[]) : null,
    };
    // Load once to check it fits this backbone (config and fingerprint), then keep it.
    this.unload(site);
    this.loaded.set(site, await this.load(path));
    this.entries.set(site, entry);
    return entry;
  }

  /** The registered sites, in registration order. */
  sites(): SiteEntry[] {
    return [...this.entries.values()];
  }

  /** The model for `site`; an error listing the registered sites when it is unknown. */
  modelFor(site: string): PeftModel {
    const m = this.loaded.get(site);
    if (!m) throw new Error(`SiteRegistry: no adapter for site "${site}". Registered: ${[...this.entries.keys()].join(', ') || 'none'}; call register(site, path) first.`);
    return m.peft;
  }

  private async load(path: string): Promise<{ peft: PeftModel; model: ViT }> {
    const info = await readCheckpointInfo(path);
    const classes = info.vitConfig?.numClasses ?? this.backbone.config.numClasses;
    const model = withNewHead(this.backbone, classes, 0);
    try {
      return { peft: await loadAdapter(path, model), model };
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  private unload(site: string): void {
    const m = this.loaded.get(site);
    if (m) {
      m.peft.dispose();
      m.model.dispose();
      this.loaded.delete(site);
    }
  }

  /** Free every loaded site model (the shared backbone stays alive). */
  dispose(): void {
    for (const site of [...this.loaded.keys()]) this.unload(site);
    this.entries.clear();
  }
}
