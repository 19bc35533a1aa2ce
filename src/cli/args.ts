/**
 * A small, strict flag parser for the `tpp-lab` CLI: every command declares its flags, and anything
 * undeclared or malformed is a `UsageError` (the CLI prints it and exits with code 2).
 */

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
    if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${spec.name} expects a whole number, got "${raw}".`);
    return Number(raw);
  }
  if (spec.type === 'number') {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${spec.name} expects a number, got "${raw}".`);
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
    return [left, s.help + def] as const;
  });
  rows.push(['  --help', 'show this help']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, r]) => l.padEnd(width) + r).join('\n');
}
