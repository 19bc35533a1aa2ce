/**
 * The workshop page's settings, read from and written to the URL's query (`?profile=quick&data=breastmnist&
 * method=lora&seeds=3&backend=wasm`), so a facilitator shares one link and everyone runs the same lab.
 */

/**
 * Run sizes: `quick` finishes the whole path in a few minutes on a laptop; `study` uses the TPP study's recipe;
 * `tiny` only checks that every step runs (a backend check: its numbers mean nothing).
 */
export const PROFILES = {
  tiny: { tppEpochs: 1, tppImages: 64, ftEpochs: 1, seeds: 1 },
  quick: { tppEpochs: 10, tppImages: 546, ftEpochs: 10, seeds: 3 },
  study: { tppEpochs: 40, tppImages: 546, ftEpochs: 30, seeds: 10 },
} as const;
export type ProfileName = keyof typeof PROFILES;

/** The bundled labelled sets the page offers (28 px, the `imagenet28` backbone's size). */
export const DATASETS = ['breastmnist', 'pneumoniamnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** The segmentation packs the site serves (images with masks, not labels): a study plan's targets among them are segmentation targets. */
export const SEGMENTATION_PACKS: readonly string[] = ['data/hc18_64.npz', 'data/busi_64.npz'];

/** The study's PEFT methods. */
export const METHODS = ['lora', 'adapter'] as const;
export type MethodName = (typeof METHODS)[number];

/**
 * Backends a page can ask for, through the library's initBackend: `auto` takes the page order (WebGPU, else WebGL,
 * else wasm); the default is wasm, which every browser runs and the numbers of which equal Node's.
 */
export const PAGE_BACKENDS = ['wasm', 'auto', 'webgpu', 'webgl', 'cpu'] as const;
export type PageBackend = (typeof PAGE_BACKENDS)[number];

export interface LabSettings {
  profile: ProfileName;
  data: DatasetName;
  method: MethodName;
  /** Fine-tuning seeds (each: one run without and one with TPP). */
  seeds: number;
  /** Labelled examples per class for fine-tuning. */
  labels: number;
  backend: PageBackend;
}

function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T, key: string, problems: string[]): T {
  if (value === null || value === '') return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${key}=${value} is not one of ${allowed.join(', ')}; using ${fallback}.`);
  return fallback;
}

function whole(value: string | null, fallback: number, lo: number, hi: number, key: string, problems: string[]): number {
  if (value === null || value === '') return fallback;
  const n = Number(value);
  if (Number.isInteger(n) && n >= lo && n <= hi) return n;
  problems.push(`${key}=${value} must be a whole number from ${lo} to ${hi}; using ${fallback}.`);
  return fallback;
}

/** Settings from a query string; bad values fall back to the default and are named in `problems`. */
export function readSettings(query: string): { settings: LabSettings; problems: string[] } {
  const q = new URLSearchParams(query);
  const problems: string[] = [];
  const profile = pick(q.get('profile'), Object.keys(PROFILES) as ProfileName[], 'quick', 'profile', problems);
  const settings: LabSettings = {
    profile,
    data: pick(q.get('data'), DATASETS, 'breastmnist', 'data', problems),
    method: pick(q.get('method'), METHODS, 'lora', 'method', problems),
    seeds: whole(q.get('seeds'), PROFILES[profile].seeds, 1, 20, 'seeds', problems),
    labels: whole(q.get('labels'), 10, 1, 100, 'labels', problems),
    backend: pick(q.get('backend'), PAGE_BACKENDS, 'wasm', 'backend', problems),
  };
  return { settings, problems };
}

/** The query string for `settings` (only what differs from the defaults). */
export function settingsQuery(s: LabSettings): string {
  const base = readSettings(`profile=${s.profile}`).settings;
  const q = new URLSearchParams();
  for (const k of Object.keys(s) as (keyof LabSettings)[]) if (k === 'profile' || s[k] !== base[k]) q.set(k, String(s[k]));
  return `?${q.toString()}`;
}
