/**
 * Target matching (HF peft's habit): a target matches a candidate module name exactly or as a dotted suffix
 * (`qkv` matches `blocks.3.attn.qkv`, `attn.proj` matches `blocks.0.attn.proj`, but `q` does not match `qkv`);
 * a regex, when asked, must match the whole name. A target that matches nothing throws, listing the candidates.
 */

/** Whether `target` names `candidate` exactly or as a dotted suffix. */
export function matchesTarget(candidate: string, target: string): boolean {
  return candidate === target || candidate.endsWith(`.${target}`);
}

/**
 * The candidates selected by `targets` (each must match at least one) or, if `regex` is given, by the regex
 * (full match; must match at least one). Order follows `candidates`.
 */
export function selectTargets(what: string, candidates: readonly string[], targets: readonly string[], regex?: string): string[] {
  const list = () => {
    const shown = candidates.slice(0, 40).join(', ');
    return candidates.length > 40 ? `${shown}, ... (${candidates.length} in all)` : shown;
  };
  if (regex !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${regex})$`);
    } catch (e) {
      throw new Error(`${what}: targetRegex ${JSON.stringify(regex)} is not a valid regular expression (${(e as Error).message}).`);
    }
    const hits = candidates.filter((c) => re.test(c));
    if (hits.length === 0) throw new Error(`${what}: targetRegex ${JSON.stringify(regex)} matches no module. Candidates: ${list()}.`);
    return hits;
  }
  if (targets.length === 0) throw new Error(`${what}: targets is empty; name at least one of: ${list()}.`);
  for (const t of targets) {
    if (!candidates.some((c) => matchesTarget(c, t))) {
      throw new Error(`${what}: target "${t}" matches no module. Candidates (exact name or dotted suffix): ${list()}.`);
    }
  }
  return candidates.filter((c) => targets.some((t) => matchesTarget(c, t)));
}
