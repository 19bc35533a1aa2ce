/**
 * Download and copy paths of MedMNIST files: `--from` with good and bad MD5, atomic writes, resume with HTTP
 * Range against a local server that cuts the connection once, and the fast no-network failure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AddressInfo } from 'net';
import { DownloadEvent, downloadMedMNIST, md5File } from '../src/io/sources/download';
import { MEDMNIST } from '../src/data/sources/medmnist-info';

const BREAST = path.join(__dirname, '..', 'data', 'breastmnist.npz');
const BREAST_MD5 = '750601b1f35ba3300ea97c75c52ff8f6';
const bytes = fs.readFileSync(BREAST);
const tmpDirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-dl-'));
  tmpDirs.push(d);
  return d;
}
after(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
/** dermamnist's size-28 MD5 in MedMNIST v3.0.2 info.py (a verified catalogue value). */
const DERMA_MD5 = '0744692d530f8e62ec473284d019b0c7';

/**
 * Run `fn` with dermamnist's size-28 catalogue MD5 marked unverified. Every catalogue value is verified now,
 * so this is the only way to reach download's path for unverified values.
 */
async function withDermaUnverified(fn: () => Promise<void>): Promise<void> {
  const m = MEDMNIST.dermamnist.md5[28];
  m.verified = false;
  try {
    await fn();
  } finally {
    m.verified = true;
  }
}

describe('--from a local folder', () => {
  test('copies with the MD5 checked, and a second call finds the cached file', async () => {
    const cache = tmp();
    const events: string[] = [];
    const r = await downloadMedMNIST('breastmnist', { from: path.dirname(BREAST), cacheDir: cache, useBundled: false, onProgress: (e) => events.push(e.phase) });
    assert.deepEqual({ ...r }, { path: path.join(cache, 'breastmnist.npz'), md5: BREAST_MD5, bytes: bytes.length, source: 'copy', md5Check: 'verified' });
    assert.deepEqual(fs.readFileSync(r.path), bytes);
    assert.deepEqual([events[0], ...events.slice(-2)], ['start', 'verify', 'done']);
    assert.deepEqual(fs.readdirSync(cache), ['breastmnist.npz']);
    const again = await downloadMedMNIST('breastmnist', { cacheDir: cache, useBundled: false });
    assert.equal(again.source, 'cache');
  });

  test('a bad MD5 installs nothing and leaves no temporary file', async () => {
    const src = tmp();
    const cache = tmp();
    const bad = Buffer.from(bytes);
    bad[1000] ^= 0xff;
    fs.writeFileSync(path.join(src, 'breastmnist.npz'), bad);
    await assert.rejects(
      downloadMedMNIST('breastmnist', { from: src, cacheDir: cache, useBundled: false }),
      new RegExp(`MD5 mismatch for ${src}/breastmnist\\.npz: expected ${BREAST_MD5}, got [0-9a-f]{32}\\. The file was not installed; ${src}/breastmnist\\.npz is damaged or a different file\\.`),
    );
    assert.deepEqual(fs.readdirSync(cache), []);
  });

  test('a verified catalogue MD5 that does not match installs nothing; --md5 overrides it', async () => {
    const src = tmp();
    const cache = tmp();
    fs.copyFileSync(BREAST, path.join(src, 'dermamnist.npz'));
    await assert.rejects(
      downloadMedMNIST('dermamnist', { from: src, cacheDir: cache }),
      new RegExp(`MD5 mismatch for ${src}/dermamnist\\.npz: expected ${DERMA_MD5}, got ${BREAST_MD5}\\. The file was not installed; ${src}/dermamnist\\.npz is damaged or a different file\\.`),
    );
    assert.deepEqual(fs.readdirSync(cache), []);
    const r = await downloadMedMNIST('dermamnist', { from: src, cacheDir: cache, md5: BREAST_MD5 });
    assert.equal(r.md5Check, 'user');
    assert.deepEqual(fs.readdirSync(cache), ['dermamnist.npz']);
  });

  test('an unverified catalogue MD5 that does not match says how to override it', async () => {
    const src = tmp();
    const cache = tmp();
    fs.copyFileSync(BREAST, path.join(src, 'dermamnist.npz'));
    await withDermaUnverified(() =>
      assert.rejects(
        downloadMedMNIST('dermamnist', { from: src, cacheDir: cache }),
        new RegExp(`is not verified against MedMNIST's info\\.py\\. If "${BREAST_MD5}" is the MD5 listed there \\(MD5 of dermamnist\\), run again with --md5 ${BREAST_MD5}\\.`),
      ),
    );
    const r = await downloadMedMNIST('dermamnist', { from: src, cacheDir: cache, md5: BREAST_MD5 });
    assert.equal(r.md5Check, 'user');
    assert.deepEqual(fs.readdirSync(cache), ['dermamnist.npz']);
  });

  test('the bundled file is used when present', async () => {
    const r = await downloadMedMNIST('pneumoniamnist', { cacheDir: tmp() });
    assert.equal(r.source, 'bundled');
    assert.equal(r.md5, '28209eda62fecd6e6a2d98b1501bb15f');
  });
});

describe('HTTP download with resume', () => {
  let server: http.Server;
  let base: string;
  const log: { range: string | undefined }[] = [];
  let mode: 'cut-once' | 'ok' | 'corrupt' | 'ignore-range' = 'ok';
  let cutsLeft = 0;
  const half = Math.floor(bytes.length / 2);

  before(async () => {
    server = http.createServer((req, res) => {
      const range = req.headers.range;
      log.push({ range });
      if (req.url !== '/files/breastmnist.npz' && req.url !== '/files/dermamnist.npz') {
        res.writeHead(404).end();
        return;
      }
      const body = mode === 'corrupt' ? Buffer.concat([bytes.subarray(0, 10), Buffer.from([bytes[10] ^ 1]), bytes.subarray(11)]) : bytes;
      const m = /^bytes=(\d+)-$/.exec(range ?? '');
      if (m && mode !== 'ignore-range') {
        const start = Number(m[1]);
        if (start >= body.length) {
          res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
          return;
        }
        res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
        res.end(body.subarray(start));
        return;
      }
      res.writeHead(200, { 'content-length': body.length });
      if (cutsLeft > 0) {
        cutsLeft--;
        // Send half the file, then drop the connection.
        res.write(body.subarray(0, half), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('a cut connection leaves only a .part; the next run resumes with Range and verifies the MD5', async () => {
    const cache = tmp();
    mode = 'cut-once';
    cutsLeft = 1;
    log.length = 0;
    await assert.rejects(
      downloadMedMNIST('breastmnist', { baseUrl: base, cacheDir: cache, useBundled: false, retries: 0 }),
      new RegExp(`Download of ${base}breastmnist\\.npz failed: Connection cut .* The partial download in ${cache}/breastmnist\\.npz\\.part will be resumed by the next run\\.`),
    );
    assert.deepEqual(fs.readdirSync(cache), ['breastmnist.npz.part']);
    // The server cuts after sending `half` bytes; what reached the client before the reset may be less.
    const partSize = fs.statSync(path.join(cache, 'breastmnist.npz.part')).size;
    assert.ok(partSize > 0 && partSize <= half, `partial file holds ${partSize} of ${half} bytes sent`);
    const events: DownloadEvent[] = [];
    const r = await downloadMedMNIST('breastmnist', { baseUrl: base, cacheDir: cache, useBundled: false, onProgress: (e) => events.push(e) });
    assert.deepEqual(log.map((l) => l.range), [undefined, `bytes=${partSize}-`]);
    assert.equal(r.source, 'download');
    assert.equal(r.md5, BREAST_MD5);
    assert.equal(await md5File(path.join(cache, 'breastmnist.npz')), BREAST_MD5);
    assert.deepEqual(fs.readdirSync(cache), ['breastmnist.npz']);
    const start = events.find((e) => e.phase === 'start');
    assert.equal(start?.phase === 'start' && start.resumeFrom, partSize);
    const lastBytes = events.filter((e) => e.phase === 'bytes').pop();
    assert.deepEqual(lastBytes, { phase: 'bytes', received: bytes.length, total: bytes.length });
  });

  test('within one call, retries resume automatically', async () => {
    const cache = tmp();
    mode = 'cut-once';
    cutsLeft = 1;
    log.length = 0;
    const phases: string[] = [];
    const r = await downloadMedMNIST('breastmnist', { baseUrl: base, cacheDir: cache, useBundled: false, onProgress: (e) => phases.push(e.phase) });
    assert.equal(r.md5, BREAST_MD5);
    assert.equal(log.length, 2);
    assert.equal(log[0].range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(String(log[1].range))?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= half, `resumed at ${log[1].range} after ${half} bytes were sent`);
    assert.ok(phases.includes('retry'));
  });

  test('a server that ignores Range makes a clean restart', async () => {
    const cache = tmp();
    fs.writeFileSync(path.join(cache, 'breastmnist.npz.part'), Buffer.alloc(1000, 7)); // stale garbage
    mode = 'ignore-range';
    log.length = 0;
    const r = await downloadMedMNIST('breastmnist', { baseUrl: base, cacheDir: cache, useBundled: false });
    assert.equal(r.md5, BREAST_MD5);
    assert.deepEqual(log.map((l) => l.range), ['bytes=1000-']);
  });

  test('a wrong MD5 from the server installs nothing and deletes the .part', async () => {
    const cache = tmp();
    mode = 'corrupt';
    await assert.rejects(
      downloadMedMNIST('breastmnist', { baseUrl: base, cacheDir: cache, useBundled: false }),
      new RegExp(`MD5 mismatch for ${base}breastmnist\\.npz: expected ${BREAST_MD5}, got [0-9a-f]{32}\\. The file was not installed; run the command again to download it afresh\\.`),
    );
    assert.deepEqual(fs.readdirSync(cache), []);
  });

  test('HTTP errors are reported with their status', async () => {
    mode = 'ok';
    await assert.rejects(downloadMedMNIST('bloodmnist', { baseUrl: base, cacheDir: tmp() }), /Download of .*bloodmnist\.npz failed: HTTP 404 Not Found for .*bloodmnist\.npz\./);
  });

  test('a mismatch with a verified catalogue MD5 deletes the download; --md5 then downloads it again', async () => {
    const cache = tmp();
    mode = 'ok';
    log.length = 0;
    await assert.rejects(
      downloadMedMNIST('dermamnist', { baseUrl: base, cacheDir: cache }),
      new RegExp(`MD5 mismatch for ${base}dermamnist\\.npz: expected ${DERMA_MD5}, got ${BREAST_MD5}\\. The file was not installed; run the command again to download it afresh\\.`),
    );
    assert.deepEqual(fs.readdirSync(cache), []);
    const r = await downloadMedMNIST('dermamnist', { baseUrl: base, cacheDir: cache, md5: BREAST_MD5 });
    assert.equal(r.md5Check, 'user');
    assert.deepEqual(log.map((l) => l.range), [undefined, undefined]);
    assert.deepEqual(fs.readdirSync(cache), ['dermamnist.npz']);
  });

  test('a mismatch with an unverified catalogue MD5 keeps the .part; --md5 then finishes without downloading again', async () => {
    const cache = tmp();
    mode = 'ok';
    log.length = 0;
    await withDermaUnverified(() => assert.rejects(downloadMedMNIST('dermamnist', { baseUrl: base, cacheDir: cache }), /run again with --md5 750601b1f35ba3300ea97c75c52ff8f6\./));
    assert.deepEqual(fs.readdirSync(cache), ['dermamnist.npz.part']);
    const r = await downloadMedMNIST('dermamnist', { baseUrl: base, cacheDir: cache, md5: BREAST_MD5 });
    assert.equal(r.md5Check, 'user');
    assert.deepEqual(log.map((l) => l.range), [undefined, `bytes=${bytes.length}-`]);
    assert.deepEqual(fs.readdirSync(cache), ['dermamnist.npz']);
  });
});

test('no network: fails fast and says where to place the file by hand', async () => {
  const cache = tmp();
  await assert.rejects(
    downloadMedMNIST('octmnist', { baseUrl: 'http://127.0.0.1:9/', cacheDir: cache, size: 64, timeoutMs: 3000 }),
    new RegExp(
      `Cannot reach 127\\.0\\.0\\.1:9 \\(ECONNREFUSED: .*\\); no network\\? To install it by hand: download http://127\\.0\\.0\\.1:9/octmnist_64\\.npz on a machine with internet access and place it at ${cache}/octmnist_64\\.npz \\(or put it in a folder DIR and run \`npx tpp-lab data download octmnist --size 64 --from DIR\`\\)\\.`,
    ),
  );
  assert.deepEqual(fs.readdirSync(cache), []);
});
