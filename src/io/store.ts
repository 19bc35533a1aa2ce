/**
 * Where the library keeps its files, by relative key: a training stage's checkpoint and saved files
 * (`FileStore`: bytes by name) and a grid's records (`GridStore`: `cells/lora__none__10_class__s0.json`,
 * `tpp/<key>/tpp.json`, JSON or bytes). The stages and the grid core read and write only through this seam, so they
 * run in a web page as well as under Node; `folderStore` (folder-store.ts) and `stageFiles` (stage-files.ts) are the
 * Node implementations, `memoryStore` the page's.
 */

/**
 * Bytes by key: what a training stage keeps (its checkpoint after each epoch, its files at the end:
 * `adapter.safetensors`, `backbone.safetensors`...). Keys use `/` and are relative to the store's root.
 */
export interface FileStore {
  /** What the store is, for messages (the folder for a folder store). */
  readonly root: string;
  /** The bytes at `key`, or null when there are none. */
  readBytes(key: string): Uint8Array | null;
  /**
   * Write `bytes` at `key`, atomically (a reader sees the old bytes or the new, never a part); a failed write throws
   * `FileWriteError` naming the file and leaves what was there.
   */
  writeBytes(key: string, bytes: Uint8Array): Promise<void>;
  /** The local path of `key`, where the store is a folder (absent in memory): results and messages name files by it. */
  locate?(key: string): string;
}

/** A file's bytes with the name messages and recorded settings give it (its path under Node, any name in a page). */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

/** Where `key` of `files` is, for results and messages: its local path, else `<root>/<key>`. */
export function whereIs(files: FileStore, key: string): string {
  return files.locate ? files.locate(key) : `${files.root}/${key}`;
}

/** The bytes at `key` with their place as name; an error naming the place (and what it is, `what`) when missing. */
export function namedBytes(files: FileStore, key: string, what: string): NamedBytes {
  const bytes = files.readBytes(key);
  if (!bytes) throw new Error(`${what} ${whereIs(files, key)} is missing.`);
  return { name: whereIs(files, key), bytes };
}

/** The part of `store` under the folder `prefix`, as a `FileStore` (a grid's TPP run writes its files there). */
export function subStore(store: FileStore, prefix: string): FileStore {
  const key = (k: string) => joinKey(prefix, k);
  return {
    root: `${store.root}/${prefix}`,
    readBytes: (k) => store.readBytes(key(k)),
    writeBytes: (k, bytes) => store.writeBytes(key(k), bytes),
    ...(store.locate ? { locate: (k: string) => store.locate!(key(k)) } : {}),
  };
}

/** A grid's file store: bytes, and JSON records listed and removed by key. */
export interface GridStore extends FileStore {
  exists(key: string): boolean;
  /** The parsed JSON at `key`, or null when there is none; throws `CorruptRecordError` when it is not JSON. */
  readJson<T = unknown>(key: string): T | null;
  /**
   * Write `value` as JSON at `key`, atomically (a reader sees the old record or the new one, never a part); a failed
   * write throws `FileWriteError` naming the file and leaves the old record (or none).
   */
  writeJson(key: string, value: unknown): Promise<void>;
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

/** A store held in memory (a web page, or a throw-away grid): keys to bytes; it has no local paths (`locate`). */
export function memoryStore(root = 'memory'): GridStore {
  const files = new Map<string, Uint8Array>();
  const enc = new TextEncoder();
  const under = (key: string) => (k: string) => k === key || k.startsWith(`${key}/`);
  const readBytes = (key: string) => files.get(key) ?? null;
  return {
    root,
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
