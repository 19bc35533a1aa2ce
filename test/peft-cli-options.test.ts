/**
 * Each PEFT method's options are described once (src/peft/<method>/config.ts); the CLI's method flags are generated
 * from them. These tests check that the CLI and the library build the same config from the same inputs, for every
 * method and option, and that `--init` supplies the method (through the real CLI).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseArgs } from '../src/cli/args';
import { METHOD_FLAGS, methodFromFlags } from '../src/cli/method-flags';
import { readCheckpointInfo } from '../src/io/checkpoint';
import { BUNDLED_BACKBONE_DIR } from '../src/io/backbone';
import { PEFT_METHOD_NAMES, PEFT_METHODS, peftConfig, type OptionValue, type PeftConfig, type PeftMethodName, type PeftOption } from '../src/peft/index';
import { cli, tempDir } from './helpers';

/** A valid value of `o` that differs from its default, and how it is typed on the command line. */
function sample(o: PeftOption): { value: OptionValue; text: string } {
  switch (o.type) {
    case 'int': {
      const v = (typeof o.default === 'number' ? o.default : o.min ?? 1) + 1;
      return { value: v, text: String(v) };
    }
    case 'number': {
      const v = o.max !== undefined ? ((o.min ?? 0) + o.max) / 2 + 0.125 : (typeof o.default === 'number' ? o.default : 1) * 2 + 0.5;
      return { value: v, text: String(v) };
    }
    case 'choice': {
      const v = o.choices!.filter((c) => c !== o.default).pop()!;
      return { value: v, text: v };
    }
    case 'strings':
      return { value: ['qkv', 'fc1'], text: 'qkv, fc1' };
    default:
      return { value: 'blocks\\.0\\..*', text: 'blocks\\.0\\..*' };
  }
}

/** The config the CLI builds from `argv` (method flags only). */
function fromCli(argv: string[]): PeftConfig {
  return methodFromFlags(parseArgs(argv, METHOD_FLAGS).flags);
}

describe('the CLI builds the same PEFT config as the library', () => {
  test('every option flag of the CLI is some method option, and every flagged option has its flag', () => {
    const flagged = PEFT_METHOD_NAMES.flatMap((m) => PEFT_METHODS[m].options.filter((o) => o.flag).map((o) => o.flag!));
    assert.deepEqual(METHOD_FLAGS.map((f) => f.name).sort(), [...new Set(['method', ...flagged])].sort());
  });

  for (const method of PEFT_METHOD_NAMES) {
    test(`${method}: defaults, each option alone, and all options together`, () => {
      assert.deepEqual(fromCli(['--method', method]), peftConfig(method));
      const options = PEFT_METHODS[method].options.filter((o) => o.flag);
      const all: Record<string, OptionValue> = {};
      const argv = ['--method', method];
      for (const o of options) {
        const { value, text } = sample(o);
        assert.deepEqual(fromCli(['--method', method, `--${o.flag}`, text]), peftConfig(method as PeftMethodName, { [o.name]: value } as never), `--${o.flag} ${text}`);
        all[o.name] = value;
        argv.push(`--${o.flag}`, text);
      }
      assert.deepEqual(fromCli(argv), peftConfig(method as PeftMethodName, all as never));
    });
  }

  test("LoRA's alpha follows --rank on the command line as in peftConfig, and an explicit --alpha wins", () => {
    assert.equal((fromCli(['--method', 'lora', '--rank', '8']) as { alpha: number }).alpha, 8);
    assert.deepEqual(fromCli(['--rank', '8']), peftConfig('lora', { rank: 8 }));
    assert.deepEqual(fromCli(['--rank', '8', '--alpha', '2']), peftConfig('lora', { rank: 8, alpha: 2 }));
  });

  test("flags of another method and bad values are usage errors naming them", () => {
    assert.throws(() => fromCli(['--method', 'adapter', '--rank', '8']), { name: 'UsageError', message: '--rank applies to lora, not to --method adapter.' });
    assert.throws(() => fromCli(['--method', 'bitfit', '--targets', 'q']), { name: 'UsageError', message: '--targets applies to lora/ssf, not to --method bitfit.' });
    assert.throws(() => fromCli(['--rank', '0']), { name: 'UsageError', message: 'lora config: rank must be a whole number ≥ 1, got 0.' });
    assert.throws(() => fromCli(['--dropout', '1']), { name: 'UsageError', message: 'lora config: dropout must be a number in [0, 1), got 1.' });
    assert.throws(() => fromCli(['--method', 'prompt', '--depth', 'parallel']), { name: 'UsageError', message: '--depth must be one of shallow, deep; got "parallel".' });
  });

  test('with an --init adapter, its config is used and the method flags given must match it', () => {
    const init = { path: 'a.safetensors', config: peftConfig('lora', { rank: 8 }) };
    const withInit = (argv: string[]) => methodFromFlags(parseArgs(argv, METHOD_FLAGS).flags, init);
    assert.equal(withInit([]), init.config);
    assert.equal(withInit(['--method', 'lora', '--rank', '8', '--alpha', '8', '--targets', 'q,v']), init.config);
    assert.throws(() => withInit(['--rank', '4']), { name: 'UsageError', message: "--rank 4 does not match the --init adapter's rank 8 (a.safetensors); drop --rank to use the adapter's settings." });
    assert.throws(() => withInit(['--targets', 'qkv']), { name: 'UsageError', message: "--targets qkv does not match the --init adapter's targets q,v (a.safetensors); drop --targets to use the adapter's settings." });
    assert.throws(() => withInit(['--target-regex', 'x']), { name: 'UsageError', message: "--target-regex x does not match the --init adapter's targetRegex (not set) (a.safetensors); drop --target-regex to use the adapter's settings." });
    assert.throws(() => withInit(['--method', 'adapter']), { name: 'UsageError', message: "--method adapter does not match the --init adapter's method lora (a.safetensors); drop --method to use the adapter's." });
  });
});

describe('tpp-lab tpp / finetune: method options and --init through the CLI', () => {
  const dir = tempDir();
  const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);
  let adapter = '';

  test('`tpp --method lora --rank 8` writes the config peftConfig("lora", { rank: 8 }) gives (alpha 8)', async () => {
    const t = cli(['tpp', '--data', 'breastmnist', '--method', 'lora', '--rank', '8', '--limit', '32', '--epochs', '1', '--batch', '16', '--out', path.join(dir, 'tpp'), '--json', '--quiet']);
    assert.equal(t.code, 0, t.stderr);
    adapter = lastJson(t.stdout).adapter;
    const info = await readCheckpointInfo(adapter);
    assert.deepEqual(info.peftConfig, peftConfig('lora', { rank: 8 }));
    assert.equal((info.peftConfig as { alpha: number }).alpha, 8);
  });

  test('`finetune --init ADAPTER` without method flags fine-tunes with the adapter\'s method', async () => {
    const f = cli(['finetune', '--data', 'breastmnist', '--init', adapter, '--labels', '5', '--epochs', '1', '--out', path.join(dir, 'ft'), '--json', '--quiet']);
    assert.equal(f.code, 0, f.stderr);
    const fj = lastJson(f.stdout);
    assert.equal(fj.method, 'lora');
    assert.deepEqual((await readCheckpointInfo(fj.adapter)).peftConfig, peftConfig('lora', { rank: 8 }));
  });

  test('method flags that contradict the --init adapter, and an --init file that is no adapter, are usage errors', () => {
    const base = ['finetune', '--data', 'breastmnist', '--labels', '5', '--epochs', '1', '--out', path.join(dir, 'x'), '--quiet'];
    const rank = cli([...base, '--init', adapter, '--rank', '4']);
    assert.equal(rank.code, 2);
    assert.match(rank.stderr, /--rank 4 does not match the --init adapter's rank 8 \(.*adapter\.safetensors\)/);
    const method = cli([...base, '--init', adapter, '--method', 'adapter']);
    assert.equal(method.code, 2);
    assert.match(method.stderr, /--method adapter does not match the --init adapter's method lora/);
    const backbone = cli([...base, '--init', path.join(BUNDLED_BACKBONE_DIR, 'backbone.safetensors')]);
    assert.equal(backbone.code, 2);
    assert.match(backbone.stderr, /--init .*backbone\.safetensors is a backbone file, not an adapter\. Pass the adapter\.safetensors written by `tpp-lab tpp --out DIR`\./);
  });
});
