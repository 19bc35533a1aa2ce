/**
 * Seeded, backend-independent initialisation: values are drawn in plain JavaScript from a PRNG keyed by
 * (seed, parameter name), so the same seed gives bitwise the same weights on every backend, and adding a
 * parameter does not shift the values of the others.
 */
import { mulberry32 } from '../data/sets/random';

/** 32-bit FNV-1a hash of a string, mixed with a seed. */
function hash(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A PRNG (`mulberry32` from src/data/sets/random) returning floats in [0, 1), keyed by `seed` and `name`. */
export function seededUniform(seed: number, name: string): () => number {
  return mulberry32(hash(seed, name));
}

/** Standard normal draws (Box-Muller) from a uniform source. */
function normalSource(uniform: () => number): () => number {
  return () => {
    const u = 1 - uniform(); // (0, 1]
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** `n` values from a normal(0, std) truncated to ±2 std (timm's `trunc_normal_(std=.02)` habit). */
export function truncatedNormal(n: number, std: number, seed: number, name: string): Float32Array {
  const normal = normalSource(seededUniform(seed, name));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = normal();
    while (Math.abs(z) > 2) z = normal();
    out[i] = z * std;
  }
  return out;
}

/** `n` values from a normal(0, std). */
export function normal(n: number, std: number, seed: number, name: string): Float32Array {
  const draw = normalSource(seededUniform(seed, name));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = draw() * std;
  return out;
}

/** `n` values uniform in [-limit, limit). Xavier/Glorot uniform uses limit = sqrt(6 / (fanIn + fanOut)). */
export function uniform(n: number, limit: number, seed: number, name: string): Float32Array {
  const draw = seededUniform(seed, name);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * draw() - 1) * limit;
  return out;
}

/**
 * Fixed 2-D sin-cos position embeddings `[1 + grid*grid, dim]` (row 0, the class token, is zeros), laid out as
 * in MAE's `get_2d_sincos_pos_embed`: the first dim/2 columns encode the patch's column (x), the last dim/2 its
 * row (y); each half is [sin(pos * w_k), cos(pos * w_k)] with w_k = 1 / 10000^(k / (dim/4)).
 */
export function sincosPosEmbed(grid: number, dim: number): Float32Array {
  const quarter = dim / 4;
  const out = new Float32Array((1 + grid * grid) * dim);
  for (let row = 0; row < grid; row++) {
    for (let col = 0; col < grid; col++) {
      const base = (1 + row * grid + col) * dim;
      for (let k = 0; k < quarter; k++) {
        const w = 1 / Math.pow(10000, k / quarter);
        out[base + k] = Math.sin(col * w);
        out[base + quarter + k] = Math.cos(col * w);
        out[base + 2 * quarter + k] = Math.sin(row * w);
        out[base + 3 * quarter + k] = Math.cos(row * w);
      }
    }
  }
  return out;
}
