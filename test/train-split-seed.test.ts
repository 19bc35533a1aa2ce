/**
 * Data without official splits (a DICOM folder, Fashion-MNIST's validation slice) is split by `--split-seed`,
 * never by the training `--seed`: runs with different training seeds are evaluated on the same test files.
 * Stage defaults (epochs, batch, lr) come from the library's STAGE_DEFAULTS, and the CLI shows them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { commandHelp, COMMANDS } from '../src/cli/main';
import { readCheckpointInfo } from '../src/io/checkpoint';
import { STAGE_DEFAULTS, type StageName } from '../src/train/defaults';
import { fixture } from './dicom-helpers';
import { cli, tempDir } from './helpers';

/** 12 real DICOM files (one patient each), labels a/b alternating, and a labels.csv. */
function dicomFolder(): string {
  const dir = tempDir('tpp-split-seed-');
  const sources = ['MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_RLE.dcm', 'MR_small_MONOCHROME1.dcm', 'CT_small.dcm',
    'image_dfl.dcm', 'SC_rgb_small_odd.dcm', 'ExplVR_BigEnd.dcm', 'SC_rgb_rle.dcm', 'rtdose.dcm', 'SC_rgb_jpeg_gdcm.dcm'];
  const lines = ['file,label,patient_id'];
  sources.forEach((f, i) => {
    fs.copyFileSync(fixture(f), path.join(dir, `f${i}.dcm`));
    lines.push(`f${i}.dcm,${i % 2 ? 'b' : 'a'},P${i}`);
  });
  fs.writeFileSync(path.join(dir, 'labels.csv'), lines.join('\n') + '\n');
  return dir;
}

describe('--split-seed', () => {
  const data = dicomFolder();
  const out = tempDir();

  /** Fine-tune on the DICOM folder; returns the adapter's metadata (test files, seeds). */
  async function run(name: string, extra: string[]): Promise<Record<string, unknown>> {
    const r = cli(['finetune', '--data', data, '--epochs', '1', '--out', path.join(out, name), '--json', '--quiet', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return (await readCheckpointInfo(JSON.parse(r.stdout.trim().split('\n').pop()!).adapter)).metadata;
  }

  test('finetune with --seed 0 and --seed 1 on a DICOM folder is evaluated on the same test files; --split-seed changes them', async () => {
    const s0 = await run('s0', ['--seed', '0']);
    const s1 = await run('s1', ['--seed', '1']);
    assert.equal(s0.seed, 0);
    assert.equal(s1.seed, 1);
    assert.equal(s0.splitSeed, 0);
    assert.ok(Array.isArray(s0.testFiles) && (s0.testFiles as string[]).length > 0, 'the adapter names its test files');
    assert.deepEqual(s1.testFiles, s0.testFiles);
    const split1 = await run('split1', ['--split-seed', '1']);
    assert.equal(split1.splitSeed, 1);
    assert.notDeepEqual(split1.testFiles, s0.testFiles);
  });

  test('every command that loads data takes --split-seed (default 0)', () => {
    for (const name of ['pretrain', 'tpp', 'finetune', 'compare']) {
      const cmd = COMMANDS.find((c) => c.name === name)!;
      assert.deepEqual(cmd.flags.find((f) => f.name === 'split-seed')?.default, 0, name);
    }
  });
});

test('stage defaults live in STAGE_DEFAULTS; the CLI takes them as its flag defaults and shows them in --help', () => {
  for (const stage of ['pretrain', 'tpp', 'finetune'] as StageName[]) {
    const cmd = COMMANDS.find((c) => c.name === stage)!;
    const d = STAGE_DEFAULTS[stage];
    const def = (n: string) => cmd.flags.find((f) => f.name === n)?.default;
    assert.deepEqual([def('epochs'), def('batch'), def('lr')], [d.epochs, d.batchSize, d.lr], stage);
    const help = commandHelp(cmd);
    assert.match(help, new RegExp(`--epochs N +training epochs \\(default: ${d.epochs}\\)`));
    assert.match(help, new RegExp(`--lr X +peak learning rate .*\\(default: ${String(d.lr).replace('.', '\\.')}\\)`));
  }
});
