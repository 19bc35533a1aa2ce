/**
 * `--split-seed` splits segmentation data in every command (`tpp`, `finetune --task segment`, `compare`), and one
 * seed gives one split everywhere: each command's record of its images matches `openData`'s split for that seed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { openData } from '../src/io/sources/open';
import { readCheckpointInfo } from '../src/io/checkpoint';
import { datasetFingerprint } from '../src/train/settings-fingerprint';
import { cli, tempDir } from './helpers';

const DATA = 'data/hc18_64.npz';
const LIMIT = 8;

/** Run the CLI with `--json --quiet`, return its JSON line. */
function run(args: string[]): Record<string, unknown> {
  const r = cli([...args, '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('--split-seed on segmentation data', () => {
  const out = tempDir('tpp-split-seed-seg-');
  const split = (seed: number) => openData(DATA, { splitSeed: seed, limit: LIMIT });

  test('openData: another split seed gives another split of the images and masks', async () => {
    const [a, b, a2] = [await split(0), await split(1), await split(0)];
    assert.deepEqual(a2.seg!.test.ids, a.seg!.test.ids);
    assert.notDeepEqual(b.seg!.test.ids, a.seg!.test.ids);
    assert.deepEqual(a.test.ids, a.seg!.test.ids, 'the images are the masks\' images');
    assert.equal(a.train.images.shape[0], LIMIT);
  });

  test('finetune --task segment records the test files of the split its seed names', async () => {
    const files = async (seed: number) => {
      const r = run(['finetune', '--task', 'segment', '--data', DATA, '--labels', '4', '--limit', String(LIMIT), '--epochs', '1', '--batch', '4', '--split-seed', String(seed), '--out', path.join(out, `ft${seed}`)]);
      const meta = (await readCheckpointInfo(String(r.adapter))).metadata;
      assert.equal(meta.splitSeed, seed);
      return meta.testFiles;
    };
    const [f0, f1] = [await files(0), await files(1)];
    assert.deepEqual(f0, (await split(0)).seg!.test.ids);
    assert.deepEqual(f1, (await split(1)).seg!.test.ids);
    assert.notDeepEqual(f1, f0);
  });

  test('tpp trains on the training images of the split its seed names', async () => {
    const files = async (seed: number) => {
      const r = run(['tpp', '--data', DATA, '--limit', String(LIMIT), '--epochs', '1', '--batch', '8', '--split-seed', String(seed), '--out', path.join(out, `tpp${seed}`)]);
      return (await readCheckpointInfo(String(r.adapter))).metadata.trainFiles;
    };
    const [f0, f1] = [await files(0), await files(1)];
    assert.deepEqual(f0, (await split(0)).train.ids);
    assert.deepEqual(f1, (await split(1)).train.ids);
    assert.notDeepEqual(f1, f0);
  });

  test('compare fine-tunes and tests on the split its seed names', async () => {
    const target = (seed: number) => {
      const dir = path.join(out, `cmp${seed}`);
      run(['compare', '--data', DATA, '--methods', 'lora', '--arms', 'none', '--labels', '4', '--seeds', '0', '--epochs', '1', '--batch', '4', '--limit', String(LIMIT), '--jobs', '1', '--split-seed', String(seed), '--out', dir]);
      const cells = fs.readdirSync(path.join(dir, 'cells'));
      const cell = JSON.parse(fs.readFileSync(path.join(dir, 'cells', cells[0]), 'utf8'));
      return cell.cellSettings.target as { train: string; test: string };
    };
    const [t0, t1] = [target(0), target(1)];
    for (const [seed, t] of [[0, t0], [1, t1]] as const) {
      const s = await split(seed);
      assert.equal(t.train, datasetFingerprint(s.train), `split seed ${seed}: training images`);
      assert.equal(t.test, datasetFingerprint(s.test), `split seed ${seed}: test images`);
    }
    assert.notEqual(t1.test, t0.test);
  });
});
