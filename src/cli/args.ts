/**
 * A small, strict flag parser for the `tpp-lab` CLI: every command declares its flags, and anything
 * undeclared or malformed is a `UsageError` (the CLI prints it and exits with code 2).
 */
import * as os from 'os';

/** One flag a command accepts. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `epochs` for `--epochs`. */
  name: string;
  /** `boolean` flags take no value; the others take exactly one (`--epochs 3` or `--epochs=3`). */
  type: 'boolean' | 'string' | 'int' | 'number';
  /** One line for `--help`. */
  help: string;
  /** Placeholder shown in help, e.g. `N` or `DIR`. */
  value?: string;
  /** Allowed values for string flags. */
  choices?: readonly string[];
  /** Default shown in help and used when absent. */
  default?: string | number | boolean;
  /** Bounds of `int` / `number` flags (inclusive); a value outside is a `UsageError` naming the range. */
  min?: number;
  max?: number;
  /** Strict bounds: the value must be greater than `exclusiveMin` / less than `exclusiveMax`. */
  exclusiveMin?: number;
  exclusiveMax?: number;
  /** Why the upper bound is there (e.g. `4 x the 2 cores`), added to the error message. */
  maxReason?: string;
}

/** `[a, b]`, `(a, b)`, `>= a` ...: the range of a bounded flag, as its help and its errors write it. */
export function flagRange(spec: FlagSpec): string | null {
  const lo = spec.exclusiveMin !== undefined ? `(${spec.exclusiveMin}` : spec.min !== undefined ? `[${spec.min}` : null;
  const hi = spec.exclusiveMax !== undefined ? `${spec.exclusiveMax})` : spec.max !== undefined ? `${spec.max}]` : null;
  if (lo && hi) return `${lo}, ${hi}`;
  if (lo) return `${spec.exclusiveMin !== undefined ? '>' : '>='} ${spec.exclusiveMin ?? spec.min}`;
  if (hi) return `${spec.exclusiveMax !== undefined ? '<' : '<='} ${spec.exclusiveMax ?? spec.max}`;
  return null;
}

/** Throw a `UsageError` if the numeric value `v` of `spec` is outside its bounds. */
export function checkFlagBounds(spec: FlagSpec, v: number): void {
  const low = (spec.min !== undefined && v < spec.min) || (spec.exclusiveMin !== undefined && v <= spec.exclusiveMin);
  const high = (spec.max !== undefined && v > spec.max) || (spec.exclusiveMax !== undefined && v >= spec.exclusiveMax);
  if (low || high) {
    const why = high && spec.maxReason ? ` (${spec.maxReason})` : '';
    throw new UsageError(`--${spec.name} must be ${describeRange(spec)}${why}; got ${v}.`);
  }
}

function describeRange(spec: FlagSpec): string {
  const r = flagRange(spec)!;
  return r.startsWith('(') || r.startsWith('[') ? `in ${r}` : r;
}

/**
 * The most worker threads a flag accepts: 4 x the cores this process may use (`os.availableParallelism()`).
 * More threads than that only add memory (each loads its own backend) and contention.
 */
export function maxWorkers(): { max: number; reason: string } {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return { max: 4 * Math.max(1, cores), reason: `at most 4 x the ${cores} core${cores === 1 ? '' : 's'} of this machine; each worker holds its own copy of the model` };
}

/** A problem with what the user typed: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagValues = Record<string, string | number | boolean | undefined>;

export interface ParsedArgs {
  flags: FlagValues;
  positionals: string[];
}

function convert(spec: FlagSpec, raw: string): string | number {
  if (spec.type === 'int') {
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new UsageError(`--${spec.name} expects a whole number, got "${raw}".`);
    checkFlagBounds(spec, Number(raw));
    return Number(raw);
  }
  if (spec.type === 'number') {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${spec.name} expects a number, got "${raw}".`);
    checkFlagBounds(spec, v);
    return v;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`--${spec.name} must be one of ${spec.choices.join(', ')}; got "${raw}".`);
  }
  return raw;
}

/**
 * Parse `argv` (the words after the command name) against `specs`.
 * `--help`/`-h` is always accepted and returned as `flags.help = true`.
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], maxPositionals = Infinity): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: FlagValues = {};
  for (const s of specs) if (s.default !== undefined) flags[s.name] = s.default;
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--help' || word === '-h') {
      flags.help = true;
      continue;
    }
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith('-') && word !== '-' && !/^-\d/.test(word)) {
      const eq = word.indexOf('=');
      const name = word.replace(/^--?/, '').slice(0, eq < 0 ? undefined : eq - (word.startsWith('--') ? 2 : 1));
      const spec = byName.get(name);
      if (!spec || !word.startsWith('--')) {
        const known = specs.map((s) => `--${s.name}`).join(', ');
        throw new UsageError(`Unknown option "${word}".${known ? ` Known options: ${known}.` : ''}`);
      }
      if (spec.type === 'boolean') {
        if (eq >= 0) throw new UsageError(`--${name} takes no value.`);
        flags[name] = true;
        continue;
      }
      let raw: string | undefined;
      if (eq >= 0) raw = word.slice(eq + 1);
      else {
        raw = argv[i + 1];
        if (raw === undefined || (raw.startsWith('--') && raw.length > 2)) throw new UsageError(`--${name} needs a value${spec.value ? ` (${spec.value})` : ''}.`);
        i++;
      }
      flags[name] = convert(spec, raw);
      continue;
    }
    positionals.push(word);
  }
  if (positionals.length > maxPositionals && !flags.help) {
    throw new UsageError(`Unexpected argument "${positionals[maxPositionals]}".`);
  }
  return { flags, positionals };
}

/** Help text lines for a set of flags, aligned. */
export function formatFlags(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const left = `  --${s.name}${s.type === 'boolean' ? '' : ` ${s.value ?? (s.choices ? s.choices.join('|') : s.type.toUpperCase())}`}`;
    const def = s.default !== undefined && s.default !== false ? ` (default: ${s.default})` : '';
    const range = flagRange(s);
    return [left, `${s.help}${def}${range ? `; ${range.startsWith('(') || range.startsWith('[') ? `range ${range}` : range}` : ''}`] as const;
  });
  rows.push(['  --help', 'show this help']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, r]) => l.padEnd(width) + r).join('\n');
}
