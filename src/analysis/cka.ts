/**
 * Linear centred kernel alignment (CKA; Kornblith, Norouzi, Lee & Hinton, "Similarity of Neural Network
 * Representations Revisited", ICML 2019): how alike two sets of features of the same examples are, from 0 (no
 * linear relation) to 1 (the same up to a rotation and a scale). Used to see how far a TPP adapter moves a
 * backbone's features: CKA between the features of the same images without and with the adapter.
 */

/** Features of n examples, `[N, D]` row-major (e.g. `Features` of probe.ts). */
export interface FeatureMatrix {
  x: ArrayLike<number>;
  dim: number;
}

/** The columns of `m` minus their means, in float64, `[N, D]`. */
function centred(m: FeatureMatrix, n: number): Float64Array {
  const d = m.dim;
  const out = Float64Array.from(m.x as ArrayLike<number>);
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += out[i * d + j];
    mean /= n;
    for (let i = 0; i < n; i++) out[i * d + j] -= mean;
  }
  return out;
}

/** ‖Aᵀ B‖²_F for `A` `[N, P]` and `B` `[N, Q]` (row-major). */
function crossNormSq(a: Float64Array, p: number, b: Float64Array, q: number, n: number): number {
  const g = new Float64Array(p * q);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < p; i++) {
      const ai = a[r * p + i];
      if (ai === 0) continue;
      for (let j = 0; j < q; j++) g[i * q + j] += ai * b[r * q + j];
    }
  }
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

/**
 * Linear CKA of `a` `[N, P]` and `b` `[N, Q]` (the same N examples, in the same order; P and Q may differ):
 * with column-centred X and Y, ‖Yᵀ X‖²_F / (‖Xᵀ X‖_F ‖Yᵀ Y‖_F). Invariant to orthogonal transforms and isotropic
 * scaling of either side; 1 for identical features. NaN when either side is constant over the examples.
 * Computed in float64.
 */
export function linearCka(a: FeatureMatrix, b: FeatureMatrix): number {
  if (!(a.dim >= 1 && b.dim >= 1)) throw new Error(`linearCka: feature widths must be >= 1, got ${a.dim} and ${b.dim}.`);
  const n = a.x.length / a.dim;
  if (!Number.isInteger(n) || b.x.length / b.dim !== n) {
    throw new Error(`linearCka: both feature sets must hold the same examples; got ${a.x.length / a.dim} x ${a.dim} and ${b.x.length / b.dim} x ${b.dim}.`);
  }
  if (n < 2) throw new Error(`linearCka: needs at least 2 examples, got ${n}.`);
  const x = centred(a, n);
  const y = centred(b, n);
  const xy = crossNormSq(y, b.dim, x, a.dim, n);
  const xx = Math.sqrt(crossNormSq(x, a.dim, x, a.dim, n));
  const yy = Math.sqrt(crossNormSq(y, b.dim, y, b.dim, n));
  return xx > 0 && yy > 0 ? xy / (xx * yy) : NaN;
}
