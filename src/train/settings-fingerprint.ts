/**
 * Settings fingerprints: what a cached result (a `compare` cell, a TPP adapter, a training checkpoint) was made
 * with, so a rerun reuses it only when nothing that affects the result changed, and says what did when it refuses.
 *
 * A settings object is any JSON-serialisable value (nested objects, arrays, strings, numbers, booleans, null;
 * `undefined` members are dropped and non-finite numbers read as null, as JSON.stringify does). Its canonical JSON sorts object keys (JavaScript string order) at every
 * level; the fingerprint is `sha256:<hex>` of that text's UTF-8 bytes. So the same settings give the same
 * fingerprint whatever order their fields were built in, and a field added later flows in without code here.
 */
import { bytesOf, Sha256, sha256Tag } from '../hash/sha256';
import type { Dataset } from '../data/sets/dataset';

/**
 * Bump when a code change alters the results of the same settings (a fix in training, evaluation or data
 * loading): every cached result made before then stops matching and is recomputed or refused.
 */
export const RESULTS_VERSION = 1;

/** `value` with object keys sorted at every level and `undefined` members removed (for canonical JSON). */
function sorted(value: unknown, where: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  // As in JSON, a non-finite number is null (a stored record reads back the same way).
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map((v, i) => sorted(v === undefined ? null : v, `${where}[${i}]`));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sorted(v, where ? `${where}.${k}` : k);
    }
    return out;
  }
  throw new Error(`settings: ${where || 'value'} is a ${typeof value}; settings must be JSON values.`);
}

/** Canonical JSON of a settings object (sorted keys, no `undefined`, no whitespace). */
export function canonicalJson(settings: unknown): string {
  return JSON.stringify(sorted(settings, ''));
}

/** `sha256:<hex>` of the canonical JSON of `settings`. */
export function settingsFingerprint(settings: unknown): string {
  return sha256Tag(canonicalJson(settings));
}

/** Leaves of a settings object by dotted path (`tpp.epochs`, `budget.perClass`); arrays are leaves. */
function leaves(value: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value as object);
    if (!keys.length && prefix) out.set(prefix, '{}');
    for (const k of keys) leaves((value as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, JSON.stringify(value));
  return out;
}

/**
 * What changed from `before` to `after`, one `field: old → new` per differing leaf (dotted paths, in sorted order;
 * a field only on one side shows `absent`). Empty when the canonical forms are equal. The one comparison behind
 * `compare`'s reuse of cells and `--resume`'s check of a training checkpoint.
 */
export function settingsDiff(before: unknown, after: unknown): string[] {
  const a = leaves(sorted(before, ''), '', new Map());
  const b = leaves(sorted(after, ''), '', new Map());
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => `${k || '(settings)'}: ${a.get(k) ?? 'absent'} → ${b.get(k) ?? 'absent'}`);
}

/** Shorten a long difference list to `limit` items and a count of the rest (for one-line messages). */
export function describeDiff(diff: readonly string[], limit = 6): string {
  return diff.length <= limit ? diff.join('; ') : `${diff.slice(0, limit).join('; ')}; and ${diff.length - limit} more`;
}

/**
 * Fingerprint of a dataset's contents: shapes, element types and bytes of its images and labels, its task and
 * class names. Two loads of the same file with the same split give the same value; another file, split, limit
 * or conversion gives another.
 */
export function datasetFingerprint(ds: Dataset): string {
  const h = new Sha256();
  const part = (name: string, a: { data: ArrayBufferView; shape: readonly number[] }) => {
    h.update(`${name}\n${a.data.constructor.name}\n${a.shape.join(',')}\n`);
    h.update(bytesOf(a.data));
  };
  part('images', ds.images);
  part('labels', ds.labels);
  h.update(`\n${ds.task}\n${JSON.stringify(ds.classNames ?? null)}`);
  return `sha256:${h.hex()}`;
}
