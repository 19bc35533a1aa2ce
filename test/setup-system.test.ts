/**
 * The system set-up (kernel-setup/system.ts) that `npm test`, `npm run kernel` and CI share: its decisions for
 * machines in every state (nothing installed, an old Mesa, not root, no dpkg), and on this machine, after
 * `npm test`'s own set-up ran, that nothing is left to install.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { missingMessage, mirrorFor, planSetup, readSystemState, SYSTEM_PARTS, TEST_PARTS, upstreamMajor, type SystemState } from '../kernel-setup/system';
import { ROOT } from './helpers';

const ALL = SYSTEM_PARTS.flatMap((p) => p.packages);
const LOCK = '-o DPkg::Lock::Timeout=300';

function state(over: Partial<SystemState> & { versions?: Record<string, string> } = {}): SystemState {
  const { versions, ...rest } = over;
  return {
    installed: new Map(Object.entries(versions ?? {})),
    root: true,
    hasApt: true,
    codename: 'bookworm',
    backportsConfigured: false,
    mirror: 'http://mirror.example/debian',
    ...rest,
  };
}

const everything = Object.fromEntries(ALL.map((p) => [p, p === 'mesa-vulkan-drivers' ? '25.0.7-2~bpo12+1' : '1.0']));
const shell = (plan: ReturnType<typeof planSetup>) => plan.steps.map((s) => ('argv' in s ? s.argv.join(' ') : `write ${s.file}`));

describe('system set-up decisions', () => {
  test('everything installed: nothing to do', () => {
    const plan = planSetup(TEST_PARTS, state({ versions: everything }));
    assert.deepEqual(plan, { missing: [], steps: [] });
  });

  test('a fresh Debian 12: backports added for the configured mirror, one update, Mesa from backports', () => {
    const plan = planSetup(TEST_PARTS, state());
    assert.equal(plan.missing.length, SYSTEM_PARTS.length);
    const file = plan.steps[0];
    assert.ok('file' in file);
    assert.equal(file.file, '/etc/apt/sources.list.d/bookworm-backports.sources');
    assert.match(file.content, /^URIs: http:\/\/mirror\.example\/debian$/m);
    assert.match(file.content, /^Suites: bookworm-backports$/m);
    const cmds = shell(plan);
    assert.equal(cmds[1], `apt-get update -q ${LOCK}`);
    const plainInstall = cmds[2].split(' ');
    for (const p of ['jupyter-notebook', 'chromium', 'python3-torch', 'libopenblas0-pthread', 'python3-scipy', 'python3-numpy', 'libvulkan1', 'slurm-wlm', 'munge']) {
      assert.ok(plainInstall.includes(p), `${p} is installed`);
    }
    assert.ok(!plainInstall.includes('mesa-vulkan-drivers'));
    assert.equal(cmds[3], `apt-get install -y -q --no-install-recommends ${LOCK} -t bookworm-backports mesa-vulkan-drivers`);
    assert.equal(cmds.length, 4);
  });

  test("Debian 12's own Mesa 22 is too old; backports already configured are not added again", () => {
    const plan = planSetup(TEST_PARTS, state({ versions: { ...everything, 'mesa-vulkan-drivers': '22.3.6-1+deb12u1' }, backportsConfigured: true }));
    assert.deepEqual(plan.missing, ["mesa-vulkan-drivers (22.3.6-1+deb12u1 is too old: need 25 or newer): for the webgpu tests (Mesa's CPU Vulkan driver; Dawn refuses Mesa before 25)"]);
    assert.deepEqual(shell(plan), [`apt-get update -q ${LOCK}`, `apt-get install -y -q --no-install-recommends ${LOCK} -t bookworm-backports mesa-vulkan-drivers`]);
  });

  test('the notebooks need only Jupyter and the Notebook', () => {
    const plan = planSetup(['jupyter'], state({ versions: { 'jupyter-core': '4', 'jupyter-client': '7', 'jupyter-nbconvert': '6' } }));
    assert.deepEqual(shell(plan), [`apt-get update -q ${LOCK}`, `apt-get install -y -q --no-install-recommends ${LOCK} jupyter-notebook`]);
  });

  test('not root: one message with what is missing and the exact commands, with sudo', () => {
    const versions = Object.fromEntries(Object.entries(everything).filter(([p]) => p !== 'chromium' && p !== 'libopenblas0-pthread'));
    const st = state({ root: false, versions });
    const msg = missingMessage(planSetup(TEST_PARTS, st), st);
    assert.match(msg, /^ {2}chromium: for tests that draw figures/m);
    assert.match(msg, /libopenblas0-pthread: for cross-checks against PyTorch/);
    assert.match(msg, new RegExp(`^  sudo apt-get update -q ${LOCK}$`, 'm'));
    assert.match(msg, new RegExp(`^  sudo apt-get install -y -q --no-install-recommends ${LOCK} chromium libopenblas0-pthread$`, 'm'));
    assert.doesNotMatch(msg, /mesa|tee/);
  });

  test('not root and backports missing: the source is written with sudo tee', () => {
    const st = state({ root: false, versions: { ...everything, 'mesa-vulkan-drivers': '22.3.6-1' } });
    const msg = missingMessage(planSetup(TEST_PARTS, st), st);
    assert.match(msg, /^ {2}printf 'Types: deb\\nURIs: http:\/\/mirror\.example\/debian\\nSuites: bookworm-backports\\n.*' \| sudo tee \/etc\/apt\/sources\.list\.d\/bookworm-backports\.sources >\/dev\/null$/m);
  });

  test('no dpkg: names the packages, gives no apt commands', () => {
    const st = state({ installed: null, hasApt: false, root: false });
    const msg = missingMessage(planSetup(['chromium'], st), st);
    assert.match(msg, /chromium: for tests/);
    assert.match(msg, /no dpkg\/apt/);
    assert.doesNotMatch(msg, /apt-get/);
  });

  test('the mirror is read from deb822 and one-line sources; versions are parsed', () => {
    const deb822 = 'Types: deb\nURIs: http://a.example/debian\nSuites: bookworm bookworm-updates\n\nTypes: deb\nURIs: http://s.example/debian-security\nSuites: bookworm-security\n';
    assert.equal(mirrorFor([deb822], 'bookworm'), 'http://a.example/debian');
    assert.equal(mirrorFor(['deb [arch=amd64] http://b.example/debian bookworm main\n'], 'bookworm'), 'http://b.example/debian');
    assert.equal(mirrorFor(['deb http://s.example/debian-security bookworm-security main\n'], 'bookworm'), 'http://deb.debian.org/debian');
    assert.equal(upstreamMajor('1:25.0.7-2~bpo12+1'), 25);
    assert.equal(upstreamMajor('22.3.6-1+deb12u1'), 22);
  });
});

describe('system set-up on this machine', () => {
  test('after npm test\'s set-up, dpkg reports every package and the set-up command has nothing to do', () => {
    const s = readSystemState(TEST_PARTS);
    assert.ok(s.installed, 'dpkg-query runs');
    const plan = planSetup(TEST_PARTS, s);
    assert.deepEqual(plan.missing, [], missingMessage(plan, s));
    const v = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'jupyter-notebook'], { encoding: 'utf8' });
    assert.equal(s.installed.get('jupyter-notebook'), v.stdout);
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'kernel-setup', 'system.ts')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^system packages for the tests: ok/m);
    assert.doesNotMatch(r.stdout, /apt-get/);
  });
});
