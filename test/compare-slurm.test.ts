/**
 * The SLURM recipe of docs/grids.md for real: a one-node cluster on localhost (scripts/slurm-local.sh: munged,
 * slurmctld, slurmd as root), a tiny grid as a 3-task job array (scripts/compare-array.sbatch), a merge job that
 * depends on it, and the merged results.csv equal to a serial run's. Needs root and Debian's slurm-wlm + munge
 * (part of `npm test`'s system set-up), see docs/grids.md.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { missingFor } from '../kernel-setup/system';
import { cli, ROOT, tempDir } from './helpers';

// `npm test` installs slurm-wlm and munge (kernel-setup/system.ts) and runs as root in CI, so the test runs there;
// TPP_SLURM_TEST=1 forces it, TPP_SLURM_TEST=0 skips it.
const enabled = process.env.TPP_SLURM_TEST === '1' || (process.env.TPP_SLURM_TEST !== '0' && process.getuid?.() === 0 && missingFor(['slurm']) === null);

describe('compare on SLURM', () => {
  test('a job array of 3 shards, merged by a dependent job, equals the serial run', { skip: enabled ? false : 'needs root and slurm-wlm + munge (npm run setup installs them), or TPP_SLURM_TEST=1' }, async () => {
    const dir = tempDir('tpp-lab-slurm-');
    const conf = path.join(dir, 'cluster');
    const env = { ...process.env, SLURM_CONF: path.join(conf, 'slurm.conf') };
    const start = spawnSync(path.join(ROOT, 'scripts', 'slurm-local.sh'), ['start', conf], { encoding: 'utf8' });
    assert.equal(start.status, 0, `the one-node cluster did not start:\n${start.stdout}${start.stderr}`);
    try {
      const backbone = path.join(dir, 'backbone');
      assert.equal(cli(['pretrain', '--data', 'breastmnist', '--preset', 'tiny', '--limit', '32', '--epochs', '1', '--batch', '16', '--out', backbone, '--quiet']).code, 0);
      const grid = ['--data', 'breastmnist', '--backbone', backbone, '--methods', 'lora', '--arms', 'none,same', '--labels', '4', '--seeds', '0,1', '--limit', '40',
        '--tpp-epochs', '1', '--tpp-images', '40', '--epochs', '2', '--batch', '8', '--quiet'];
      const serial = cli(['compare', ...grid, '--out', path.join(dir, 'serial'), '--jobs', '1']);
      assert.equal(serial.code, 0, serial.stderr);
      const out = path.join(dir, 'grid');
      fs.mkdirSync(out);
      const sbatch = (args: string[], extra: NodeJS.ProcessEnv = {}) => execFileSync('sbatch', ['--parsable', `--chdir=${ROOT}`, ...args], { env: { ...env, ...extra }, encoding: 'utf8' }).trim();
      const array = sbatch(['--array=1-3', `--output=${out}/slurm-%A_%a.out`, path.join(ROOT, 'scripts', 'compare-array.sbatch'), ...grid], { GRID_OUT: out });
      sbatch([`--dependency=afterok:${array}`, `--output=${out}/merge.out`, '--wrap', `node bin/tpp-lab.js compare --merge ${out}/shard-* --out ${out}/all --quiet`]);
      const deadline = Date.now() + 10 * 60_000;
      while (execFileSync('squeue', ['-h'], { env, encoding: 'utf8' }).trim() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2000));
      const logs = fs.readdirSync(out).filter((f) => f.endsWith('.out')).map((f) => `${f}:\n${fs.readFileSync(path.join(out, f), 'utf8')}`).join('\n');
      assert.ok(fs.existsSync(path.join(out, 'all', 'results.csv')), `no merged results; job output:\n${logs}`);
      assert.equal(fs.readFileSync(path.join(out, 'all', 'results.csv'), 'utf8'), fs.readFileSync(path.join(dir, 'serial', 'results.csv'), 'utf8'));
      assert.deepEqual([1, 2, 3].map((i) => fs.existsSync(path.join(out, `shard-${i}`, 'grid.json'))), [true, true, true]);
    } finally {
      spawnSync(path.join(ROOT, 'scripts', 'slurm-local.sh'), ['stop', conf]);
    }
  });
});
