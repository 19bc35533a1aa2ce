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
  /** The parsed JSON at `key`, or null when there is none; throws `CorruptRecordError` when it is not JSON. */
  readJson<T = unknown>(key: string): T | null;
  /**
   * Write `value` as JSON at `key`, atomically (a reader sees the old record or the new one, never a part); a failed
   * write throws `FileWriteError` naming the file and leaves the old record (or none).
   */
  writeJson(key: string, value: unknown): Promise<void>;
  readBytes(key: string): Uint8Array | null;
  writeBytes(key: string, bytes: Uint8Array): Promise<void>;
  /** Names directly under the folder `prefix` ('' for the root), sorted; empty when there is none. */
  list(prefix: string): string[];
  /** Remove `key` and everything under it. */
  remove(key: string): void;
}

/**
 * A stored record that cannot be read as JSON (truncated, garbage). The grid's own writes are atomic, so such a file
 * was damaged by something else; `where` is its path (or key) for messages, `reason` the parser's complaint.
 */
export class CorruptRecordError extends Error {
  constructor(readonly where: string, readonly reason: string) {
    super(`${where} is corrupt (not JSON: ${reason})`);
    this.name = 'CorruptRecordError';
  }
}

/**
 * A write that failed (a full disk, a quota, no permission), naming the file; `code` is the system's (`ENOSPC`,
 * `EDQUOT`, ...). The write was atomic, so the file holds what it held before, or does not exist.
 */
export class FileWriteError extends Error {
  constructor(readonly file: string, readonly code: string | undefined, reason: string) {
    super(`Cannot write ${file}: ${reason}.`);
    this.name = 'FileWriteError';
  }
}

/** Whether `code` means the device has no room left (a full disk or a quota). */
export function isNoSpace(code: string | undefined): boolean {
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** A failed write of `file` as a `FileWriteError` (kept as it is when it already is one). */
export function writeFailure(file: string, e: unknown): FileWriteError {
  if (e instanceof FileWriteError) return e;
  const code = (e as { code?: string }).code;
  const reason = code === 'ENOSPC' ? 'no space left on the device (ENOSPC)' : code === 'EDQUOT' ? 'the disk quota is exceeded (EDQUOT)' : (e as Error).message;
  return new FileWriteError(file, code, reason);
}

/**
 * A failed write said with what it means for the run: `kept` (what is intact, e.g. the finished cells) and `again`
 * (how to go on). Errors other than `FileWriteError` are returned as they are.
 */
export function explainWriteFailure(e: unknown, kept: string, again: string): unknown {
  if (!(e instanceof FileWriteError)) return e;
  const fix = isNoSpace(e.code) ? 'free some space' : 'fix that';
  return new Error(`${e.message.replace(/\.$/, '')}; ${kept} (each file is written whole or not at all): ${fix} and ${again}.`);
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
        throw new CorruptRecordError(`${root}/${key}`, (e as Error).message);
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
