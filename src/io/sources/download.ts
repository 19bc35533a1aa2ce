/**
 * Download MedMNIST files into the cache folder, or copy them from a local folder, with MD5 verification.
 *
 * - Atomic: a file appears at its final path only complete and verified (downloads grow in `<file>.part`,
 *   copies in `<file>.tmp-<pid>`, then a rename).
 * - Resumable: an interrupted download leaves `<file>.part`; the next attempt (automatic retries, or a later
 *   run) asks the server for the rest with an HTTP Range request, or starts over when the server ignores it.
 * - Fast failure without network (unresolvable host, refused connection, no answer within `timeoutMs`): the
 *   Error says where to place the file by hand.
 * - Progress goes to `onProgress`; nothing is printed.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { Transform } from 'stream';
import { MedMNISTSize, checkMedMNISTSize, medmnistFileName, medmnistInfo, medmnistUrl } from '../../data/sources/medmnist-info';
import { bundledDataDir, defaultCacheDir } from './medmnist';

/** Progress events, in order: `start`, then `bytes` (repeated), `verify`, `done`. */
export type DownloadEvent =
  | { phase: 'start'; kind: 'download' | 'copy'; from: string; to: string; attempt: number; resumeFrom: number }
  | { phase: 'bytes'; received: number; total: number | null }
  | { phase: 'retry'; attempt: number; reason: string }
  | { phase: 'verify'; path: string }
  | { phase: 'done'; path: string; md5: string; bytes: number };

/** An Error from a download, with the system or HTTP code when there is one. */
export class DownloadError extends Error {
  constructor(
    message: string,
    /** e.g. `ENOTFOUND`, `ECONNREFUSED`, `ETIMEDOUT`, `HTTP_404`, `MD5_MISMATCH`. */
    readonly code: string,
    /** Whether trying again (with resume) can help. */
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** MD5 (hex) of a file, streamed. */
export async function md5File(file: string): Promise<string> {
  const hash = crypto.createHash('md5');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

const NO_NETWORK = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENETDOWN', 'EAI_FAIL']);

/** Options for `downloadFile`. */
export interface DownloadFileOptions {
  /** Expected MD5; null/undefined skips the check. */
  md5?: string | null;
  /** Delete a completed `.part` whose MD5 is wrong (default true; false keeps it for a rerun with another MD5). */
  deleteOnMismatch?: boolean;
  onProgress?: (e: DownloadEvent) => void;
  /** No response, or no data for this long, counts as no network (ms). Default 10000. */
  timeoutMs?: number;
  /** Extra attempts after a connection is cut midway (each resumes). Default 2. */
  retries?: number;
}

interface Opened {
  res: http.IncomingMessage;
  req: http.ClientRequest;
}

/** GET `url` (following up to 5 redirects) with optional headers; resolves once the response headers arrive. */
function open(url: string, headers: Record<string, string>, timeoutMs: number, hops = 0): Promise<Opened> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new DownloadError(`Not a valid URL: ${url}.`, 'EINVAL'));
      return;
    }
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (!mod) return reject(new DownloadError(`Unsupported URL protocol in ${url} (use http or https).`, 'EINVAL'));
    // agent: false: one connection per request, so no pooled socket keeps our timeouts or the process alive.
    const req = mod.get(u, { agent: false, headers: { 'user-agent': 'tpp-lab', ...headers } });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no response within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = e.code ?? 'ENETWORK';
      reject(new DownloadError(`${e.message}`, code, !NO_NETWORK.has(code)));
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (hops >= 5) return reject(new DownloadError(`Too many redirects from ${url}.`, 'EREDIRECT'));
        resolve(open(new URL(res.headers.location, u).toString(), headers, timeoutMs, hops + 1));
        return;
      }
      // A stalled transfer counts as a cut connection (retryable, resumes).
      res.socket.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no data for ${timeoutMs} ms`), { code: 'ESTALLED' })));
      resolve({ res, req });
    });
  });
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** One attempt: fetch the rest of `part` (or all of it). Returns when the body has been written. */
async function attempt(url: string, part: string, timeoutMs: number, n: number, onProgress: (e: DownloadEvent) => void): Promise<void> {
  let start = fileSize(part);
  const { res } = await open(url, start > 0 ? { range: `bytes=${start}-` } : {}, timeoutMs);
  const status = res.statusCode ?? 0;
  if (status === 416 && start > 0) {
    // Nothing left to fetch: the .part is (probably) complete; the MD5 check decides.
    res.resume();
    return;
  }
  if (status === 206) {
    const m = /^bytes (\d+)-\d+\/(\d+|\*)/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== start) {
      res.destroy();
      fs.rmSync(part, { force: true });
      throw new DownloadError(`Server answered the resume request with an unexpected range (${res.headers['content-range']}); starting over.`, 'EBADRANGE', true);
    }
  } else if (status === 200) {
    start = 0; // the server ignored Range (or there was no .part): start over
  } else {
    res.resume();
    const retry = status >= 500 || status === 408 || status === 429;
    throw new DownloadError(`HTTP ${status} ${res.statusMessage ?? ''} for ${url}.`.replace(' .', '.'), `HTTP_${status}`, retry);
  }
  const length = Number(res.headers['content-length']);
  const total = Number.isFinite(length) && res.headers['content-length'] !== undefined ? start + length : null;
  onProgress({ phase: 'start', kind: 'download', from: url, to: part, attempt: n, resumeFrom: start });
  let received = start;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      onProgress({ phase: 'bytes', received, total });
      done(null, chunk);
    },
  });
  const out = fs.createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
  try {
    await pipeline(res, counter, out);
  } catch (e) {
    // A cut connection can reject the pipeline while a write of the .part is still in flight: wait until the file
    // is closed, or the next attempt would measure the .part too short and resume from the wrong byte.
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    const err = e as NodeJS.ErrnoException;
    throw new DownloadError(`Connection cut after ${received} bytes (${err.code ?? err.message}).`, err.code ?? 'ECONNRESET', true);
  }
  if (total !== null && fileSize(part) !== total) {
    throw new DownloadError(`Connection cut: got ${fileSize(part)} of ${total} bytes.`, 'ESHORT', true);
  }
}

/**
 * Download `url` to `dest` atomically, resuming from `dest + '.part'` when a previous attempt left one.
 * Verifies `options.md5` before the final rename. Returns the file's MD5 and size.
 */
export async function downloadFile(url: string, dest: string, options: DownloadFileOptions = {}): Promise<{ md5: string; bytes: number }> {
  const { timeoutMs = 10000, retries = 2, onProgress = () => {} } = options;
  const part = `${dest}.part`;
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  for (let n = 1; ; n++) {
    try {
      await attempt(url, part, timeoutMs, n, onProgress);
      break;
    } catch (e) {
      const err = e instanceof DownloadError ? e : new DownloadError(String((e as Error).message), 'EUNKNOWN', false);
      if (!err.retryable || n > retries) throw err;
      onProgress({ phase: 'retry', attempt: n + 1, reason: err.message });
    }
  }
  onProgress({ phase: 'verify', path: part });
  const md5 = await md5File(part);
  if (options.md5 && md5 !== options.md5.toLowerCase()) {
    if (options.deleteOnMismatch !== false) fs.rmSync(part, { force: true });
    throw new DownloadError(`MD5 mismatch for ${url}: expected ${options.md5}, got ${md5}.`, 'MD5_MISMATCH');
  }
  const bytes = fileSize(part);
  fs.renameSync(part, dest);
  onProgress({ phase: 'done', path: dest, md5, bytes });
  return { md5, bytes };
}

/** Copy `src` to `dest` atomically (via `dest.tmp-<pid>`), checking the MD5 on the way. */
export async function copyFileVerified(src: string, dest: string, md5: string | null, onProgress: (e: DownloadEvent) => void = () => {}): Promise<{ md5: string; bytes: number }> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  const total = fileSize(src);
  const hash = crypto.createHash('md5');
  let received = 0;
  onProgress({ phase: 'start', kind: 'copy', from: src, to: tmp, attempt: 1, resumeFrom: 0 });
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      received += chunk.length;
      onProgress({ phase: 'bytes', received, total });
      done(null, chunk);
    },
  });
  try {
    await pipeline(fs.createReadStream(src), tap, fs.createWriteStream(tmp));
    onProgress({ phase: 'verify', path: tmp });
    const got = hash.digest('hex');
    if (md5 && got !== md5.toLowerCase()) throw new DownloadError(`MD5 mismatch for ${src}: expected ${md5}, got ${got}.`, 'MD5_MISMATCH');
    fs.renameSync(tmp, dest);
    onProgress({ phase: 'done', path: dest, md5: got, bytes: received });
    return { md5: got, bytes: received };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Options for `downloadMedMNIST`. */
export interface DownloadMedMNISTOptions {
  /** Image size; default 28. */
  size?: MedMNISTSize;
  /** Target folder; default `defaultCacheDir()` (`$TPP_LAB_CACHE/medmnist` or `~/.cache/tpp-lab/medmnist`). */
  cacheDir?: string;
  /** Copy from this local folder instead of downloading (same file name, same MD5 check). */
  from?: string;
  /** Use this MD5 instead of the catalogue's (e.g. for a catalogue value marked unverified). */
  md5?: string;
  /** Download base URL; default MedMNIST's Zenodo record. */
  baseUrl?: string;
  /** Return a bundled file (`data/`) instead of downloading when there is one (not with `from` or `force`). Default true. */
  useBundled?: boolean;
  /** Fetch again even if a verified file is already in the cache. Default false. */
  force?: boolean;
  onProgress?: (e: DownloadEvent) => void;
  timeoutMs?: number;
  retries?: number;
}

/** Where the file is and how its MD5 was checked. */
export interface DownloadMedMNISTResult {
  path: string;
  md5: string;
  bytes: number;
  /** `bundled` and `cache`: already there (nothing fetched); `download`; `copy` (from `--from`). */
  source: 'bundled' | 'cache' | 'download' | 'copy';
  /** `verified`: matched an MD5 checked against the official file; `catalogue-unverified`: matched a
   * catalogue value not verified here; `user`: matched `options.md5`; `none`: no MD5 known, not checked. */
  md5Check: 'verified' | 'catalogue-unverified' | 'user' | 'none';
}

/**
 * Make a MedMNIST file available locally: bundled → cache → `from` folder → download. Throws a
 * `DownloadError` that says what to do: for no network, where to place the file by hand; for an MD5 mismatch
 * against a catalogue value that is not verified, how to override it.
 */
export async function downloadMedMNIST(flag: string, options: DownloadMedMNISTOptions = {}): Promise<DownloadMedMNISTResult> {
  const info = medmnistInfo(flag);
  const size = checkMedMNISTSize(options.size ?? 28);
  const name = medmnistFileName(info.flag, size);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const dest = path.join(cacheDir, name);
  const known = info.md5[size];
  const expected = options.md5?.toLowerCase() ?? known.md5;
  const md5Check: DownloadMedMNISTResult['md5Check'] = options.md5 ? 'user' : !known.md5 ? 'none' : known.verified ? 'verified' : 'catalogue-unverified';
  const strict = md5Check === 'verified' || md5Check === 'user';
  if (options.md5 && !/^[0-9a-f]{32}$/.test(expected ?? '')) throw new DownloadError(`--md5 must be 32 hex digits, got "${options.md5}".`, 'EINVAL');

  // The bundled copy answers a plain request; --from or --force mean the user wants a file in the cache.
  const bundled = options.useBundled !== false && !options.from && !options.force;
  const existing = [...(bundled ? [path.join(bundledDataDir(), name)] : []), ...(options.force ? [] : [dest])];
  for (const candidate of existing) {
    if (!fs.existsSync(candidate)) continue;
    const md5 = await md5File(candidate);
    if (!expected || md5 === expected) {
      return { path: candidate, md5, bytes: fileSize(candidate), source: candidate === dest ? 'cache' : 'bundled', md5Check };
    }
  }

  const mismatchHelp = (got: string, kept: string) =>
    strict
      ? `The file was not installed; ${kept}`
      : `tpp-lab's catalogue value for ${name} (${known.md5}) is not verified against MedMNIST's info.py. If "${got}" is the MD5 listed there (MD5${size === 28 ? '' : `_${size}`} of ${info.flag}), run again with --md5 ${got}.`;

  if (options.from) {
    const src = path.join(options.from, name);
    if (!fs.existsSync(src)) throw new DownloadError(`No ${name} in ${options.from} (expected ${src}).`, 'ENOENT');
    try {
      const r = await copyFileVerified(src, dest, expected, options.onProgress);
      return { path: dest, ...r, source: 'copy', md5Check };
    } catch (e) {
      if (e instanceof DownloadError && e.code === 'MD5_MISMATCH') {
        const got = / got ([0-9a-f]{32})\.$/.exec(e.message)?.[1] ?? '?';
        throw new DownloadError(`${e.message} ${mismatchHelp(got, `${src} is damaged or a different file.`)}`, e.code);
      }
      throw e;
    }
  }

  const url = medmnistUrl(info.flag, size, options.baseUrl);
  try {
    const r = await downloadFile(url, dest, {
      md5: expected,
      deleteOnMismatch: strict,
      onProgress: options.onProgress,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
    });
    return { path: dest, ...r, source: 'download', md5Check };
  } catch (e) {
    if (!(e instanceof DownloadError)) throw e;
    if (e.code === 'MD5_MISMATCH') {
      const got = / got ([0-9a-f]{32})\.$/.exec(e.message)?.[1] ?? '?';
      throw new DownloadError(`${e.message} ${mismatchHelp(got, 'run the command again to download it afresh.')}`, e.code);
    }
    const hand =
      `To install it by hand: download ${url} on a machine with internet access and place it at ${dest} ` +
      `(or put it in a folder DIR and run \`npx tpp-lab data download ${info.flag}${size === 28 ? '' : ` --size ${size}`} --from DIR\`).`;
    if (NO_NETWORK.has(e.code)) {
      throw new DownloadError(`Cannot reach ${new URL(url).host} (${e.code}: ${e.message}); no network? ${hand}`, e.code);
    }
    const partNote = fs.existsSync(`${dest}.part`) ? ` The partial download in ${dest}.part will be resumed by the next run.` : '';
    throw new DownloadError(`Download of ${url} failed: ${e.message}${partNote} ${hand}`, e.code, e.retryable);
  }
}
