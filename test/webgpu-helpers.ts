/**
 * What the webgpu tests need: Mesa's lavapipe (a CPU Vulkan driver) new enough for Dawn. They fail, not skip,
 * when it is missing, with the commands that install it (`npm test` installs it first: kernel-setup/system.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { missingFor } from '../kernel-setup/system';
import { hostFastPaths, tf } from '../src/backend';
import { vulkanMissingReason } from '../src/backend-webgpu';
import { ROOT } from './helpers';

/** Fail the calling test unless Vulkan and lavapipe (Mesa >= 25) are installed. */
export function requireLavapipe(): void {
  assert.equal(missingFor(['vulkan', 'lavapipe']), null);
  const missing = vulkanMissingReason();
  assert.equal(missing, null, `libvulkan1 and mesa-vulkan-drivers are installed, but: ${missing}`);
  const icd = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'].some((d) => fs.existsSync(path.join(d, 'lvp_icd.json')));
  assert.ok(icd || process.env.VK_DRIVER_FILES, "mesa-vulkan-drivers is installed but there is no lvp_icd.json (lavapipe's driver manifest).");
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

/** What a synchronous tensor read throws while `trapSyncReads` is on. */
export class SyncReadError extends Error {
  override name = 'SyncReadError';
}

/**
 * Make `dataSync()`, `arraySync()` and `bufferSync()` throw `SyncReadError` whenever the current backend has no
 * host fast paths (webgpu), for the rest of the process. Stronger than a text search: it sees reads made through
 * any helper, and reads of tensors whose values are still in JavaScript, which webgpu would otherwise allow.
 */
export function trapSyncReads(): void {
  const proto = tf.Tensor.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of ['dataSync', 'arraySync', 'bufferSync']) {
    const original = proto[method];
    proto[method] = function (this: tf.Tensor, ...args: unknown[]) {
      if (!hostFastPaths()) {
        throw new SyncReadError(`${method}() on the ${tf.getBackend()} backend (a [${this.shape}] tensor): training code must read with await t.data() off wasm/cpu.`);
      }
      return original.apply(this, args);
    };
  }
}
