/**
 * A PEFT method's settings, each described once: config field, type, bounds or choices, default, help text and
 * the CLI flag that sets it. A method's config module lists its options; from that one list come the method's
 * defaults (`optionDefaults`), the way overrides become a config (`resolveOptions`: e.g. LoRA's alpha follows its
 * rank unless given), the validation of every field (`checkOptions`) and the CLI's method flags and help.
 */

/** A value an option can hold. */
export type OptionValue = number | string | readonly string[];

/** One setting of a PEFT method. */
export interface PeftOption {
  /** Config field, e.g. `rank`. */
  readonly name: string;
  /** `int` (whole number), `number` (finite), `choice` (one of `choices`), `strings` (list of names), `string`. */
  readonly type: 'int' | 'number' | 'choice' | 'strings' | 'string';
  /** One line for help texts (what it is, not its default or bounds: those are printed from the fields below). */
  readonly help: string;
  /** The CLI flag that sets it, without dashes (e.g. `prompts` for prompt's `tokens`); absent: library only. */
  readonly flag?: string;
  /** Default value. Absent: the setting is optional and unset by default (e.g. `targetRegex`). */
  readonly default?: OptionValue;
  /**
   * When set, the default is the value this other option ends up with (LoRA's alpha defaults to its rank, so
   * the scale alpha / rank is 1 whatever the rank). `default` then holds that value for the default config.
   */
  readonly defaultFrom?: string;
  /** Allowed values of a `choice`. */
  readonly choices?: readonly string[];
  /** Inclusive bounds of a number. */
  readonly min?: number;
  readonly max?: number;
  /** Strict bounds: the value must be greater than `exclusiveMin` / less than `exclusiveMax` (the CLI flags' names too). */
  readonly exclusiveMin?: number;
  readonly exclusiveMax?: number;
}

/** What a valid value of `o` is, in words: `a whole number ≥ 1`, `a number in [0, 1)`, `one of "a", "b"`. */
export function describeOption(o: PeftOption): string {
  if (o.type === 'choice') return `one of ${(o.choices ?? []).map((c) => JSON.stringify(c)).join(', ')}`;
  if (o.type === 'strings') return 'a list of names';
  if (o.type === 'string') return 'a string';
  const what = o.type === 'int' ? 'a whole number' : 'a number';
  const lo = o.exclusiveMin ?? o.min;
  const hi = o.exclusiveMax ?? o.max;
  if (lo !== undefined && hi !== undefined) return `${what} in ${o.exclusiveMin !== undefined ? '(' : '['}${lo}, ${hi}${o.exclusiveMax !== undefined ? ')' : ']'}`;
  if (lo !== undefined) return `${what} ${o.exclusiveMin !== undefined ? '>' : '≥'} ${lo}`;
  if (hi !== undefined) return `${what} ${o.exclusiveMax !== undefined ? '<' : '≤'} ${hi}`;
  return what;
}

/** The default text of `o` for help: `4`, `= rank`, `q,v`, or null when unset by default. */
export function defaultText(o: PeftOption): string | null {
  if (o.defaultFrom) return `= ${o.defaultFrom}`;
  if (o.default === undefined) return null;
  return Array.isArray(o.default) ? o.default.join(',') : String(o.default);
}

function valid(o: PeftOption, v: unknown): boolean {
  switch (o.type) {
    case 'choice':
      return typeof v === 'string' && (o.choices ?? []).includes(v);
    case 'strings':
      return Array.isArray(v) && v.every((t) => typeof t === 'string');
    case 'string':
      return typeof v === 'string';
    default: {
      if (typeof v !== 'number' || !Number.isFinite(v) || (o.type === 'int' && !Number.isInteger(v))) return false;
      if ((o.min !== undefined && v < o.min) || (o.exclusiveMin !== undefined && v <= o.exclusiveMin)) return false;
      if ((o.max !== undefined && v > o.max) || (o.exclusiveMax !== undefined && v >= o.exclusiveMax)) return false;
      return true;
    }
  }
}

/**
 * Throw an Error naming the field unless every field of `config` is one of `options` (plus `method`) and every
 * option holds a valid value (`<method> config: rank must be a whole number ≥ 1, got 0.`). An option without a
 * default may be absent.
 */
export function checkOptions(method: string, config: object, options: readonly PeftOption[]): void {
  const known = ['method', ...options.map((o) => o.name)];
  for (const k of Object.keys(config)) {
    if (!known.includes(k)) throw new Error(`${method} config: unknown field "${k}"; known fields: ${known.join(', ')}.`);
  }
  const values = config as Record<string, unknown>;
  for (const o of options) {
    const v = values[o.name];
    if (v === undefined && o.default === undefined) continue;
    if (!valid(o, v)) throw new Error(`${method} config: ${o.name} must be ${describeOption(o)}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v) ?? 'nothing'}.`);
  }
}

/** The default config of a method: `{ method, ...each option's default }`, frozen (lists too). */
export function optionDefaults<C extends { readonly method: string }>(method: C['method'], options: readonly PeftOption[]): C {
  const out: Record<string, unknown> = { method };
  for (const o of options) if (o.default !== undefined) out[o.name] = Array.isArray(o.default) ? Object.freeze([...o.default]) : o.default;
  return Object.freeze(out) as unknown as C;
}

/**
 * The config that `overrides` (undefined values count as not given) make of a method's `defaults`: given
 * values win; an option with `defaultFrom` that was not given takes that option's final value.
 */
export function resolveOptions(defaults: object, options: readonly PeftOption[], overrides: object): Record<string, unknown> {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const out: Record<string, unknown> = { ...defaults, ...given };
  for (const o of options) if (o.defaultFrom && !(o.name in given)) out[o.name] = out[o.defaultFrom];
  return out;
}
