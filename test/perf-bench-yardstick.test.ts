/**
 * The PyTorch yardstick of `npm run bench` (issue 12): the BLAS decision on probes as scripts/torch_blas.py printed
 * them on this kind of machine (OpenBLAS from libopenblas0-pthread; Debian's reference libblas3/liblapack3 loaded
 * through LD_LIBRARY_PATH from their .debs; an unknown OPENBLAS_CORETYPE), the core-type check, the configurations
 * and the ratios; then the real probe and one real `npm run bench` on the tiny preset.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PYTHON, torchAvailable } from '../scripts/bench-child';
import {
  classifyBlas, coretypeAgreement, ratios, refusal, tfjsConfigs, torchConfigs, REFERENCE_MATMUL_MS, TFJS_BASELINE,
  type TorchBlasProbe, type TorchCheck,
} from '../scripts/bench-yardstick';
import { ROOT, tempDir } from './helpers';

const OB = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
const OPENBLAS: TorchBlasProbe = {
  torch: '1.13.0a0', blas_info: 'generic',
  libraries: [`${OB}/libblas.so.3`, `${OB}/liblapack.so.3`, `${OB}/libopenblasp-r0.3.21.so`],
  blas_library: `${OB}/libblas.so.3`,
  openblas_config: 'OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64',
  openblas_corename: 'Haswell', matmul_n: 512, matmul_ms: 2.534,
};
const PRESCOTT: TorchBlasProbe = { ...OPENBLAS, openblas_config: 'OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64', openblas_corename: 'Prescott', matmul_ms: 10.184 };
/** libblas3 + liblapack3 (no OpenBLAS), as a --no-install-recommends python3-torch gets them. */
const REFERENCE: TorchBlasProbe = {
  torch: '1.13.0a0', blas_info: 'generic',
  libraries: ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0', '/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3.11.0'],
  blas_library: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0',
  openblas_config: null, openblas_corename: null, matmul_n: 512, matmul_ms: 57.541,
};
/** Reference libblas with OpenBLAS's liblapack still mapped: sgemm is the reference one. */
const MIXED: TorchBlasProbe = {
  ...REFERENCE,
  libraries: ['/tmp/refblas/root/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0', `${OB}/liblapack.so.3`, `${OB}/libopenblasp-r0.3.21.so`],
  blas_library: '/tmp/refblas/root/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0', matmul_ms: 52.559,
};

const check = (blas: TorchBlasProbe, losses: Record<string, number>): TorchCheck => ({ blas, losses });
const LOSSES = { full: 2.4226772785186768, lora: 2.497161388397217, mae: 0.5268340706825256 };

describe('npm run bench: PyTorch yardstick', () => {
  test('OpenBLAS is recognised by its own config string, whatever BLAS_INFO says', () => {
    const v = classifyBlas(OPENBLAS);
    assert.equal(v.kind, 'openblas');
    assert.equal(v.library, `${OB}/libblas.so.3`);
    assert.match(v.reason, /OpenBLAS 0\.3\.21 .*Haswell kernels.*2\.534 ms/);
    assert.equal(classifyBlas(PRESCOTT).kind, 'openblas', 'generic kernels are slower but still OpenBLAS');
  });

  test("Debian's reference BLAS is refused, by its path and by its matmul time", () => {
    for (const p of [REFERENCE, MIXED]) {
      const v = classifyBlas(p);
      assert.equal(v.kind, 'reference', JSON.stringify(p.libraries));
      assert.match(v.reason, /blas\/libblas\.so\.3\.11\.0/);
      assert.match(refusal(v), /No ratio: PyTorch runs on the reference BLAS.*Fix: apt-get install -y libopenblas0-pthread \(or npm run setup\)/);
    }
    // An unnamed libblas: the timing decides.
    const unnamed = { ...REFERENCE, blas_library: '/opt/x/libblas.so.3', libraries: ['/opt/x/libblas.so.3'] };
    assert.equal(classifyBlas(unnamed).kind, 'reference');
    assert.match(classifyBlas(unnamed).reason, new RegExp(`57\\.541 ms \\(an optimised BLAS takes under ${REFERENCE_MATMUL_MS} ms\\)`));
    assert.equal(classifyBlas({ ...unnamed, matmul_ms: 3.1 }).kind, 'other');
    assert.equal(classifyBlas({ ...unnamed, blas_info: 'mkl', blas_library: null, libraries: [] }).kind, 'mkl');
  });

  test('a pinned core is timed only when OpenBLAS took it and the forward losses agree', () => {
    const ok = coretypeAgreement(check(OPENBLAS, LOSSES), check(PRESCOTT, { ...LOSSES, full: 2.4226770401000977 }), 'prescott');
    assert.equal(ok.ok, true, ok.reason);
    assert.ok(ok.maxDiff > 0 && ok.maxDiff < 1e-6);
    // OPENBLAS_CORETYPE=Bogus: OpenBLAS silently chose Cooperlake on this machine.
    const ignored = coretypeAgreement(check(OPENBLAS, LOSSES), check({ ...OPENBLAS, openblas_corename: 'Cooperlake' }, LOSSES), 'Bogus');
    assert.equal(ignored.ok, false);
    assert.match(ignored.reason, /OPENBLAS_CORETYPE=Bogus did not take effect \(OpenBLAS chose Cooperlake\)/);
    const differs = coretypeAgreement(check(OPENBLAS, LOSSES), check(PRESCOTT, { ...LOSSES, mae: 0.52685 }), 'Prescott');
    assert.equal(differs.ok, false);
    assert.match(differs.reason, /forward losses differ by 1\.59e-5 \(relative\).*tolerance 0\.00001/);
    const missing = coretypeAgreement(check(OPENBLAS, LOSSES), check(PRESCOTT, { full: LOSSES.full }), 'Prescott');
    assert.equal(missing.ok, false);
  });

  test('configurations are named; ratios are best / best at most N cores, and none on the reference BLAS', () => {
    const ob = classifyBlas(OPENBLAS);
    const configs = [...tfjsConfigs([1, 2], true), ...torchConfigs([1, 2], ob, 'Haswell', 'Prescott')];
    assert.deepEqual(configs.map((c) => c.name), [
      'tpp-lab, 1 thread', 'tpp-lab, 2 workers', TFJS_BASELINE,
      'PyTorch 1 thread, OpenBLAS Haswell (auto)', 'PyTorch 1 thread, OPENBLAS_CORETYPE=Prescott',
      'PyTorch 2 threads, OpenBLAS Haswell (auto)', 'PyTorch 2 threads, OPENBLAS_CORETYPE=Prescott',
    ]);
    for (const c of configs.filter((x) => x.engine === 'torch')) assert.equal(c.env.OPENBLAS_NUM_THREADS, '1');
    assert.deepEqual(configs[2].env, { TPP_LAB_KERNELS: 'off' });
    const ms = [80, 60, 50, 20, 25, 16, 18]; // the baseline (50) is faster here, but never tpp-lab's best
    const cells = configs.map((config, i) => ({ variant: 'full', config, ms: ms[i] }));
    const [one, two] = ratios(cells, ['full'], [1, 2], ob);
    assert.deepEqual([one.tfjs?.ms, one.torch?.ms, one.ratio], [80, 20, 4]);
    assert.deepEqual([two.tfjs?.config, two.torch?.config, two.ratio], ['tpp-lab, 2 workers', 'PyTorch 2 threads, OpenBLAS Haswell (auto)', 60 / 16]);
    const ref = classifyBlas(REFERENCE);
    const refConfigs = torchConfigs([1, 2], ref, null, 'Prescott');
    assert.deepEqual(refConfigs.map((c) => c.name), ['PyTorch 1 thread, REFERENCE BLAS', 'PyTorch 2 threads, REFERENCE BLAS']);
    const refused = ratios([...cells.slice(0, 3), ...refConfigs.map((config) => ({ variant: 'full', config, ms: 198 }))], ['full'], [1, 2], ref);
    assert.deepEqual(refused.map((r) => r.ratio), [null, null]);
    assert.equal(refused[0].torch?.ms, 198, 'the torch rows are still reported');
  });

  test('the real probe of this machine finds OpenBLAS (the set-up installs libopenblas0-pthread)', { skip: !torchAvailable() && 'python3-torch is not installed' }, () => {
    const r = spawnSync(PYTHON, [path.join(ROOT, 'scripts', 'torch_blas.py')], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
    assert.equal(r.status, 0, r.stderr);
    const probe = JSON.parse(r.stdout.trim()) as TorchBlasProbe;
    assert.ok(probe.matmul_ms > 0);
    const v = classifyBlas(probe);
    assert.equal(v.kind, 'openblas', v.reason);
    assert.match(probe.openblas_config ?? '', /^OpenBLAS \d/);
  });

  test('one tiny run writes the BLAS, the configurations and memory at start and end of every run', () => {
    const out = path.join(tempDir(), 'bench.json');
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'bench.ts'), '--preset', 'tiny', '--steps', '3', '--variants', 'lora', '--workers', '1', '--json', out], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TPP_BACKEND: '' } });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    const tfjs = j.cells.find((c: { engine: string }) => c.engine === 'tfjs');
    assert.equal(tfjs.config, 'tpp-lab, 1 thread');
    const run = tfjs.runs[0];
    for (const k of ['rss_mb_start', 'rss_mb_end', 'num_tensors_start', 'num_tensors_end']) assert.ok(Number.isFinite(run[k]), `tfjs run lacks ${k}`);
    assert.equal(run.num_tensors_end, run.num_tensors_start, 'a bench step leaks tensors');
    if (!torchAvailable()) return;
    assert.equal(j.blas.kind, 'openblas');
    assert.ok(j.blas.libraries.length > 0 && j.blas.matmul_ms > 0);
    assert.equal(j.coretype.name, 'Prescott');
    assert.equal(j.coretype.ok, true, j.coretype.reason);
    const torch = j.cells.filter((c: { engine: string }) => c.engine === 'torch');
    assert.deepEqual(torch.map((c: { config: string }) => c.config), ['PyTorch 1 thread, OpenBLAS Haswell (auto)', 'PyTorch 1 thread, OPENBLAS_CORETYPE=Prescott'].map((n) => n.replace('Haswell', j.blas.openblas_corename)));
    assert.equal(torch[1].runs[0].openblas_corename, 'Prescott');
    for (const c of torch) for (const k of ['rss_mb_start', 'rss_mb_end', 'rss_mb']) assert.ok(c.runs[0][k] > 0, `torch run lacks ${k}`);
    assert.equal(j.ratio_refused, null);
    assert.ok(j.ratios[0].ratio > 0);
    assert.match(r.stdout, /ratio = tpp-lab's best \/ PyTorch's best/);
  });
});
