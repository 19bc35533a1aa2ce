import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { describe, test } from 'node:test';
import { initBackend, resetBackendForTests, tf } from '../src/backend';
import { isSoftwareAdapter, vulkanMissingReason } from '../src/backend-webgpu';
import { cli, tempDir } from './helpers';
import { lastJson, requireLavapipe, runTs } from './webgpu-helpers';

describe('webgpu backend selection (on lavapipe)', () => {
  test('a software adapter is never auto-selected: wasm is chosen and the report says why', async () => {
    requireLavapipe();
    resetBackendForTests();
    const report = await initBackend({ backend: '', warn: () => {}, probeSoftwareWebgpu: true });
    assert.equal(report.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    const webgpu = report.attempts.find((a) => a.name === 'webgpu');
    assert.ok(webgpu && !webgpu.ok);
    assert.match(webgpu.reason, /^software adapter mesa llvmpipe.* \(software\) is never chosen automatically \(slower than wasm\); force it with TPP_BACKEND=webgpu$/);
    assert.ok(report.webgpuAdapter);
    assert.equal(report.webgpuAdapter.software, true);
    assert.equal(report.webgpuAdapter.isFallbackAdapter, true);
    assert.deepEqual(report.warnings, [], 'skipping a software adapter is normal, not a warning');
  });

  test('without a GPU device node, automatic selection does not start Dawn at all', async () => {
    resetBackendForTests();
    const report = await initBackend({ backend: '', warn: () => {} });
    const webgpu = report.attempts.find((a) => a.name === 'webgpu')!;
    if (fs.existsSync('/dev/dri') || fs.existsSync('/dev/nvidia0')) return; // a machine with a GPU: nothing to check here
    assert.match(webgpu.reason, /^no GPU device on this machine \(no \/dev\/dri\/renderD\*, \/dev\/nvidia0\)/);
    assert.equal(report.webgpuAdapter, null);
    assert.equal(report.name, 'wasm');
    resetBackendForTests();
  });

  test('tpp-lab info --json reports the adapter, its limits and why each backend was or was not chosen', () => {
    requireLavapipe();
    const r = cli(['info', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.backend, 'wasm');
    assert.equal(info.gpu, null);
    assert.deepEqual(info.backends.map((b: { name: string }) => b.name), ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu']);
    assert.match(info.backends[1].reason, /software adapter/);
    assert.deepEqual(info.backends[4], { name: 'cpu', ok: false, tried: false, reason: 'not tried (wasm comes first)' });
    const a = info.webgpuAdapter;
    assert.equal(a.vendor, 'mesa');
    assert.match(a.description, /llvmpipe/);
    assert.equal(a.isFallbackAdapter, true);
    for (const k of ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize']) assert.ok(a.limits[k] > 0, k);
  });

  test('TPP_BACKEND=webgpu selects webgpu on lavapipe; dataSync throws there, the async helpers work', () => {
    requireLavapipe();
    const r = runTs('test/fixtures/webgpu-reads.ts', [], { TPP_BACKEND: 'webgpu' });
    assert.equal(r.code, 0, r.stderr);
    const out = lastJson(r.stdout);
    assert.deepEqual(out, { backend: 'webgpu', software: true, dataSyncError: 'OffscreenCanvas is not defined', values: [7, 10, 15, 22], sum: 54, numTensors: 0 });
    const info = JSON.parse(cli(['info', '--json'], { TPP_BACKEND: 'webgpu' }).stdout);
    assert.equal(info.backend, 'webgpu');
    assert.equal(info.forced, 'webgpu');
    assert.match(info.gpu, /^WebGPU: mesa llvmpipe.*\(software\)$/);
    assert.match(info.backends[1].reason, /^chosen \(forced\) on a software adapter/);
  });

  test('no Vulkan driver at all: webgpu is refused without loading Dawn, forced falls back with one warning', () => {
    const r = runTs('test/fixtures/webgpu-reads.ts', [], { TPP_BACKEND: 'webgpu', VK_DRIVER_FILES: '/nonexistent/icd.json' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastJson(r.stdout).backend, 'wasm');
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('tpp-lab:'));
    assert.deepEqual(warnings, ['tpp-lab: backend webgpu unavailable (VK_DRIVER_FILES names no existing file (/nonexistent/icd.json)); using wasm.']);
    const info = cli(['info', '--json'], { TPP_BACKEND: 'webgpu', VK_DRIVER_FILES: '/nonexistent/icd.json' });
    const parsed = JSON.parse(info.stdout);
    assert.equal(parsed.backends[1].reason, 'VK_DRIVER_FILES names no existing file (/nonexistent/icd.json)');
    assert.equal(parsed.webgpuAdapter, null);
    assert.doesNotMatch(info.stderr, /vkCreateInstance/, 'Dawn must not even be loaded');
    assert.equal(vulkanMissingReason({ VK_DRIVER_FILES: '/nonexistent/icd.json' }), 'VK_DRIVER_FILES names no existing file (/nonexistent/icd.json)');
    assert.equal(vulkanMissingReason({}, 'darwin'), null, 'Metal/D3D12: nothing to pre-check');
  });

  test('a Vulkan driver Dawn cannot use: the reason says no usable adapter, nothing crashes', () => {
    const dir = tempDir();
    const icd = path.join(dir, 'broken_icd.json');
    fs.writeFileSync(icd, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: path.join(dir, 'missing.so'), api_version: '1.3.0' } }));
    const r = cli(['info', '--json'], { TPP_BACKEND: 'webgpu', VK_DRIVER_FILES: icd });
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.backend, 'wasm');
    assert.match(info.backends[1].reason, /^Dawn found no usable GPU adapter/);
  });

  test('software adapters are recognised by flag or by name; real GPUs are not', () => {
    const gpu = { vendor: 'nvidia', architecture: 'ada', device: '', description: 'NVIDIA GeForce RTX 4090', isFallbackAdapter: false };
    assert.equal(isSoftwareAdapter(gpu), false);
    assert.equal(isSoftwareAdapter({ ...gpu, vendor: 'amd', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' }), false);
    assert.equal(isSoftwareAdapter({ ...gpu, isFallbackAdapter: true }), true);
    assert.equal(isSoftwareAdapter({ ...gpu, vendor: 'google', description: 'SwiftShader Device (Subzero)' }), true);
    assert.equal(isSoftwareAdapter({ ...gpu, vendor: 'mesa', architecture: 'software', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }), true);
    assert.equal(isSoftwareAdapter({ ...gpu, vendor: '', description: 'lavapipe' }), true);
  });
});
