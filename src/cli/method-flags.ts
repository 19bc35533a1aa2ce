/**
 * The PEFT method flags of `tpp-lab tpp` and `finetune`, generated from the method registry (each method's
 * options: flag name, type, help, default, bounds, choices), and the config they build: `peftConfig` on the
 * flags given (so the CLI and the library agree by construction), or with `--init`, the adapter's own config,
 * which any method flag given next to it must match.
 */
import * as fs from 'fs';
import { readCheckpointInfo } from '../io/checkpoint';
import { defaultText, describeOption, PEFT_METHOD_NAMES, PEFT_METHODS, peftConfig, type PeftConfig, type PeftMethodName, type PeftOption } from '../peft/index';
import { FlagSpec, FlagValues, UsageError } from './args';

/** A method that owns a flag, and its option behind it. */
interface FlagOwner {
  method: PeftMethodName;
  option: PeftOption;
}

/** Every option flag and the methods that own it (LoRA and SSF share `--targets`), in registry order. */
function flagOwners(): Map<string, FlagOwner[]> {
  const owners = new Map<string, FlagOwner[]>();
  for (const method of PEFT_METHOD_NAMES) {
    for (const option of PEFT_METHODS[method].options) {
      if (!option.flag) continue;
      const list = owners.get(option.flag) ?? [];
      if (list.length && list[0].option.type !== option.type) {
        throw new Error(`--${option.flag} is a ${list[0].option.type} for ${list[0].method} but a ${option.type} for ${method}; give one of them another flag.`);
      }
      owners.set(option.flag, [...list, { method, option }]);
    }
  }
  return owners;
}

const OWNERS = flagOwners();

/** One method's part of a flag's help: `LoRA rank r of the update x A B (a whole number ≥ 1, default 4)`. */
function optionHelp(o: PeftOption): string {
  const notes: string[] = [];
  if ((o.type === 'int' || o.type === 'number') && (o.min ?? o.max ?? o.exclusiveMin ?? o.exclusiveMax) !== undefined) notes.push(describeOption(o));
  const d = defaultText(o);
  if (d !== null) notes.push(`default ${d}`);
  return notes.length ? `${o.help} (${notes.join(', ')})` : o.help;
}

function flagSpec(flag: string, owners: FlagOwner[]): FlagSpec {
  const o = owners[0].option;
  const help = owners.map((w) => optionHelp(w.option)).join('; ');
  if (o.type === 'int' || o.type === 'number') return { name: flag, type: o.type, value: o.type === 'int' ? 'N' : 'X', help };
  if (o.type === 'choice') return { name: flag, type: 'string', choices: [...new Set(owners.flatMap((w) => w.option.choices ?? []))], help };
  return { name: flag, type: 'string', value: o.type === 'strings' ? 'LIST' : 'TEXT', help };
}

/** `--method` and every method option's flag, with help generated from the registry. No defaults are set here:
 * an absent flag means "the method's default" (or, with `--init`, "the adapter's value"). */
export const METHOD_FLAGS: readonly FlagSpec[] = [
  { name: 'method', type: 'string', value: 'NAME', choices: PEFT_METHOD_NAMES, help: `PEFT method: ${PEFT_METHOD_NAMES.join(', ')} (default lora; with --init the adapter's)` },
  ...[...OWNERS].map(([flag, owners]) => flagSpec(flag, owners)),
];

/** The option value a flag's text stands for (lists are comma-separated). */
function flagValue(o: PeftOption, v: string | number | boolean): unknown {
  return o.type === 'strings' ? String(v).split(',').map((s) => s.trim()).filter(Boolean) : v;
}

function shown(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v);
}

/** A TPP adapter given with `--init`: its path and the PEFT config it was trained with. */
export interface InitAdapter {
  path: string;
  config: PeftConfig;
}

/** Read the PEFT config of the adapter named by `--init` (its header only). */
export async function initAdapter(file: string): Promise<InitAdapter> {
  if (!fs.existsSync(file)) throw new UsageError(`--init ${file}: no such file. Pass the adapter.safetensors written by \`tpp-lab tpp --out DIR\`.`);
  const info = await readCheckpointInfo(file);
  if (info.kind !== 'adapter' || !info.peftConfig) throw new UsageError(`--init ${file} is a ${info.kind} file, not an adapter. Pass the adapter.safetensors written by \`tpp-lab tpp --out DIR\`.`);
  return { path: file, config: info.peftConfig };
}

/**
 * The PEFT config that `--method` and its option flags ask for: `peftConfig(method, options given)`. Flags of
 * another method are an error. With `init`, the adapter's config is the answer: `--method` and each option flag
 * given must equal the adapter's value (a mismatch names both values).
 */
export function methodFromFlags(flags: FlagValues, init?: InitAdapter): PeftConfig {
  const method = String(flags.method ?? init?.config.method ?? 'lora') as PeftMethodName;
  if (init && flags.method !== undefined && flags.method !== init.config.method) {
    throw new UsageError(`--method ${flags.method} does not match the --init adapter's method ${init.config.method} (${init.path}); drop --method to use the adapter's.`);
  }
  const overrides: Record<string, unknown> = {};
  const flagOf: Record<string, string> = {};
  for (const [flag, owners] of OWNERS) {
    if (flags[flag] === undefined) continue;
    const owner = owners.find((w) => w.method === method);
    if (!owner) throw new UsageError(`--${flag} applies to ${owners.map((w) => w.method).join('/')}, not to --method ${method}.`);
    overrides[owner.option.name] = flagValue(owner.option, flags[flag]!);
    flagOf[owner.option.name] = flag;
  }
  if (init) {
    const have = init.config as unknown as Record<string, unknown>;
    for (const [name, v] of Object.entries(overrides)) {
      if (JSON.stringify(v) !== JSON.stringify(have[name])) {
        throw new UsageError(`--${flagOf[name]} ${shown(v)} does not match the --init adapter's ${name} ${have[name] === undefined ? '(not set)' : shown(have[name])} (${init.path}); drop --${flagOf[name]} to use the adapter's settings.`);
      }
    }
    return init.config;
  }
  try {
    return peftConfig(method, overrides as never);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
