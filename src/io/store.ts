/**
 * Where a grid keeps its files, by relative key (`cells/lora__none__10_class__s0.json`, `tpp/<key>/tpp.json`):
 * JSON records or bytes. The grid core reads and writes only through this seam, so it runs in a web page as well as
 * under Node; `folderStore` (folder-store.ts) is the Node implementation, `memoryStore` the page's.
 */

/** A grid's file store. Keys use `/` and are relative to the store's root. */
export interface GridStore {
  /** What the store is, for messages (the folder for a folder store). */
  readonly root: string;
  /**
   * The local path of `key`, for the training stages that still write their own files (a TPP run's checkpoint and
   * adapter) and read them back (fine-tuning's `init`). Throws where the store has no local files.
   */
  locate(key: string): string;
  exists(key: string): boolean;
  /** The parsed JSON at `key`, or null when there is none; throws (naming the key) when it is not JSON. */
  readJson<T = unknown>(key: string): T | null;
  /** Write `value` as JSON at `key`, atomically (a reader sees the old record or the new one, never a part). */
  writeJson(key: string, value: unknown): Promise<void>;
  readBytes(key: string): Uint8Array | null;
  writeBytes(key: string, bytes: Uint8Array): Promise<void>;
  /** Names directly under the folder `prefix` ('' for the root), sorted; empty when there is none. */
  list(prefix: string): string[];
  /** Remove `key` and everything under it. */
  remove(key: string): void;
}

/** Join key parts with `/` (empty parts dropped). */
export function joinKey(...parts: string[]): string {
  return parts.filter(Boolean).join('/');
}

/** Text of a JSON record as the grid writes it (one space of indent, as the committed results are). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 1);
}

/**
 * A store held in memory (a web page, or a throw-away grid): keys to bytes. `locate` throws: stages that write
 * their own files (TPP) need a folder store until they take a store themselves.
 */
export function memoryStore(root = 'memory'): GridStore {
  const files = new Map<string, Uint8Array>();
  const enc = new TextEncoder();
  const under = (key: string) => (k: string) => k === key || k.startsWith(`${key}/`);
  const readBytes = (key: string) => files.get(key) ?? null;
  return {
    root,
    locate(key) {
      throw new Error(`${root}: a memory store has no local path for ${key}; use a folder store for grids with TPP runs.`);
    },
    exists: (key) => [...files.keys()].some(under(key)),
    readJson<T>(key: string): T | null {
      const b = readBytes(key);
      if (!b) return null;
      try {
        return JSON.parse(new TextDecoder().decode(b)) as T;
      } catch (e) {
        throw new Error(`${root}/${key} is not JSON: ${(e as Error).message}`);
      }
    },
    async writeJson(key, value) {
      files.set(key, enc.encode(jsonText(value)));
    },
    readBytes,
    async writeBytes(key, bytes) {
      files.set(key, bytes.slice());
    },
    list(prefix) {
      const start = prefix ? `${prefix}/` : '';
      return [...new Set([...files.keys()].filter((k) => k.startsWith(start)).map((k) => k.slice(start.length).split('/')[0]))].sort();
    },
    remove(key) {
      for (const k of [...files.keys()].filter(under(key))) files.delete(k);
    },
  };
}
