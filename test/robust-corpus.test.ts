/**
 * The corpus of hostile and malformed inputs (written by test/fixtures/make_bad_inputs.ts), each run through
 * the real CLI in a child process with its expected outcome: exit code, a fragment of the message, and for the
 * bombs a peak-memory bound (the child's own maxRSS). A child is killed when it passes `KILL_RSS_MB` (measured
 * from /proc where there is one) or its time limit, which then fails the row: the way the old code "handled"
 * the bombs and the FIFO. Set ROBUST_CORPUS_REPORT=file.json to write every row's outcome there.
 *
 * The grid's faults (issue 24) follow the rows: sizes bounded before any work, an unreadable cell named in a rerun
 * and in --merge, and a full disk (a small tmpfs where this process may mount one, i.e. root on Linux; otherwise a
 * write that fails at the file layer, into /dev/full): each said in one sentence, nothing finished lost.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, tempDir } from './helpers';
import { makeBadInputs } from './fixtures/make_bad_inputs';
import { loadMedMNIST } from '../src/io/sources/medmnist';
import { maxWorkers } from '../src/cli/args';

const KILL_RSS_MB = 1200;
/** Peak memory allowed for a refused bomb: the CLI itself takes about 200 MB; the bombs declare 300 MB+. */
const BOMB_RSS_MB = 450;

const dir = tempDir('tpp-lab-corpus-');
const bad = makeBadInputs(path.join(dir, 'in'), ROOT);
let outs = 0;
const out = () => path.join(dir, `out${outs++}`);

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  peakMB: number | null;
  killed: string | null;
  seconds: number;
}

/** Read a live process's peak RSS (VmHWM) in MB from /proc; null where there is no /proc. */
function procPeakMB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function runCli(args: string[], timeoutS: number): Promise<Outcome> {
  const rssFile = path.join(dir, `rss-${outs++}`);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'test', 'fixtures', 'peak-rss.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, TPP_BACKEND: '', PEAK_RSS_FILE: rssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let killed: string | null = null;
    let polled = 0;
    const poll = setInterval(() => {
      const mb = procPeakMB(child.pid!);
      if (mb !== null) polled = Math.max(polled, mb);
      if (mb !== null && mb > KILL_RSS_MB) {
        killed = `killed above ${KILL_RSS_MB} MB`;
        child.kill('SIGKILL');
      }
    }, 50);
    const timer = setTimeout(() => {
      killed = `killed after ${timeoutS} s`;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      let peakMB: number | null = polled || null;
      if (fs.existsSync(rssFile)) peakMB = Number(fs.readFileSync(rssFile, 'utf8')) / 1024;
      resolve({ code, stdout, stderr, peakMB, killed, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

/** A tiny real grid for the grid rows and scenarios: 2 cells (LoRA, no TPP, 4 labels per class, seeds 0 and 1), one epoch each. */
const grid = (dest: string, ...rest: string[]) => ['compare', '--data', 'breastmnist', '--methods', 'lora', '--arms', 'none', '--labels', '4', '--seeds', '0,1',
  '--limit', '40', '--epochs', '1', '--batch', '8', '--quiet', '--out', dest, ...rest];

interface Row {
  /** Issue 16 category: bomb (unbounded memory), hang, silent (silently wrong), inspect (impossible shapes), flags, message (internal message). */
  category: 'bomb' | 'hang' | 'silent' | 'inspect' | 'flags' | 'message';
  name: string;
  args: () => string[] | null;
  code: number;
  /** Fragments that must appear in stdout + stderr. */
  says: (string | RegExp)[];
  /** Peak RSS bound in MB. */
  maxMB?: number;
  timeoutS?: number;
}

const train = (data: string, ...rest: string[]) => ['finetune', '--data', data, '--out', out(), '--epochs', '1', '--quiet', ...rest];
const ROWS: Row[] = [
  // Unbounded memory
  { category: 'bomb', name: 'npz: 300 MiB of zeros in 0.3 MB (ratio 1000:1) is refused before inflating', args: () => train(bad.npzBomb), code: 1, says: ['ratio'], maxMB: BOMB_RSS_MB },
  { category: 'bomb', name: 'npz: --limit 20 on the bomb decodes only 20 training images', args: () => train(bad.npzBomb, '--limit', '20', '--batch', '20', '--json'), code: 0, says: ['"train_examples":20'], maxMB: BOMB_RSS_MB, timeoutS: 120 },
  { category: 'bomb', name: 'npz: a label count the headers contradict is reported before decoding', args: () => train(bad.npzBombLabels), code: 1, says: ['train_labels', String(Math.ceil((300 << 20) / 784) - 1)], maxMB: BOMB_RSS_MB },
  { category: 'bomb', name: 'dicom: a deflated data set that inflates past its image is refused', args: () => ['dicom', bad.dcmDeflateBomb], code: 1, says: ['inflates'], maxMB: BOMB_RSS_MB },
  { category: 'bomb', name: 'dicom: /dev/zero is not read', args: () => (fs.existsSync('/dev/zero') ? ['dicom', '/dev/zero'] : null), code: 1, says: ['not a regular file'], maxMB: BOMB_RSS_MB, timeoutS: 20 },
  { category: 'bomb', name: 'checkpoint: a 562 KB backbone claiming dim 1e9 fails before building the model', args: () => train('breastmnist', '--backbone', bad.backboneDim1e9), code: 1, says: ['dim'], maxMB: BOMB_RSS_MB },
  { category: 'bomb', name: 'flags: --workers 64 on a small machine is refused', args: () => train('breastmnist', '--workers', String(Math.max(64, maxWorkers().max + 1))), code: 2, says: ['--workers'], maxMB: BOMB_RSS_MB },
  // Hangs
  { category: 'hang', name: 'dicom: a FIFO with no writer fails at once', args: () => (bad.fifo ? ['dicom', bad.fifo] : null), code: 1, says: ['not a regular file'], timeoutS: 15 },
  // Impossible shapes in data inspect
  { category: 'inspect', name: 'npz: a header claiming 10^12 images in a 15 KB file', args: () => ['data', 'inspect', bad.npzHugeShape], code: 1, says: ['train_images', 'but the entry holds'] },
  { category: 'inspect', name: 'npz: a header claiming 4,000,000 images in a 78 KB entry', args: () => ['data', 'inspect', bad.npzLyingCount], code: 1, says: ['4000000', 'but the entry holds'] },
  // Silent task changes
  { category: 'silent', name: 'npz: one label 7 in a binary file is not an 8-class task', args: () => train(bad.npzLabel7, '--limit', '10'), code: 1, says: ['2, 3, 4, 5, 6'] },
  { category: 'silent', name: 'npz: float images in 0..255 are refused (scale them to [0, 1])', args: () => train(bad.npzFloat255, '--limit', '10'), code: 1, says: ['outside [0, 1]', '255'] },
  { category: 'silent', name: 'dicom folder: --strict fails on failed, missing and unlabelled files and says which', args: () => train(bad.dicomMixed, '--convert', '--strict'), code: 1, says: ['12 used', '1 failed', 'broken.dcm', '1 missing', 'gone.dcm', '1 unlabelled', 'extra.dcm', '--strict'] },
  { category: 'silent', name: 'dicom folder: the load summary is printed on every run', args: () => train(bad.dicomMixed, '--convert', '--batch', '8'), code: 0, says: ['12 used', '1 failed', '1 missing', '1 unlabelled'], timeoutS: 120 },
  // Internal messages
  { category: 'message', name: 'dicom: huge Rows/Columns get a named error', args: () => ['dicom', bad.dcmHugeDims], code: 1, says: ['65535', 'too large'] },
  { category: 'message', name: 'dicom folder: a one-class CSV says so', args: () => train(bad.dicomOneClass, '--convert'), code: 1, says: ['one class', 'dark'] },
  { category: 'message', name: 'dicom folder: no CSV row matching a file says so', args: () => train(bad.dicomNoMatch, '--convert'), code: 1, says: ['scans/img0.dcm', 'img0.dcm'] },
  // Flags
  { category: 'flags', name: '--lr 0 is bad usage', args: () => train('breastmnist', '--lr', '0', '--limit', '10'), code: 2, says: ['--lr'] },
  { category: 'flags', name: '--epochs 0 is bad usage', args: () => ['finetune', '--data', 'breastmnist', '--out', out(), '--epochs', '0', '--limit', '10', '--quiet'], code: 2, says: ['--epochs'] },
  { category: 'flags', name: '--batch -5 is bad usage', args: () => train('breastmnist', '--batch', '-5', '--limit', '10'), code: 2, says: ['--batch'] },
  { category: 'flags', name: '--limit 0 is bad usage', args: () => train('breastmnist', '--limit', '0'), code: 2, says: ['--limit'] },
  { category: 'flags', name: '--mask-ratio 0 is bad usage (pretrain)', args: () => ['pretrain', '--data', 'breastmnist', '--out', out(), '--epochs', '1', '--limit', '10', '--mask-ratio', '0', '--quiet'], code: 2, says: ['--mask-ratio'] },
  { category: 'flags', name: '--mask-ratio 1 is bad usage (tpp)', args: () => ['tpp', '--data', 'breastmnist', '--out', out(), '--epochs', '1', '--limit', '10', '--mask-ratio', '1', '--quiet'], code: 2, says: ['--mask-ratio'] },
  // The grid's sizes, bounded before any work (issue 24)
  { category: 'bomb', name: 'study plan: "seeds": 1000000000 is refused at once, with its cells and the limit', args: () => ['study', '--plan', bad.planSeeds1e9, '--out', out()], code: 2, says: ['has 2,000,000,000 cells', 'limit of 100,000', '"maxCells"'], maxMB: BOMB_RSS_MB, timeoutS: 20 },
  { category: 'flags', name: 'compare: --epochs 100000000 is refused with its estimated time and the limit', args: () => grid(out(), '--epochs', '100000000'), code: 2, says: ['years of compute', 'limit of 720 hours', '--max-hours'] },
  { category: 'flags', name: 'compare: --jobs above 4 x the cores is refused', args: () => grid(out(), '--jobs', String(maxWorkers().max + 1)), code: 2, says: ['--jobs', 'cores'] },
  // --out that is a file (issue 24): one sentence, not EEXIST from mkdir
  { category: 'message', name: 'compare: --out naming a file is refused in one sentence', args: () => grid(bad.notAFolder), code: 2, says: [`--out ${bad.notAFolder} is a file, not a folder; give a folder path.`] },
];

/** Messages that come from inside the code rather than from a check written for the user. */
const INTERNAL = /Invalid typed array length|oneHot|numClasses|Array buffer allocation failed|Maximum call stack|heap out of memory|: Unexpected end of JSON input$|: (EEXIST|ENOSPC): /m;

const report: unknown[] = [];
after(() => {
  if (process.env.ROBUST_CORPUS_REPORT) fs.writeFileSync(process.env.ROBUST_CORPUS_REPORT, JSON.stringify(report, null, 2));
});

for (const row of ROWS) {
  test(`[${row.category}] ${row.name}`, async (t) => {
    const args = row.args();
    if (!args) return t.skip('not available on this machine');
    const r = await runCli(args, row.timeoutS ?? 60);
    const text = `${r.stdout}\n${r.stderr}`;
    const problems: string[] = [];
    if (r.killed) problems.push(r.killed);
    if (r.code !== row.code) problems.push(`exit ${r.code}, expected ${row.code}`);
    for (const s of row.says) if (!(typeof s === 'string' ? text.includes(s) : s.test(text))) problems.push(`output lacks ${s}`);
    if (INTERNAL.test(text)) problems.push(`internal message: ${INTERNAL.exec(text)![0]}`);
    if (row.maxMB && r.peakMB !== null && r.peakMB > row.maxMB) problems.push(`peak RSS ${Math.round(r.peakMB)} MB > ${row.maxMB} MB`);
    report.push({ category: row.category, name: row.name, pass: problems.length === 0, problems, code: r.code, peakMB: r.peakMB && Math.round(r.peakMB), seconds: r.seconds, tail: text.trim().split('\n').slice(-3) });
    assert.deepEqual(problems, [], `${args.join(' ')}\n${text.trim().split('\n').slice(-6).join('\n')}`);
  });
}

// Pixel scaling by dtype range (library level: the values themselves are the outcome).
for (const [key, dtype] of [['npzUint16', 'uint16'], ['npzInt16', 'int16']] as const) {
  test(`[silent] npz: ${dtype} images are scaled by their type's range to [0, 1]`, async () => {
    const ds = await loadMedMNIST(bad[key], { split: 'train' });
    const px = ds.images.data;
    let min = Infinity;
    let max = -Infinity;
    for (const v of px) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const ok = px instanceof Float32Array && min === 0 && max === 1;
    report.push({ category: 'silent', name: `${dtype} scaling`, pass: ok, min, max });
    assert.ok(px instanceof Float32Array, 'float32 pixels');
    assert.equal(min, 0);
    assert.equal(max, 1);
    // uint16: 65535 → 1; int16: -32768 → 0, 32767 → 1 (value - min) / (max - min) of the type.
    assert.equal(px[0], dtype === 'uint16' ? 1 : 0);
  });
}

// ---------- the grid's faults (issue 24): unreadable results and a full disk, on a tiny real grid ----------

/** Every file under `dir` whose name marks a temporary of an atomic write (none may be left after a failed write). */
function temporaries(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.tmp-\d+$/.test(f));
}

/** The cells of a grid folder's results.json, by key fields, with what training produced (not timings or paths). */
function trained(cells: Record<string, unknown>[]): unknown[] {
  return cells.map((c) => [c.method, c.arm, c.budget, c.seed, c.auc, c.accuracy, c.balanced_accuracy, c.f1, c.val_auc, c.bestEpoch, c.steps]);
}

/**
 * A tmpfs of `sizeKB` mounted on a new folder, or null where this process may not mount one (not root, no mount,
 * or `TPP_TMPFS_TEST=0`, which forces the file-layer fallback); `unmount` it in a finally.
 */
function mountTmpfs(sizeKB: number): { dir: string; unmount: () => void } | null {
  if (process.env.TPP_TMPFS_TEST === '0' || process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpp-lab-tmpfs-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKB}k`, 'tmpfs', dir]).status !== 0) {
    fs.rmdirSync(dir);
    return null;
  }
  return { dir, unmount: () => void (spawnSync('umount', [dir]).status === 0 && fs.rmdirSync(dir)) };
}

describe('the grid\'s faults', () => {
  const serial = out();
  const results = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')).cells as Record<string, unknown>[];
  before(async () => {
    const r = await runCli(grid(serial, '--jobs', '1'), 120);
    assert.equal(r.code, 0, r.stderr);
  });

  test('[grid] a truncated cell in a shard: the rerun and --merge name the file; --recompute redoes only it, equal to a serial run', async () => {
    const shard = out();
    assert.equal((await runCli(grid(shard, '--shard', '1/1', '--jobs', '1'), 120)).code, 0);
    const [kept, broken] = fs.readdirSync(path.join(shard, 'cells')).sort().map((f) => path.join(shard, 'cells', f));
    const keptBytes = fs.readFileSync(kept);
    fs.truncateSync(broken, 100);
    const again = await runCli(grid(shard, '--shard', '1/1', '--jobs', '1'), 60);
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is corrupt \\(not JSON: .*\\): rerun with --recompute to redo it`));
    const merged = await runCli(['compare', '--merge', shard, '--out', out(), '--quiet'], 60);
    assert.equal(merged.code, 2, merged.stderr);
    assert.ok(merged.stderr.includes(`the shard folder ${shard} holds a corrupt cells/${path.basename(broken)} (not JSON: `), merged.stderr);
    assert.match(merged.stderr, /rerun that shard's command with --recompute .*then merge again\./);
    const redo = await runCli(grid(shard, '--shard', '1/1', '--jobs', '1', '--recompute'), 120);
    assert.equal(redo.code, 0, redo.stderr);
    assert.deepEqual(fs.readFileSync(kept), keptBytes, 'the readable cell is kept as it was');
    assert.equal(fs.readFileSync(path.join(shard, 'results.csv'), 'utf8'), fs.readFileSync(path.join(serial, 'results.csv'), 'utf8'));
    for (const r of [again, merged, redo]) assert.doesNotMatch(`${r.stdout}${r.stderr}`, INTERNAL);
    report.push({ category: 'grid', name: 'truncated cell: rerun, merge, --recompute', pass: true, tail: [again.stderr.trim().split('\n')[0], merged.stderr.trim().split('\n')[0]] });
  });

  test('[grid] a full disk names the file, keeps the finished cells, and the rerun resumes to the serial run\'s results', async (t) => {
    const [first, second] = results(serial).map((c) => `cells/${c.method}__${c.arm}__${String(c.budget).replace('/', '_')}__s${c.seed}.json`);
    const says = (text: string, dir: string) => {
      assert.ok(text.includes(`Cannot write ${path.join(dir, second)}: no space left on the device (ENOSPC); the finished cells in ${dir} are intact`), text);
      assert.match(text, /free some space and rerun the same command, which resumes from them\./);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'cells')), [path.basename(first)], 'the first cell finished, the second left nothing');
      assert.deepEqual(temporaries(dir), []);
      JSON.parse(fs.readFileSync(path.join(dir, first), 'utf8'));
    };
    const tmpfs = mountTmpfs(8 << 10);
    if (tmpfs) {
      try {
        // Fill the tmpfs to 3 free pages: the lock, grid.json and the first cell (a page each; folders take none).
        const filler = path.join(tmpfs.dir, 'filler');
        const room = fs.statfsSync(tmpfs.dir);
        fs.writeFileSync(filler, Buffer.alloc((room.bavail - 3) * room.bsize));
        const dir = path.join(tmpfs.dir, 'grid');
        const full = await runCli(grid(dir, '--jobs', '1'), 120);
        assert.equal(full.code, 1);
        says(full.stderr, dir);
        assert.doesNotMatch(full.stderr, INTERNAL);
        fs.rmSync(filler);
        const rerun = await runCli(grid(dir, '--jobs', '1').filter((a) => a !== '--quiet'), 120);
        assert.equal(rerun.code, 0, rerun.stderr);
        assert.match(rerun.stderr, /\[1\/2\] done earlier: lora \/ none \/ 4\/class \/ seed 0/);
        assert.equal(fs.readFileSync(path.join(dir, 'results.csv'), 'utf8'), fs.readFileSync(path.join(serial, 'results.csv'), 'utf8'));
        report.push({ category: 'grid', name: 'full disk (tmpfs)', pass: true, tail: [full.stderr.trim().split('\n')[0]] });
      } finally {
        tmpfs.unmount();
      }
      return;
    }
    // No tmpfs here: the same run in this process through a real folder store whose second cell's write goes to
    // /dev/full (the atomic write's temporary file is a link to it), which fails with ENOSPC at the file layer.
    if (!fs.existsSync('/dev/full')) return t.skip('neither a tmpfs nor /dev/full on this machine');
    const { runGrid } = await import('../src/grid/comparison');
    const { folderStore } = await import('../src/io/folder-store');
    const { nodeGridSources } = await import('../src/io/grid-sources');
    const dir = out();
    const settings = {
      data: 'breastmnist', other: [], methods: ['lora'], arms: ['none'], budgets: [{ perClass: 4 }], seeds: [0, 1], splitSeed: 0, limit: 40,
      tppEpochs: 20, tppLr: 3e-3, tppImages: 546, pretext: 'mae' as const, epochs: 1, lr: 3e-3, batch: 8, out: dir, title: 'full disk',
    };
    fs.mkdirSync(path.join(dir, 'cells'), { recursive: true });
    fs.symlinkSync('/dev/full', path.join(dir, `${second}.tmp-${process.pid}`));
    const failed = await runGrid(settings, { store: folderStore(dir), sources: nodeGridSources }).then(() => null, (e: Error) => e.message);
    assert.ok(failed, 'the write into /dev/full fails');
    says(failed, dir);
    // The failed write removed its temporary file (the link), which frees the "disk".
    const phases: string[] = [];
    const run = await runGrid(settings, { store: folderStore(dir), sources: nodeGridSources, onProgress: (e) => phases.push(e.phase) });
    assert.deepEqual(phases.filter((p) => p !== 'finetune'), ['skip'], 'the rerun reuses the finished cell');
    assert.deepEqual(trained(run.stored as unknown as Record<string, unknown>[]), trained(results(serial)));
    report.push({ category: 'grid', name: 'full disk (/dev/full)', pass: true, tail: [failed] });
  });
});
