/** scripts/bench-sweep.ts (issue 12): the grid of points, and a real sweep of 2 tiny points written as CSV + markdown. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { sweepPoints } from '../scripts/bench-sweep';
import { ROOT, tempDir } from './helpers';

const sweep = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'bench-sweep.ts'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TPP_BACKEND: '' } });

describe('bench sweep', () => {
  test('one axis at a time around the preset: fixed patch count scales the patch, fixed patch size scales the tokens', () => {
    const pts = sweepPoints({ preset: 'tutorial', axes: ['batch', 'image-grid', 'image-patch', 'depth'], batches: [16, 256], images: [28, 64, 128], patchSize: 4, depths: [2, 8] });
    const shape = (axis: string) => pts.filter((p) => p.axis === axis).map((p) => [p.batch, p.imageSize, p.patchSize, p.depth]);
    assert.deepEqual(shape('batch'), [[16, 28, 7, 4], [256, 28, 7, 4]]);
    assert.deepEqual(shape('image-grid'), [[64, 28, 7, 4], [64, 64, 16, 4], [64, 128, 32, 4]]);
    assert.deepEqual(shape('image-patch'), [[64, 28, 4, 4], [64, 64, 4, 4], [64, 128, 4, 4]]);
    assert.deepEqual(shape('depth'), [[64, 28, 7, 2], [64, 28, 7, 8]]);
    assert.throws(() => sweepPoints({ preset: 'tutorial', axes: ['image-grid'], batches: [], images: [30], patchSize: 4, depths: [] }), /image size 30 is not a multiple of the preset's 4 x 4 patch grid/);
    assert.throws(() => sweepPoints({ preset: 'tutorial', axes: ['image-patch'], batches: [], images: [28], patchSize: 5, depths: [] }), /not a valid model: .*multiple of patchSize \(5\)/);
  });

  test('2 tiny points: CSV and markdown with the measured fields, no tensor leak', () => {
    const dir = tempDir();
    const r = sweep(['--preset', 'tiny', '--variant', 'lora', '--steps', '2', '--warmup', '1', '--axes', 'batch,depth', '--batches', '4', '--depths', '1', '--out', dir]);
    assert.equal(r.status, 0, r.stderr);
    const [header, ...rows] = fs.readFileSync(path.join(dir, 'bench-sweep.csv'), 'utf8').trim().split('\n');
    const cols = header.split(',');
    const rec = rows.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
    assert.deepEqual(rec.map((x) => [x.axis, x.batch, x.image_size, x.patch_size, x.tokens, x.depth]), [['batch', '4', '28', '7', '16', '2'], ['depth', '8', '28', '7', '16', '1']]);
    for (const x of rec) {
      assert.ok(Number(x.ms_median) > 0 && Number(x.ms_min) <= Number(x.ms_median) && Number(x.rss_mb) > 0, JSON.stringify(x));
      assert.equal(x.num_tensors_end, x.num_tensors_start);
    }
    const md = fs.readFileSync(path.join(dir, 'bench-sweep.md'), 'utf8');
    assert.match(md, /Step time against batch size:\n\n\| batch \| image \| patch \| tokens \| depth \| median ms/);
    assert.match(md, /Step time against depth:[\s\S]*\| 8 \| 28 \| 7 \| 16 \| 1 \| \d/);
  });

  test('bad input exits 2 naming the problem', () => {
    for (const [args, msg] of [
      [['--preset', 'tiny', '--axes', 'image-grid', '--images', '30'], /not a multiple of the preset's 4 x 4 patch grid/],
      [['--axes', 'width'], /--axes takes some of batch,image-grid,image-patch,depth; got "width"/],
      [['--batches', '0'], /whole numbers >= 1; got 0/],
      [['--out', '/nonexistent/dir'], /--out \/nonexistent\/dir does not exist/],
    ] as [string[], RegExp][]) {
      const r = sweep(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
  });
});
