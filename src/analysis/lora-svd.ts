/**
 * What a LoRA adapter learned, as numbers: the update ΔW = scale · B · A of every adapted module (PyTorch layout:
 * `lora_A` `[r, in]`, `lora_B` `[out, r]`, so ΔW is `[out, in]`), its Frobenius norm and its singular values.
 *
 * ΔW has rank ≤ r, so its non-zero singular values come from r x r matrices (Hu et al. 2021 analyse LoRA updates
 * the same way): with G_A = A Aᵀ and G_B = Bᵀ B, the squared singular values of B A are the eigenvalues of
 * G_B G_A, equal to those of the symmetric H G_B H where H = G_A^{1/2}. A small Jacobi eigen-solver does the rest.
 */

import { symmetricEigen, symmetricEigenvalues } from './linalg';


/** One LoRA pair in PyTorch layout: `a` is `[rank, fanIn]`, `b` is `[fanOut, rank]`, both row-major. */
export interface LoraFactors {
  /** The adapted module, e.g. `blocks.0.attn.q`. */
  module: string;
  a: Float32Array;
  b: Float32Array;
  rank: number;
  fanIn: number;
  fanOut: number;
}

function checkFactors(f: LoraFactors): void {
  if (f.a.length !== f.rank * f.fanIn || f.b.length !== f.fanOut * f.rank) {
    throw new Error(`LoRA factors of ${f.module}: lora_A needs ${f.rank}x${f.fanIn} and lora_B ${f.fanOut}x${f.rank} values, got ${f.a.length} and ${f.b.length}. Pass PyTorch-layout tensors (adapterWeights('torch') or the adapter file).`);
  }
}

/** The update ΔW = scale · B · A, `[fanOut, fanIn]` row-major. */
export function loraDelta(f: LoraFactors, scale: number): Float32Array {
  checkFactors(f);
  const { a, b, rank: r, fanIn, fanOut } = f;
  const out = new Float32Array(fanOut * fanIn);
  for (let i = 0; i < fanOut; i++) {
    for (let k = 0; k < r; k++) {
      const bik = b[i * r + k] * scale;
      if (bik === 0) continue;
      for (let j = 0; j < fanIn; j++) out[i * fanIn + j] += bik * a[k * fanIn + j];
    }
  }
  return out;
}

/** `X Xᵀ` of a row-major `[rows, cols]` matrix (or `Xᵀ X` with `transpose`), in float64. */
function gram(x: Float32Array, rows: number, cols: number, transpose: boolean): Float64Array {
  const n = transpose ? cols : rows;
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      if (transpose) for (let k = 0; k < rows; k++) s += x[k * cols + i] * x[k * cols + j];
      else for (let k = 0; k < cols; k++) s += x[i * cols + k] * x[j * cols + k];
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
  }
  return g;
}

/** Product of two row-major `[n, n]` matrices. */
function matmulSquare(x: ArrayLike<number>, y: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
    const xik = x[i * n + k];
    if (xik === 0) continue;
    for (let j = 0; j < n; j++) out[i * n + j] += xik * y[k * n + j];
  }
  return out;
}

/**
 * Singular values of ΔW = scale · B · A, descending, `rank` of them (zeros where ΔW has lower rank), computed
 * from r x r matrices only: never forms the `[out, in]` update.
 */
export function loraSingularValues(f: LoraFactors, scale: number): number[] {
  checkFactors(f);
  const r = f.rank;
  const ga = gram(f.a, r, f.fanIn, false); // A Aᵀ [r, r]
  const gb = gram(f.b, f.fanOut, r, true); // Bᵀ B [r, r]
  const ea = symmetricEigen(ga, r);
  // H = G_A^{1/2} = U diag(sqrt(λ)) Uᵀ (negative round-off clipped to 0).
  const h = new Float64Array(r * r);
  for (let k = 0; k < r; k++) {
    const s = Math.sqrt(Math.max(0, ea.values[k]));
    const u = ea.vectors[k];
    for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) h[i * r + j] += s * u[i] * u[j];
  }
  const sym = matmulSquare(matmulSquare(h, gb, r), h, r);
  return symmetricEigenvalues(sym, r).map((l) => Math.abs(scale) * Math.sqrt(Math.max(0, l)));
}

/** Frobenius norm of a flat array. */
export function frobeniusNorm(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

/** A named tensor as plain data: row-major values and shape. */
export interface PlainTensor {
  data: Float32Array;
  shape: number[];
}

/**
 * Pair the `<module>.lora_A` / `<module>.lora_B` tensors of an adapter (PyTorch layout), in module order.
 * Other tensors (the head) are ignored. A lone A or B is an error.
 */
export function pairLoraFactors(tensors: Map<string, PlainTensor>): LoraFactors[] {
  const out: LoraFactors[] = [];
  for (const [name, a] of tensors) {
    const m = /^(.*)\.lora_A$/.exec(name);
    if (!m) continue;
    const b = tensors.get(`${m[1]}.lora_B`);
    if (!b) throw new Error(`pairLoraFactors: ${name} has no matching ${m[1]}.lora_B.`);
    if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[0] !== b.shape[1]) {
      throw new Error(`pairLoraFactors: ${m[1]} has lora_A [${a.shape}] and lora_B [${b.shape}]; expected [r, in] and [out, r] (PyTorch layout).`);
    }
    out.push({ module: m[1], a: a.data, b: b.data, rank: a.shape[0], fanIn: a.shape[1], fanOut: b.shape[0] });
  }
  for (const name of tensors.keys()) {
    const m = /^(.*)\.lora_B$/.exec(name);
    if (m && !tensors.has(`${m[1]}.lora_A`)) throw new Error(`pairLoraFactors: ${name} has no matching ${m[1]}.lora_A.`);
  }
  return out;
}

/** One adapted module's update, summarised. */
export interface LoraUpdateRow {
  module: string;
  /** Block index parsed from `blocks.<i>.`, or -1. */
  block: number;
  /** The module within its block, e.g. `attn.q`. */
  target: string;
  rank: number;
  /** ‖ΔW‖_F. */
  norm: number;
  /** Singular values of ΔW, descending (length `rank`). */
  singularValues: number[];
  /** Share of ‖ΔW‖²_F in the first singular direction (1 = a rank-1 update; NaN for ΔW = 0). */
  topShare: number;
}

/** Summarise every LoRA update of an adapter: norm and singular values of scale · B · A per module. */
export function loraUpdateRows(factors: LoraFactors[], scale: number): LoraUpdateRow[] {
  return factors.map((f) => {
    const sv = loraSingularValues(f, scale);
    const energy = sv.reduce((s, x) => s + x * x, 0);
    const m = /^blocks\.(\d+)\.(.*)$/.exec(f.module);
    return {
      module: f.module, block: m ? Number(m[1]) : -1, target: m ? m[2] : f.module, rank: f.rank,
      norm: Math.sqrt(energy), singularValues: sv, topShare: energy > 0 ? (sv[0] * sv[0]) / energy : NaN,
    };
  });
}

/**
 * Cosine similarity of two updates of the same module, ⟨ΔW1, ΔW2⟩_F / (‖ΔW1‖ ‖ΔW2‖): 1 = same direction,
 * 0 = unrelated; NaN when either update is zero.
 */
export function loraCosine(f1: LoraFactors, scale1: number, f2: LoraFactors, scale2: number): number {
  if (f1.fanIn !== f2.fanIn || f1.fanOut !== f2.fanOut) {
    throw new Error(`loraCosine: ${f1.module} is [${f1.fanOut}, ${f1.fanIn}] but ${f2.module} is [${f2.fanOut}, ${f2.fanIn}]; compare updates of the same module.`);
  }
  const d1 = loraDelta(f1, scale1);
  const d2 = loraDelta(f2, scale2);
  let dot = 0;
  for (let i = 0; i < d1.length; i++) dot += d1[i] * d2[i];
  const n = frobeniusNorm(d1) * frobeniusNorm(d2);
  return n > 0 ? dot / n : NaN;
}
