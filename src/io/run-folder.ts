/**
 * A run folder (`--out`) that protects itself:
 * - a lock file, `run.lock`, held for the life of a run: a second run into the folder is refused, naming the
 *   holder's pid, command and start time; a lock whose process is gone (killed) is taken over, with a note;
 * - a finished (or interrupted) run's files are not overwritten unless the caller resumes or forces;
 * - temporary files of atomic writes killed half-way (`<file>.tmp-<pid>` whose process is gone) are removed.
 *
 * Liveness: the lock records the holder's pid, host and (on Linux) its start time from `/proc/<pid>/stat`, so a
 * pid reused by another process after a kill is not mistaken for the holder. A lock from another host (a shared
 * file system) cannot be checked and counts as held. The library never prints: notes are returned.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFailure } from './store';

/** The lock file's name inside a run folder. */
export const LOCK_FILE = 'run.lock';

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** Process start time (clock ticks since boot, `/proc/<pid>/stat` field 22); null where unknown. */
  startTime: number | null;
  command: string;
  started: string;
}

/** Thrown when another live process holds the folder, or the folder holds a run that must not be overwritten. */
export class RunFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunFolderError';
  }
}

/** A held run folder. */
export interface RunFolder {
  dir: string;
  lockPath: string;
  /** Notes for the user: a stale lock taken over, orphan temporary files removed. */
  notes: string[];
  /** Remove the lock (only if it is still ours). Safe to call twice. */
  release(): void;
}

/** Start time of process `pid` from `/proc` (Linux), or null where that is not available. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote `info` is still running (always true for another host's lock). */
export function holderAlive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (info.startTime === null) return true;
  const now = processStartTime(info.pid);
  return now === null || now === info.startTime;
}

function readLock(file: string): LockInfo | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof v?.pid === 'number' ? (v as LockInfo) : null;
  } catch {
    return null;
  }
}

/** Describe a lock holder for messages. */
export function describeHolder(info: LockInfo): string {
  return `pid ${info.pid}${info.host !== os.hostname() ? ` on host ${info.host}` : ''} (${info.command}, started ${info.started})`;
}

/**
 * Why `dir` cannot be a run folder, or null when it can: it, or a folder above it, is a file. One sentence, for
 * `--out` (which is what every run folder is given as).
 */
export function notAFolder(dir: string): string | null {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(d);
    } catch {
      if (path.dirname(d) === d) return null;
      continue;
    }
    if (stat.isDirectory()) return null;
    return d === path.resolve(dir) ? `--out ${dir} is a file, not a folder; give a folder path.` : `--out ${dir}: ${d} is a file, not a folder; give a folder path.`;
  }
}

/**
 * Take the lock of `dir` (created if needed) for `command`. A live holder makes this throw `RunFolderError`; a
 * dead holder's lock (or an unreadable lock file) is replaced, with a note. Orphan temporary files are removed.
 */
export function acquireRunFolder(dir: string, command: string): RunFolder {
  const problem = notAFolder(dir);
  if (problem) throw new RunFolderError(problem);
  fs.mkdirSync(dir, { recursive: true });
  const lockPath = path.join(dir, LOCK_FILE);
  const me: LockInfo = { pid: process.pid, host: os.hostname(), startTime: processStartTime(process.pid), command, started: new Date().toISOString() };
  const text = JSON.stringify(me);
  const notes: string[] = [];
  // The lock appears with its content in one step (a hard link of a written file), so no reader sees it empty.
  const mine = `${lockPath}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(mine, text);
  } catch (e) {
    fs.rmSync(mine, { force: true });
    throw writeFailure(lockPath, e);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(mine, lockPath);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw e;
      }
      let before: string;
      try {
        before = fs.readFileSync(lockPath, 'utf8');
      } catch {
        continue; // released meanwhile: try again
      }
      const holder = readLock(lockPath);
      if (holder && holderAlive(holder)) {
        throw new RunFolderError(`${dir} is in use by ${describeHolder(holder)}. Wait for that run to finish, or use another --out.`);
      }
      // Take over: move the stale lock aside, check that it is the one we judged (not a fresh lock that replaced it), retry.
      const aside = `${lockPath}.stale-${process.pid}`;
      try {
        fs.renameSync(lockPath, aside);
      } catch {
        continue;
      }
      const moved = fs.readFileSync(aside, 'utf8');
      if (moved !== before) {
        try {
          fs.linkSync(aside, lockPath);
        } catch {
          // Someone else holds the folder now; the next attempt reports them.
        }
        fs.rmSync(aside, { force: true });
        continue;
      }
      fs.rmSync(aside, { force: true });
      notes.push(holder ? `took over a stale lock in ${dir}: ${describeHolder(holder)} is no longer running.` : `replaced an unreadable lock file ${lockPath}.`);
    }
  } finally {
    fs.rmSync(mine, { force: true });
  }
  const removed = removeOrphanTemporaries(dir);
  if (removed.length) notes.push(`removed ${removed.length} temporary file${removed.length > 1 ? 's' : ''} left by killed writes: ${removed.slice(0, 3).map((f) => path.relative(dir, f)).join(', ')}${removed.length > 3 ? ', ...' : ''}.`);
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    if (readLock(lockPath)?.pid === process.pid && fs.readFileSync(lockPath, 'utf8') === text) fs.rmSync(lockPath, { force: true });
  };
  process.on('exit', release);
  return { dir, lockPath, notes, release };
}

/** The holder of `dir`'s lock, or null when it has none. */
export function lockHolder(dir: string): LockInfo | null {
  return readLock(path.join(dir, LOCK_FILE));
}

/**
 * Remove `<name>.tmp-<pid>` files under `dir` (3 levels deep) whose writer (pid on this host) is no longer
 * running. Returns the removed paths.
 */
export function removeOrphanTemporaries(dir: string, depth = 3): string[] {
  const removed: string[] = [];
  const walk = (d: string, level: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (level < depth) walk(p, level + 1);
        continue;
      }
      const m = /\.tmp-(\d+)$/.exec(e.name);
      if (!m || !e.isFile()) continue;
      const pid = Number(m[1]);
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (!alive || pid === process.pid) {
        fs.rmSync(p, { force: true });
        removed.push(p);
      }
    }
  };
  walk(dir, 0);
  return removed;
}

/**
 * Refuse to start a new run over an earlier run's files in `dir` (`outputs`: file names a run writes, e.g.
 * `adapter.safetensors`, `checkpoint.safetensors`) unless `resume` or `force`; `force` deletes them first.
 * Returns a note when files were deleted.
 */
export function guardPreviousRun(dir: string, outputs: readonly string[], options: { resume?: boolean; force?: boolean; command?: string }): string | null {
  const found = outputs.filter((f) => fs.existsSync(path.join(dir, f)));
  if (!found.length || options.resume) return null;
  if (!options.force) {
    const finished = found.filter((f) => f !== 'checkpoint.safetensors');
    const what = finished.length ? `a finished run (${finished.join(', ')})` : 'an interrupted run (checkpoint.safetensors)';
    throw new RunFolderError(`${dir} already holds ${what}. Pass --resume to continue or reuse it, --force to overwrite it, or use another --out.`);
  }
  for (const f of found) fs.rmSync(path.join(dir, f), { force: true });
  return `--force: removed the earlier run's ${found.join(', ')} from ${dir}.`;
}
