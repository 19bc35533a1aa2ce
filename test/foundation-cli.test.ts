import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseArgs, UsageError } from '../src/cli/args';
import { cli } from './helpers';

describe('tpp-lab CLI', () => {
  test('info --json reports the wasm backend, versions and hardware', () => {
    const r = cli(['info', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.backend, 'wasm');
    assert.equal(info.tfjs, '4.22.0');
    assert.equal(info.node, process.versions.node);
    assert.ok(info.cpu.cores >= 1);
    assert.equal(info.gpu, null);
    assert.deepEqual(info.backends.map((b: { name: string }) => b.name), ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu']);
    assert.deepEqual(info.backends.map((b: { tried: boolean }) => b.tried), [true, true, true, true, false]);
  });

  test('TPP_BACKEND=cpu is reported as forced', () => {
    const info = JSON.parse(cli(['info', '--json'], { TPP_BACKEND: 'cpu' }).stdout);
    assert.equal(info.backend, 'cpu');
    assert.equal(info.forced, 'cpu');
  });

  test('unknown command: exit 2 and the list of commands', () => {
    const r = cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown command "frobnicate"\. Commands: .*info/);
  });

  test('bad flag: exit 2 with the known options', () => {
    const r = cli(['info', '--jsn']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown option "--jsn"\. Known options: --json\./);
  });

  test('--help works for the CLI and for a command', () => {
    const top = cli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Usage: tpp-lab <command>/);
    const info = cli(['info', '--help']);
    assert.equal(info.code, 0);
    assert.match(info.stdout, /Usage: tpp-lab info \[--json\]/);
    assert.match(info.stdout, /--json\s+print one JSON object/);
  });

  test('flag parser: values, = form, types and errors', () => {
    const specs = [
      { name: 'epochs', type: 'int', help: '' },
      { name: 'lr', type: 'number', help: '' },
      { name: 'method', type: 'string', help: '', choices: ['lora', 'adapter'] },
      { name: 'json', type: 'boolean', help: '' },
    ] as const;
    const p = parseArgs(['data.npz', '--epochs', '3', '--lr=1e-3', '--method', 'lora', '--json'], specs, 1);
    assert.deepEqual(p.positionals, ['data.npz']);
    assert.deepEqual(p.flags, { epochs: 3, lr: 0.001, method: 'lora', json: true });
    assert.throws(() => parseArgs(['--epochs', 'x'], specs), new UsageError('--epochs expects a whole number, got "x".'));
    assert.throws(() => parseArgs(['--method', 'vpt'], specs), /--method must be one of lora, adapter; got "vpt"/);
    assert.throws(() => parseArgs(['--epochs'], specs), /--epochs needs a value/);
    assert.throws(() => parseArgs(['a', 'b'], specs, 1), /Unexpected argument "b"/);
    assert.throws(() => parseArgs(['--json=1'], specs), /--json takes no value/);
  });
});
