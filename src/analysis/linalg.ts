/** Small dense linear algebra on the host, in float64: what the analyses (LoRA spectra, feature distances) share. */

/** Eigen-decomposition of a symmetric matrix: values descending, `vectors[k]` the unit eigenvector of `values[k]`. */
export interface SymmetricEigen {
  values: number[];
  vectors: number[][];
}

/**
 * Eigenvalues and eigenvectors of a symmetric `[n, n]` matrix (row-major), by cyclic Jacobi rotations.
 * Meant for small matrices (n up to a few hundred). Only the upper triangle is read.
 */
export function symmetricEigen(m: ArrayLike<number>, n: number): SymmetricEigen {
  if (m.length !== n * n) throw new Error(`symmetricEigen: expected ${n * n} values for a ${n}x${n} matrix, got ${m.length}.`);
  const a: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => Number(i <= j ? m[i * n + j] : m[j * n + i])));
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  const scale = Math.max(1e-300, ...a.map((row) => Math.max(...row.map(Math.abs))));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (Math.sqrt(off) <= 1e-15 * scale * n) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p][q];
        if (Math.abs(apq) < 1e-300) continue;
        // Rotation angle that zeroes a[p][q] (the classical stable form with t = tan θ).
        const theta = (a[q][q] - a[p][p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j][j] - a[i][i]);
  return { values: order.map((i) => a[i][i]), vectors: order.map((i) => v.map((row) => row[i])) };
}

/** Eigenvalues of a symmetric `[n, n]` matrix (row-major), descending. */
export function symmetricEigenvalues(m: ArrayLike<number>, n: number): number[] {
  return symmetricEigen(m, n).values;
}
