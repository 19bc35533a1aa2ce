/**
 * What the webgpu tests need: Mesa's lavapipe (a CPU Vulkan driver) new enough for Dawn. They fail, not skip,
 * when it is missing, with the commands that install it (the same as .ci/run).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { vulkanMissingReason } from '../src/backend-webgpu';
import { ROOT } from './helpers';

export const LAVAPIPE_INSTALL =
  'the webgpu tests need Mesa >= 25 lavapipe and the Vulkan loader. On Debian 12 (as root): add the bookworm-backports ' +
  'suite for your Debian mirror (.ci/run does it), then `apt-get install -y -t bookworm-backports mesa-vulkan-drivers` ' +
  'and `apt-get install -y libvulkan1`';

/** Fail the calling test unless Vulkan and lavapipe (Mesa >= 25) are installed. */
export function requireLavapipe(): void {
  const missing = vulkanMissingReason();
  assert.equal(missing, null, `${LAVAPIPE_INSTALL}. Found: ${missing}`);
  const icd = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'].some((d) => fs.existsSync(path.join(d, 'lvp_icd.json')));
  assert.ok(icd || process.env.VK_DRIVER_FILES, `${LAVAPIPE_INSTALL}. Found no lvp_icd.json (lavapipe's driver manifest).`);
  const v = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'mesa-vulkan-drivers'], { encoding: 'utf8' });
  if (v.status === 0) {
    const major = Number(v.stdout.replace(/^\d+:/, '').split('.')[0]);
    assert.ok(major >= 25, `${LAVAPIPE_INSTALL}. Installed mesa-vulkan-drivers ${v.stdout} is refused by Dawn.`);
  }
}

/** Run a TypeScript file under tsx in a child process; returns its exit code and output. */
export function runTs(file: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, file), ...args], {
    cwd: ROOT,
    env: { ...process.env, TPP_BACKEND: '', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The last line of stdout as JSON (the fixtures print one JSON line). */
export function lastJson<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}
