/** `tpp-lab bench`: stable JSON keys (issue 7, scripts/gpu-check.sh), memory at start and end (issue 12), and exit
 * code 2 on bad flags. */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cli } from './helpers';

describe('tpp-lab bench', () => {
  test('--json prints the keys issue 7 fixes, with sane values', () => {
    const r = cli(['bench', '--preset', 'tiny', '--variant', 'lora', '--steps', '2', '--warmup', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    for (const k of ['backend', 'workers', 'preset', 'variant', 'ms_median', 'ms_min', 'images_per_s', 'rss_mb']) assert.ok(k in out, `missing key ${k}`);
    assert.equal(out.preset, 'tiny');
    assert.equal(out.variant, 'lora');
    assert.equal(out.workers, 1);
    assert.equal(out.batch, 8);
    assert.ok(out.ms_min > 0 && out.ms_min <= out.ms_median);
    assert.ok(out.images_per_s > 0 && out.rss_mb > 0);
    // Memory at the start and end of the timed steps (issue 12): no tensor leaks per step.
    for (const k of ['rss_mb_start', 'rss_mb_end', 'num_tensors_start', 'num_tensors_end']) assert.ok(Number.isFinite(out[k]), `missing key ${k}`);
    assert.ok(out.rss_mb_start > 0 && out.rss_mb_end > 0 && out.rss_mb_end <= out.rss_mb + 0.1);
    assert.ok(out.num_tensors_start > 0);
    assert.equal(out.num_tensors_end, out.num_tensors_start);
  });

  test('--image-size, --patch and --depth change the model the steps run on, in workers too', () => {
    // 2 workers: each rebuilds the task from its spec, so the shape must travel with it.
    const r = cli(['bench', '--preset', 'tiny', '--variant', 'mae', '--steps', '3', '--warmup', '0', '--image-size', '56', '--patch', '14', '--depth', '1', '--workers', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.deepEqual([out.image_size, out.patch_size, out.depth, out.batch, out.workers], [56, 14, 1, 8, 2]);
    assert.equal(out.num_tensors_end, out.num_tensors_start);
  });

  test('--help exits 0 (gpu-check.sh calls bench only then)', () => {
    const r = cli(['bench', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--variant fwd\|full\|lora\|mae/);
  });

  test('bad flags exit 2 with a message naming the problem', () => {
    const cases: [string[], RegExp][] = [
      [['--variant', 'bogus'], /--variant must be one of fwd, full, lora, mae; got "bogus"/],
      [['--preset', 'huge'], /--preset must be one of/],
      [['--steps', '0'], /--steps must be >= 1; got 0/],
      [['--workers', '0'], /--workers must be in \[1, \d+\]; got 0/],
      [['--preset', 'tiny', '--batch', '2', '--workers', '3'], /--workers \(3\) must not exceed the batch \(2\)/],
      [['--warmup', '-1'], /--warmup must be >= 0; got -1/],
      [['--preset', 'tiny', '--image-size', '30'], /imageSize \(30\) must be a multiple of patchSize \(7\)/],
      [['--depth', '0'], /--depth must be >= 1; got 0/],
      [['--workers', '100000'], /--workers must be in \[1, \d+\] \(at most 4 x the \d+ cores? of this machine/],
      [['--steps', 'many'], /--steps expects a whole number/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(['bench', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
  });
});
