import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { acquireRunFolder, guardPreviousRun, LOCK_FILE, RunFolderError } from '../src/io/run-folder';
import { stageFiles } from '../src/io/stage-files';
import { fit } from '../src/train/loop';
import { canonicalJson, settingsDiff, settingsFingerprint } from '../src/train/settings-fingerprint';
import { cli, ROOT, tempDir } from './helpers';

/** A process that holds nothing and is gone: its pid is free (unless reused, which the start-time check covers). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('settings fingerprints', () => {
  test('canonical JSON ignores key order and undefined; the diff names each changed leaf', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, 2], c: undefined } }), '{"a":{"d":[1,2]},"b":1}');
    assert.equal(settingsFingerprint({ x: 1, y: { z: 'a' } }), settingsFingerprint({ y: { z: 'a' }, x: 1 }));
    assert.notEqual(settingsFingerprint({ x: 1 }), settingsFingerprint({ x: 2 }));
    assert.deepEqual(settingsDiff({ epochs: 5, tpp: { lr: 0.001 }, gone: true }, { epochs: 8, tpp: { lr: 0.001 }, splitSeed: 1 }), [
      'epochs: 5 → 8', 'gone: true → absent', 'splitSeed: absent → 1',
    ]);
  });

  test('resuming a training checkpoint with other settings names the change (the same comparison)', async () => {
    const dir = tempDir();
    const w = tf.variable(tf.zeros([2]), true, 'w-resume-test');
    const spec = (lr: number) => ({
      stage: 'test', params: new Map([['w', w]]), epochs: 1, stepsPerEpoch: 1, batches: () => [0], loss: () => tf.sum(tf.square(tf.sub(w, 1))) as tf.Scalar,
      batchSize: () => 1, dispose: () => {}, lr, files: stageFiles(dir), resume: true, meta: { lr, method: { rank: 4 } },
    });
    await fit(spec(0.1));
    await assert.rejects(fit(spec(0.2)), /written with other settings; resuming would mix two runs \(lr: 0\.1 → 0\.2\)/);
    w.dispose();
  });
});

describe('run folder', () => {
  test('a held lock refuses a second holder, naming its pid; release frees it', () => {
    const dir = tempDir();
    const a = acquireRunFolder(dir, 'first');
    assert.throws(() => acquireRunFolder(dir, 'second'), (e: Error) => e instanceof RunFolderError && new RegExp(`in use by pid ${process.pid} \\(first, started`).test(e.message));
    a.release();
    const b = acquireRunFolder(dir, 'second');
    assert.deepEqual(b.notes, []);
    b.release();
    assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false);
  });

  test('a dead holder\'s lock is taken over with a note; orphan temporaries of dead writers are removed', () => {
    const dir = tempDir();
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: require('os').hostname(), startTime: null, command: 'tpp-lab tpp ...', started: 'then' }));
    fs.mkdirSync(path.join(dir, 'cells'));
    fs.writeFileSync(path.join(dir, 'cells', `a.json.tmp-${pid}`), 'half');
    fs.writeFileSync(path.join(dir, `live.json.tmp-${process.ppid}`), 'someone else still writing');
    const f = acquireRunFolder(dir, 'next');
    assert.match(f.notes[0], new RegExp(`took over a stale lock in .*: pid ${pid} \\(tpp-lab tpp \\.\\.\\., started then\\) is no longer running`));
    assert.match(f.notes[1], /removed 1 temporary file left by killed writes: cells\/a\.json\.tmp-\d+/);
    assert.equal(fs.existsSync(path.join(dir, `live.json.tmp-${process.ppid}`)), true);
    f.release();
  });

  test('an earlier run is not overwritten without --resume or --force', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'adapter.safetensors'), 'x');
    assert.throws(() => guardPreviousRun(dir, ['adapter.safetensors', 'checkpoint.safetensors'], {}), /already holds a finished run \(adapter\.safetensors\)\. Pass --resume .* --force/);
    assert.equal(guardPreviousRun(dir, ['adapter.safetensors'], { resume: true }), null);
    assert.match(String(guardPreviousRun(dir, ['adapter.safetensors'], { force: true })), /--force: removed/);
    assert.equal(fs.existsSync(path.join(dir, 'adapter.safetensors')), false);
  });

  test('CLI: a second run into a busy --out refuses; after kill -9 the next run takes over; no rerun without --resume', async () => {
    const dir = tempDir();
    const pre = path.join(dir, 'pre');
    assert.equal(cli(['pretrain', '--data', 'breastmnist', '--preset', 'tiny', '--limit', '32', '--epochs', '1', '--batch', '16', '--out', pre, '--quiet']).code, 0);
    const out = path.join(dir, 'tpp');
    const args = ['tpp', '--data', 'breastmnist', '--backbone', pre, '--method', 'lora', '--limit', '64', '--batch', '16', '--out', out, '--quiet'];
    // A long first run (killed below, long before it ends).
    const first = spawn(process.execPath, [path.join(ROOT, 'bin', 'tpp-lab.js'), ...args, '--epochs', '400'], { cwd: ROOT, stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(path.join(out, 'checkpoint.safetensors')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(fs.existsSync(path.join(out, 'checkpoint.safetensors')), 'the first run wrote a checkpoint');
    const second = cli([...args, '--epochs', '1']);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, new RegExp(`is in use by pid ${first.pid} \\(tpp-lab tpp .*--epochs 400`));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    fs.writeFileSync(path.join(out, `adapter.safetensors.tmp-${first.pid}`), 'half-written');
    const again = cli([...args, '--epochs', '1']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /took over a stale lock/);
    assert.match(again.stderr, /already holds an interrupted run \(checkpoint\.safetensors\)\. Pass --resume/);
    assert.equal(fs.existsSync(path.join(out, `adapter.safetensors.tmp-${first.pid}`)), false, 'orphan removed');
    const fresh = cli([...args, '--epochs', '1', '--force']);
    assert.equal(fresh.code, 0, fresh.stderr);
    const rerun = cli([...args, '--epochs', '1']);
    assert.equal(rerun.code, 2);
    assert.match(rerun.stderr, /already holds a finished run \(adapter\.safetensors\)\. Pass --resume/);
    assert.equal(fs.existsSync(path.join(out, LOCK_FILE)), false, 'every run released the lock');
  });
});
