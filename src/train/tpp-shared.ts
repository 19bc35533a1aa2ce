/**
 * A TPP adapter shared between runs: the notebooks (04 writes it, 05 and 07 reuse it), the ready-made adapters
 * in data/ and a grid's TPP adapters (`tpp/<key>/adapter.safetensors`, which carry these settings too). An adapter is reused only when the settings stored in it equal the ones asked for (backbone weights,
 * method, pretext, epochs, batch, learning rate, seed, pixel normalisation and the exact images); otherwise TPP
 * runs and writes it. The stored settings also say what differed when an adapter is passed over.
 */
import * as path from 'path';
import { numExamples } from '../data/sets/dataset';
import { readCheckpointInfo } from '../io/checkpoint';
import { backboneFingerprint } from '../model/fingerprint';
import { STAGE_DEFAULTS } from './defaults';
import { datasetFingerprint, describeDiff, RESULTS_VERSION } from './settings-fingerprint';
import { checkRecord } from './settings-record';
import { targetParameterPretrain, type TppOptions, type TppResult } from './tpp';

/** Options of `sharedTppAdapter`: those of TPP, with the folder it writes to and where ready adapters are. */
export interface SharedTppOptions extends TppOptions {
  /** Folder of the shared adapter (`<outDir>/adapter.safetensors`): reused when it matches, written otherwise. */
  outDir: string;
  /** Train even when a matching adapter exists (default false). */
  recompute?: boolean;
  /** Ready-made adapter files (e.g. in data/) to use when the shared folder has no matching one. */
  ready?: readonly string[];
}

/** Where the adapter came from, and the TPP run when there was one. */
export interface SharedTppResult {
  adapterPath: string;
  /** `trained`: TPP ran now; `reused`: the one in `outDir`; `ready`: one of `ready`. */
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

/** Why the adapter at `file` does not match `wanted` ('' when it does). */
async function mismatch(file: string, wanted: Record<string, unknown>): Promise<string> {
  let stored: unknown;
  try {
    stored = (await readCheckpointInfo(file)).metadata.tppSettings;
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
 * The TPP adapter for these settings: the one in `outDir` if its stored settings match, else the first matching
 * file of `ready`, else a new TPP run written to `outDir` (also when `recompute` is set).
 */
export async function sharedTppAdapter(o: SharedTppOptions): Promise<SharedTppResult> {
  const wanted = await tppSettings(o);
  const own = path.join(o.outDir, 'adapter.safetensors');
  const reasons: string[] = [];
  if (!o.recompute) {
    const ownWhy = await mismatch(own, wanted);
    if (!ownWhy) return { adapterPath: own, source: 'reused', note: `Reusing the TPP adapter in ${o.outDir} (same settings; set recompute to train it again).` };
    reasons.push(`${own}: ${ownWhy}`);
    for (const file of o.ready ?? []) {
      const why = await mismatch(file, wanted);
      if (!why) return { adapterPath: file, source: 'ready', note: `Using the ready-made TPP adapter ${file} (same settings; set recompute to train it here).` };
      reasons.push(`${file}: ${why}`);
    }
  }
  const trained = await targetParameterPretrain({ ...o, metadata: { ...o.metadata, tppSettings: wanted } });
  const why = o.recompute ? 'recompute was asked for' : `no matching adapter (${reasons.join('; ')})`;
  return { adapterPath: trained.adapterPath!, source: 'trained', note: `Trained TPP and wrote ${trained.adapterPath} (${why}).`, trained };
}
