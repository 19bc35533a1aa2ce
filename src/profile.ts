/**
 * Run profiles. `TPP_PROFILE=quick` (set by `npm run notebooks -- --quick`, `npm test` and CI) shrinks
 * epochs and data so every notebook runs in seconds; the default `full` profile runs the real thing.
 */
export type Profile = 'quick' | 'full';

/** The current profile, read from `TPP_PROFILE` (`quick` or `full`; anything else is an error). */
export function profile(): Profile {
  const v = (process.env.TPP_PROFILE ?? 'full').trim().toLowerCase();
  if (v === '' || v === 'full') return 'full';
  if (v === 'quick') return 'quick';
  throw new Error(`TPP_PROFILE must be "quick" or "full", got "${process.env.TPP_PROFILE}".`);
}

/** Pick a value by profile: `byProfile({ quick: 1, full: 20 })`. */
export function byProfile<T>(values: { quick: T; full: T }): T {
  return values[profile()];
}
