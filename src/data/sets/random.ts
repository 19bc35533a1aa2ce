/**
 * A small seeded pseudo-random number generator for reproducible shuffles, splits and augmentation.
 *
 * mulberry32 (Tommy Ettinger's 32-bit generator): one 32-bit state, fast, and good enough for shuffling and
 * augmentation (not for cryptography). The same seed gives the same sequence on every platform.
 */

/** A function returning uniform floats in [0, 1). */
export type Random = () => number;

/**
 * A seeded generator: `const rand = mulberry32(42); rand()` → a float in [0, 1).
 * Seeds are taken modulo 2^32 (non-integers are truncated).
 */
export function mulberry32(seed: number): Random {
  if (!Number.isFinite(seed)) throw new Error(`Seed must be a finite number, got ${seed}.`);
  let a = Math.trunc(seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n) drawn from `rand`. */
export function randomInt(rand: Random, n: number): number {
  return Math.floor(rand() * n);
}

/** Shuffle `items` in place (Fisher–Yates) with `rand`; returns the same array. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(items: T, rand: Random): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(rand, i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** The numbers 0..n-1 in an order fixed by `seed`. */
export function seededPermutation(n: number, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, mulberry32(seed));
}
