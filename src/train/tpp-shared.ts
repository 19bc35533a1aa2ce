/**
 * A TPP adapter shared between runs: the notebooks (04 writes it, 05 and 07 reuse it), the ready-made adapters
 * in data/ and a grid's TPP adapters (`tpp/<key>/adapter.safetensors`, which carry these settings too). An adapter is reused only when the settings stored in it equal the ones asked for (backbone weights,
 * method, pretext, epochs, batch, learning rate, seed, pixel normalisation and the exact images); otherwise TPP
 * runs and writes it. The stored settings also say what differed when an adapter is passed over.
 */
import { checkpointInfoOf } from '../checkpoint/checkpoint';
import { numExamples } from '../data/sets/dataset';
import { whereIs, type FileStore, type NamedBytes } from '../io/store';
import { backboneFingerprint } from '../model/fingerprint';
import { STAGE_DEFAULTS } from './defaults';
import { datasetFingerprint, describeDiff, RESULTS_VERSION } from './settings-fingerprint';
import { checkRecord } from './settings-record';
import { targetParameterPretrain, type TppOptions, type TppResult } from './tpp';

/** Options of `sharedTppAdapter`: those of TPP, with the store it writes to and the ready adapters. */
export interface SharedTppOptions extends TppOptions {
  /**
   * The shared adapter's store (its `adapter.safetensors`: reused when it matches, written otherwise): under Node
   * `stageFiles(folder)` (src/io/stage-files.ts), in a web page `memoryStore()`.
   */
  files: FileStore;
  /** Train even when a matching adapter exists (default false). */
  recompute?: boolean;
  /** Ready-made adapters (e.g. the files in data/, under Node `fileBytes(path)`) to use when the store has no matching one. */
  ready?: readonly NamedBytes[];
}

/** Where the adapter came from, and the TPP run when there was one. */
export interface SharedTppResult {
  /** The adapter: its bytes (`init` of `finetune`) and its name (a path under Node). */
  adapter: NamedBytes;
  /** `adapter.name`. */
  adapterPath: string;
  /** `trained`: TPP ran now; `reused`: the one in `files`; `ready`: one of `ready`. */
  source: 'trained' | 'reused' | 'ready';
  /** One sentence for a notebook: what was used and why (e.g. which setting differed). */
  note: string;
  /** The TPP run (its PEFT model is the caller's to dispose) when `source` is `trained`. */
  trained?: TppResult;
}

/** The settings that decide a TPP adapter's values, as stored in its metadata (`tppSettings`). */
export async function tppSettings(o: TppOptions): Promise<Record<string, unknown>> {
  return {
    resultsVersion: RESULTS_VERSION,
    backbone: await backboneFingerprint(o.backbone),
    method: o.method,
    pretext: o.pretext ?? 'mae',
    maskRatio: o.maskRatio ?? null,
    trainDecoder: o.trainDecoder ?? false,
    epochs: o.epochs ?? STAGE_DEFAULTS.tpp.epochs,
    batchSize: Math.min(o.batchSize ?? STAGE_DEFAULTS.tpp.batchSize, numExamples(o.images)),
    lr: o.lr ?? STAGE_DEFAULTS.tpp.lr,
    seed: o.seed ?? 0,
    normalization: o.normalization,
    images: { source: o.images.source, count: numExamples(o.images), fingerprint: datasetFingerprint(o.images) },
  };
}

/** The key of the shared adapter in its store. */
const ADAPTER = 'adapter.safetensors';

/** Why the adapter `file` (null: none there) does not match `wanted` ('' when it does). */
function mismatch(file: NamedBytes | null, wanted: Record<string, unknown>): string {
  let stored: unknown;
  try {
    if (!file) throw new Error('none');
    stored = checkpointInfoOf(file.bytes, file.name).metadata.tppSettings;
  } catch {
    return 'no readable adapter there';
  }
  if (stored === undefined) return 'it stores no TPP settings';
  const check = checkRecord({ settings: stored }, wanted);
  if (check.state === 'done') return '';
  // Fingerprints (backbone, images) are named, not printed: 64 hex digits say nothing to a reader.
  const diff = check.diff.map((d) => d.replace(/^([^:]+): "sha256:[0-9a-f]+" → .*$/, '$1 differs'));
  return `its settings differ (${describeDiff(diff, 3)})`;
}

/**
 * The TPP adapter for these settings: the one in `files` if its stored settings match, else the first matching
 * one of `ready`, else a new TPP run written to `files` (also when `recompute` is set).
 */
export async function sharedTppAdapter(o: SharedTppOptions): Promise<SharedTppResult> {
  const wanted = await tppSettings(o);
  const ownName = whereIs(o.files, ADAPTER);
  const own = (): NamedBytes | null => {
    const bytes = o.files.readBytes(ADAPTER);
    return bytes ? { name: ownName, bytes } : null;
  };
  const reasons: string[] = [];
  if (!o.recompute) {
    const mine = own();
    const ownWhy = mismatch(mine, wanted);
    if (!ownWhy) return { adapter: mine!, adapterPath: ownName, source: 'reused', note: `Reusing the TPP adapter in ${o.files.root} (same settings; set recompute to train it again).` };
    reasons.push(`${ownName}: ${ownWhy}`);
    for (const file of o.ready ?? []) {
      const why = mismatch(file, wanted);
      if (!why) return { adapter: file, adapterPath: file.name, source: 'ready', note: `Using the ready-made TPP adapter ${file.name} (same settings; set recompute to train it here).` };
      reasons.push(`${file.name}: ${why}`);
    }
  }
  const trained = await targetParameterPretrain({ ...o, metadata: { ...o.metadata, tppSettings: wanted } });
  const why = o.recompute ? 'recompute was asked for' : `no matching adapter (${reasons.join('; ')})`;
  return { adapter: own()!, adapterPath: ownName, source: 'trained', note: `Trained TPP and wrote ${ownName} (${why}).`, trained };
}
