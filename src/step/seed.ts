/**
 * The seeds of a run's randomness, derived from the run's seed only: one per epoch (the data order and the
 * augmentation of that epoch) and one per step and draw (masks, augmented views, a bench batch). Every stage,
 * pretext and the bench derive theirs here, so a resumed run redraws exactly what an uninterrupted one drew.
 */

/** The seed of epoch `epoch`'s data order and augmentation: fixed by (seed, epoch). */
export function epochSeed(seed: number, epoch: number): number {
  return (seed * 1000003 + epoch * 7919 + 17) >>> 0;
}

/**
 * The seed of step `step`'s own randomness (0-based global step), as an unsigned 32-bit integer. `draw` tells
 * apart independent draws within one step (default 0): MAE masks use draw 0; SimSiam's two augmented views
 * use draws 0 and 1; a bench batch draws its pixels with draw 1 and its MAE masks with draw 0.
 */
export function stepSeed(seed: number, step: number, draw = 0): number {
  if (!Number.isFinite(seed)) throw new Error(`stepSeed: the seed must be a finite number, got ${seed}.`);
  if (!Number.isInteger(step) || step < 0) throw new Error(`stepSeed: the step must be a whole number >= 0, got ${step}.`);
  if (!Number.isInteger(draw) || draw < 0) throw new Error(`stepSeed: the draw must be a whole number >= 0, got ${draw}.`);
  // Multipliers: Knuth's multiplicative hash (2654435761) for the seed, odd constants for step and draw.
  return (seed * 2654435761 + step * 40503 + draw * 2246822519 + 3) >>> 0;
}
