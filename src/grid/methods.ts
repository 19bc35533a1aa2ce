/**
 * A grid's methods as text: `lora` (the method's defaults) or `lora:rank=8:alpha=16` (options by config field or
 * CLI flag name, from the method's one option list in src/peft; a list option joins its names with `+`, e.g.
 * `targets=attn.qkv+attn.proj`). A method with options gets its own name (`lora-rank8-alpha16`), so its cells and
 * TPP runs sit beside the default's; a method without options keeps its plain name and its fingerprints.
 */
import { PEFT_METHOD_NAMES, PEFT_METHODS, peftConfig, type PeftConfig, type PeftMethodName } from '../peft/index';

/** A method of the grid: its name in cells and tables, and its config. */
export interface GridMethod {
  name: string;
  config: PeftConfig;
}

/** The method `spec` stands for; throws naming the bad part and the choices. */
export function gridMethod(spec: string): GridMethod {
  const [method, ...parts] = spec.trim().split(':');
  if (!PEFT_METHOD_NAMES.includes(method as PeftMethodName)) throw new Error(`Unknown method "${method}" in "${spec}"; use ${PEFT_METHOD_NAMES.join(', ')} (options as lora:rank=8).`);
  const options = PEFT_METHODS[method as PeftMethodName].options;
  const overrides: Record<string, unknown> = {};
  const nameParts = [method];
  for (const part of parts) {
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    const text = eq > 0 ? part.slice(eq + 1).trim() : '';
    const o = options.find((x) => x.name === key || x.flag === key);
    if (!o || !text) {
      throw new Error(`"${part}" in "${spec}" is not an option of ${method} as NAME=VALUE; its options: ${options.map((x) => x.name).join(', ') || 'none'}.`);
    }
    const value = o.type === 'int' || o.type === 'number' ? Number(text) : o.type === 'strings' ? text.split('+').map((s) => s.trim()).filter(Boolean) : text;
    if (typeof value === 'number' && Number.isNaN(value)) throw new Error(`${method} option ${o.name} takes a number, got "${text}" in "${spec}".`);
    overrides[o.name] = value;
    nameParts.push(`${o.name}${Array.isArray(value) ? value.join('+') : String(value)}`);
  }
  return { name: nameParts.join('-').replace(/[^A-Za-z0-9.+_-]+/g, '_'), config: peftConfig(method as PeftMethodName, overrides as never) };
}

/** The methods of `specs`, refusing two that share a name. */
export function gridMethods(specs: readonly string[]): GridMethod[] {
  const methods = specs.map(gridMethod);
  const names = methods.map((m) => m.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`The method ${twice} is listed twice; list each method once.`);
  return methods;
}
