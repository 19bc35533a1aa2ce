/** Learning-rate schedule: linear warm-up, then cosine decay to a floor (as in MAE and most ViT recipes). */

export interface Schedule {
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  /** Total optimisation steps. */
  totalSteps: number;
  /** Warm-up steps (linear from lr/warmupSteps to lr). */
  warmupSteps: number;
  /** Final learning rate as a fraction of `lr` (default 0). */
  minLrRatio?: number;
}

/** The learning rate at `step` (0-based): a pure function, so a resumed run continues on the same curve. */
export function lrAt(s: Schedule, step: number): number {
  if (!(s.lr > 0) || !(s.totalSteps > 0) || s.warmupSteps < 0) {
    throw new Error(`Schedule needs lr > 0, totalSteps > 0 and warmupSteps >= 0; got ${JSON.stringify(s)}.`);
  }
  const floor = s.lr * (s.minLrRatio ?? 0);
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  const decaySteps = Math.max(1, s.totalSteps - s.warmupSteps);
  const t = Math.min(1, (step - s.warmupSteps) / decaySteps);
  return floor + (s.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * t));
}
