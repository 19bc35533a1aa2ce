/**
 * How both fine-tuning tasks (classification: finetune.ts, segmentation: segment.ts) start: a copy of the
 * backbone with a new head, the PEFT method applied to it or loaded from a TPP adapter, and a labelled set
 * repeated up to a minimum number of steps per epoch.
 */
import type { Images } from '../data/sets/dataset';
import { loadAdapter } from '../io/checkpoint';
import { withNewHead } from '../model/head';
import type { ViT } from '../model/vit';
import { applyPeft, type PeftConfig, type PeftModel } from '../peft/index';
import { stepsPerEpoch } from './common';

/** A copy of `backbone` with a new `classes`-logit head and the PEFT model on it; the caller disposes both. */
export async function openFinetuneModel(options: { backbone: ViT; method?: PeftConfig; init?: string; seed: number; classes: number }): Promise<{ model: ViT; peft: PeftModel }> {
  const { init, method, seed } = options;
  const model = withNewHead(options.backbone, options.classes, seed);
  let peft: PeftModel | null = null;
  try {
    if (!init && !method) throw new Error('finetune: pass a method (e.g. peftConfig("lora")) or an init adapter to take it from.');
    peft = init ? await loadAdapter(init, model, { head: false }) : applyPeft(model, method!, { seed });
    // Hash the untrained backbone now (webgpu: frees the tensors held for it before training changes them).
    await peft.fingerprint();
    if (init && method && JSON.stringify(peft.config) !== JSON.stringify(method)) {
      throw new Error(`finetune: the init adapter ${init} is a ${JSON.stringify(peft.config)} adapter, but the method asked for is ${JSON.stringify(method)}. Use the same method and settings as the TPP run.`);
    }
    return { model, peft };
  } catch (e) {
    peft?.dispose();
    model.dispose();
    throw e;
  }
}

/**
 * `ds` repeated so that one epoch holds at least `minSteps` batches of `batchSize` (unchanged if it does); `pick`
 * takes the examples at some indices (`subset`, `segSubset`).
 */
export function repeatForSteps<D extends { images: Images; source: string }>(ds: D, batchSize: number, minSteps: number | undefined, pick: (ds: D, indices: Int32Array, source: string) => D): D {
  if (!minSteps || stepsPerEpoch(ds, batchSize) >= minSteps) return ds;
  const n = ds.images.shape[0];
  const copies = Math.ceil((minSteps * batchSize) / n);
  return pick(ds, Int32Array.from({ length: n * copies }, (_, i) => i % n), `${ds.source} x${copies}`);
}
