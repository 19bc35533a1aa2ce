/**
 * The system packages tpp-lab needs on Debian 12, in one place: checked with `dpkg-query` (a fraction of a
 * second when all is there), installed with `apt-get` when run as root, and otherwise named in one message with
 * the exact commands. `npm test` (and so `.ci/run`), `npm run kernel`, `npm run notebook` and `npm run notebooks`
 * all go through {@link ensureSystem}; `npm run setup [-- --dry-run]` runs it alone.
 *
 * Set `TPP_SYSTEM_SETUP=off` to skip the check (e.g. on a system without dpkg where you installed the
 * equivalents yourself); whatever is missing then fails in the tests that need it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';

/** One thing the project needs from the system, as Debian packages. */
export interface SystemPart {
  /** Short name used by callers and tests: `jupyter`, `chromium`, `torch`, `vulkan`, `lavapipe`. */
  readonly id: SystemPartId;
  readonly packages: readonly string[];
  /** What uses it (said when it is missing). */
  readonly purpose: string;
  /** The oldest upstream major version that works, when the release's own is too old. */
  readonly minMajor?: number;
  /** On this Debian codename, install from `<codename>-backports` (added for the configured mirror if absent). */
  readonly backportsOn?: string;
}

export type SystemPartId = 'jupyter' | 'chromium' | 'torch' | 'vulkan' | 'lavapipe' | 'slurm';

export const SYSTEM_PARTS: readonly SystemPart[] = [
  {
    id: 'jupyter',
    packages: ['jupyter-core', 'jupyter-client', 'jupyter-nbconvert', 'jupyter-notebook'],
    purpose: 'the tslab kernel, headless notebook runs (nbclient) and `npm run notebook` (the classic Notebook 6)',
  },
  { id: 'chromium', packages: ['chromium'], purpose: 'tests that draw figures and drive the Notebook web UI in headless Chromium' },
  {
    id: 'torch',
    packages: ['python3-torch', 'libopenblas0-pthread', 'python3-numpy', 'python3-scipy'],
    purpose: 'cross-checks against PyTorch and SciPy (without libopenblas0-pthread torch uses the reference BLAS, about 9x slower)',
  },
  { id: 'vulkan', packages: ['libvulkan1'], purpose: 'the webgpu tests (the Vulkan loader)' },
  {
    id: 'lavapipe',
    packages: ['mesa-vulkan-drivers'],
    purpose: "the webgpu tests (Mesa's CPU Vulkan driver; Dawn refuses Mesa before 25)",
    minMajor: 25,
    backportsOn: 'bookworm',
  },
  {
    id: 'slurm',
    packages: ['slurm-wlm', 'munge'],
    purpose: 'the SLURM test: a one-node cluster on localhost runs a grid as a job array and merges it (docs/grids.md)',
  },
];

/** What the notebooks need (`npm run kernel`, `npm run notebook`, `npm run notebooks`). */
export const NOTEBOOK_PARTS: readonly SystemPartId[] = ['jupyter'];
/** What `npm test` needs: everything. */
export const TEST_PARTS: readonly SystemPartId[] = SYSTEM_PARTS.map((p) => p.id);

/** apt waits this long for a dpkg lock held by another job instead of failing at once. */
const LOCK_TIMEOUT = ['-o', 'DPkg::Lock::Timeout=300'];
const BACKPORTS_FILE = (codename: string) => `/etc/apt/sources.list.d/${codename}-backports.sources`;

/** The facts about this machine that decide the plan. */
export interface SystemState {
  /** Installed packages and their versions (`ii` in dpkg's status), or null when there is no dpkg-query. */
  readonly installed: ReadonlyMap<string, string> | null;
  readonly root: boolean;
  readonly hasApt: boolean;
  /** `VERSION_CODENAME` from /etc/os-release ('' if unknown). */
  readonly codename: string;
  /** The apt source lists already name `<codename>-backports`. */
  readonly backportsConfigured: boolean;
  /** URI of the configured Debian mirror that serves the plain `<codename>` suite. */
  readonly mirror: string;
}

/** One step of the plan: a command, or a file to write (the backports source). */
export type SetupStep = { readonly argv: readonly string[] } | { readonly file: string; readonly content: string };

export interface SetupPlan {
  /** What is missing, one line per part (`chromium: for tests that ...`). Empty when nothing is to do. */
  readonly missing: readonly string[];
  readonly steps: readonly SetupStep[];
}

/** Upstream major version of a Debian version string (`1:25.0.7-2~bpo12+1` → 25). */
export function upstreamMajor(version: string): number {
  return Number(version.replace(/^\d+:/, '').split(/[.~+-]/)[0]);
}

/** Decide what to install for `ids` given the machine's state. Pure: the same state gives the same plan. */
export function planSetup(ids: readonly SystemPartId[], state: SystemState): SetupPlan {
  const parts = SYSTEM_PARTS.filter((p) => ids.includes(p.id));
  const missing: string[] = [];
  const plain: string[] = [];
  const fromBackports: string[] = [];
  for (const part of parts) {
    const lacking: string[] = [];
    for (const pkg of part.packages) {
      const version = state.installed?.get(pkg);
      const tooOld = version !== undefined && part.minMajor !== undefined && !(upstreamMajor(version) >= part.minMajor);
      if (version !== undefined && !tooOld) continue;
      lacking.push(tooOld ? `${pkg} (${version} is too old: need ${part.minMajor} or newer)` : pkg);
      (part.backportsOn && part.backportsOn === state.codename ? fromBackports : plain).push(pkg);
    }
    if (lacking.length) missing.push(`${lacking.join(', ')}: for ${part.purpose}`);
  }
  if (missing.length === 0) return { missing, steps: [] };
  const steps: SetupStep[] = [];
  if (fromBackports.length && !state.backportsConfigured) {
    const content = `Types: deb\nURIs: ${state.mirror}\nSuites: ${state.codename}-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`;
    steps.push({ file: BACKPORTS_FILE(state.codename), content });
  }
  const install = ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...LOCK_TIMEOUT];
  steps.push({ argv: ['apt-get', 'update', '-q', ...LOCK_TIMEOUT] });
  if (plain.length) steps.push({ argv: [...install, ...plain] });
  if (fromBackports.length) steps.push({ argv: [...install, '-t', `${state.codename}-backports`, ...fromBackports] });
  return { missing, steps };
}

/** A step as a shell command a user can paste (with `sudo` when not root). */
export function stepToShell(step: SetupStep, sudo: boolean): string {
  const s = sudo ? 'sudo ' : '';
  if ('argv' in step) return s + step.argv.join(' ');
  const printf = `printf '${step.content.replace(/\n/g, '\\n')}'`;
  return sudo ? `${printf} | sudo tee ${step.file} >/dev/null` : `${printf} > ${step.file}`;
}

/** The message printed when the set-up cannot install what is missing itself. */
export function missingMessage(plan: SetupPlan, state: SystemState): string {
  const lines = ['tpp-lab needs Debian packages that are not installed:', ...plan.missing.map((m) => `  ${m}`)];
  if (state.installed === null || !state.hasApt) {
    lines.push('This machine has no dpkg/apt: install the equivalents with your package manager (the names above are Debian 12\'s),');
  } else {
    lines.push(`${state.root ? 'Run' : 'Run as root (or run this command again as root, which does it for you)'}:`);
    lines.push(...plan.steps.map((s) => `  ${stepToShell(s, !state.root)}`));
  }
  lines.push('or set TPP_SYSTEM_SETUP=off to skip this check (the tests that need them will fail).');
  return lines.join('\n');
}

/** Read the machine's state: one dpkg-query call plus a few small files. */
export function readSystemState(ids: readonly SystemPartId[] = TEST_PARTS): SystemState {
  const pkgs = SYSTEM_PARTS.filter((p) => ids.includes(p.id)).flatMap((p) => p.packages);
  const q = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${db:Status-Abbrev}\t${Version}\n', ...pkgs], { encoding: 'utf8' });
  let installed: Map<string, string> | null = null;
  if (!q.error) {
    installed = new Map();
    for (const line of q.stdout.split('\n')) {
      const [name, status, version] = line.split('\t');
      if (name && status?.startsWith('ii')) installed.set(name.replace(/:.*$/, ''), version);
    }
  }
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
  const codename = /^VERSION_CODENAME=(.*)$/m.exec(read('/etc/os-release'))?.[1].replace(/"/g, '').trim() ?? '';
  const listDir = '/etc/apt/sources.list.d';
  const lists = [read('/etc/apt/sources.list'), ...(fs.existsSync(listDir) ? fs.readdirSync(listDir).filter((f) => /\.(list|sources)$/.test(f)).map((f) => read(`${listDir}/${f}`)) : [])];
  const sourceLines = lists.join('\n').split('\n').filter((l) => !l.trim().startsWith('#'));
  return {
    installed,
    root: typeof process.getuid === 'function' && process.getuid() === 0,
    hasApt: spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0,
    codename,
    backportsConfigured: codename !== '' && sourceLines.some((l) => new RegExp(`\\b${codename}-backports\\b`).test(l)),
    mirror: mirrorFor(lists, codename),
  };
}

/** URI of the first source (deb822 stanza or one-line entry) that serves the plain `codename` suite. */
export function mirrorFor(lists: readonly string[], codename: string): string {
  for (const text of lists) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.*)$/m.exec(stanza)?.[1].split(/\s+/) ?? [];
      if (uri && suites.includes(codename)) return uri;
    }
    for (const line of text.split('\n')) {
      const f = line.trim().replace(/\[[^\]]*\]\s*/, '').split(/\s+/);
      if (f[0] === 'deb' && f[2] === codename) return f[1];
    }
  }
  return 'http://deb.debian.org/debian';
}

/**
 * For tests that need system packages: null when `ids` are installed, else the message naming what is missing
 * and the commands (`npm test` installs them first, so such tests fail rather than skip).
 */
export function missingFor(ids: readonly SystemPartId[]): string | null {
  const state = readSystemState(ids);
  const plan = planSetup(ids, state);
  return plan.missing.length ? missingMessage(plan, state) : null;
}

/** Thrown when something is missing and this process cannot install it; the message holds the commands. */
export class SystemSetupError extends Error {
  override name = 'SystemSetupError';
}

/**
 * Make sure the system packages for `ids` are installed. Returns at once when they are (seconds at most); as
 * root with apt it installs what is missing, logging each command; otherwise it throws a
 * {@link SystemSetupError} listing what is missing and the exact commands.
 *
 * @param dryRun print what would be done, change nothing (throws only for a machine without dpkg/apt).
 */
export function ensureSystem(ids: readonly SystemPartId[], log: (line: string) => void = () => {}, dryRun = false): void {
  if (process.env.TPP_SYSTEM_SETUP === 'off') {
    log('system packages: not checked (TPP_SYSTEM_SETUP=off)');
    return;
  }
  const state = readSystemState(ids);
  const plan = planSetup(ids, state);
  if (plan.missing.length === 0) return;
  if (!state.root || !state.hasApt || state.installed === null) throw new SystemSetupError(missingMessage(plan, state));
  const t0 = Date.now();
  log(`${dryRun ? 'Would install' : 'Installing'} system packages (as root):\n${plan.missing.map((m) => `  ${m}`).join('\n')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const step of plan.steps) {
    log(`$ ${stepToShell(step, false)}`);
    if (dryRun) continue;
    if ('file' in step) {
      fs.writeFileSync(step.file, step.content);
      continue;
    }
    const r = spawnSync(step.argv[0], step.argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (r.status !== 0) throw new SystemSetupError(`\`${step.argv.join(' ')}\` failed (exit ${r.status ?? r.signal}).\n${missingMessage(plan, state)}`);
  }
  if (dryRun) return;
  // What apt could not provide (e.g. no Mesa 25 for this release) is reported, not fatal: only the tests that
  // need it fail, and they name it.
  const after = planSetup(ids, readSystemState(ids));
  if (after.missing.length) log(`Warning: apt-get finished but these are still missing:\n${after.missing.map((m) => `  ${m}`).join('\n')}`);
  log(`system packages installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** `npm run setup [-- --notebooks] [-- --dry-run]`: check (and as root install) the system packages. */
function main(argv: string[]): number {
  const known = new Set(['--notebooks', '--dry-run', '--help']);
  const bad = argv.find((a) => !known.has(a));
  if (bad || argv.includes('--help')) {
    (bad ? console.error : console.log)(`${bad ? `Unknown option ${bad}\n` : ''}Usage: npm run setup [-- --notebooks] [-- --dry-run]`);
    return bad ? 2 : 0;
  }
  const ids = argv.includes('--notebooks') ? NOTEBOOK_PARTS : TEST_PARTS;
  const t0 = Date.now();
  try {
    ensureSystem(ids, (l) => console.log(l), argv.includes('--dry-run'));
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
  const what = argv.includes('--notebooks') ? 'the notebooks' : 'the tests';
  console.log(argv.includes('--dry-run') ? 'dry run: nothing changed' : `system packages for ${what}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
