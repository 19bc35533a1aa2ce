import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { frobeniusNorm, loraDelta, loraSingularValues, loraUpdateRows, pairLoraFactors, type LoraFactors } from '../src/analysis/lora-svd';
import { symmetricEigen, symmetricEigenvalues } from '../src/analysis/linalg';

/** Deterministic pseudo-random numbers in [-1, 1). */
function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function factors(r: number, fanIn: number, fanOut: number, seed: number): LoraFactors {
  return { module: 'blocks.0.attn.q', a: rand(r * fanIn, seed), b: rand(fanOut * r, seed + 1), rank: r, fanIn, fanOut };
}

describe('symmetricEigen', () => {
  test('diagonal and 2x2 matrices have their known eigenvalues', () => {
    assert.deepEqual(symmetricEigenvalues([3, 0, 0, 0, -1, 0, 0, 0, 2], 3), [3, 2, -1]);
    const v = symmetricEigenvalues([2, 1, 1, 2], 2);
    assert.ok(Math.abs(v[0] - 3) < 1e-12 && Math.abs(v[1] - 1) < 1e-12);
  });

  test('eigenvectors satisfy M v = λ v and are orthonormal', () => {
    const n = 6;
    const x = rand(n * n, 7);
    const m = Array.from({ length: n * n }, (_, k) => x[Math.floor(k / n) * n + (k % n)] + x[(k % n) * n + Math.floor(k / n)]);
    const { values, vectors } = symmetricEigen(m, n);
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let mv = 0;
        for (let j = 0; j < n; j++) mv += m[i * n + j] * vectors[k][j];
        assert.ok(Math.abs(mv - values[k] * vectors[k][i]) < 1e-9, `row ${i} of eigenpair ${k}`);
      }
      for (let l = 0; l < n; l++) {
        const dot = vectors[k].reduce((s, vi, i) => s + vi * vectors[l][i], 0);
        assert.ok(Math.abs(dot - (k === l ? 1 : 0)) < 1e-9);
      }
    }
    assert.deepEqual([...values].sort((a, b) => b - a), values);
  });

  test('a wrong number of values is an error', () => {
    assert.throws(() => symmetricEigenvalues([1, 2, 3], 2), /expected 4 values for a 2x2 matrix, got 3/);
  });
});

describe('loraDelta and loraSingularValues', () => {
  test('ΔW = scale · B · A in PyTorch layout ([out, r] x [r, in])', () => {
    // A [2, 3], B [2, 2]
    const f: LoraFactors = { module: 'm', a: Float32Array.from([1, 2, 3, 4, 5, 6]), b: Float32Array.from([1, 0, 1, 1]), rank: 2, fanIn: 3, fanOut: 2 };
    assert.deepEqual([...loraDelta(f, 2)], [2, 4, 6, 10, 14, 18]);
  });

  test('singular values match the eigenvalues of ΔWᵀΔW computed on the full matrix', () => {
    for (const [r, fanIn, fanOut] of [[1, 8, 5], [4, 16, 12], [8, 10, 24]]) {
      const f = factors(r, fanIn, fanOut, 11 * r);
      const scale = 0.5;
      const sv = loraSingularValues(f, scale);
      const d = loraDelta(f, scale);
      const g = new Float64Array(fanIn * fanIn);
      for (let i = 0; i < fanIn; i++) for (let j = 0; j < fanIn; j++) {
        let s = 0;
        for (let k = 0; k < fanOut; k++) s += d[k * fanIn + i] * d[k * fanIn + j];
        g[i * fanIn + j] = s;
      }
      const full = symmetricEigenvalues(g, fanIn).slice(0, r).map((l) => Math.sqrt(Math.max(0, l)));
      assert.equal(sv.length, r);
      sv.forEach((s, k) => assert.ok(Math.abs(s - full[k]) < 1e-4 * (1 + full[0]), `r=${r} σ${k + 1}: ${s} vs ${full[k]}`));
      const norm = Math.sqrt(sv.reduce((a, s) => a + s * s, 0));
      assert.ok(Math.abs(norm - frobeniusNorm(d)) < 1e-4 * norm);
    }
  });

  test('a constructed update has exactly its singular values, and zeros beyond its rank', () => {
    // B = [3e1, 0.5e2, 0, 0] columns on orthogonal axes, A rows = unit axes: ΔW has σ = 3, 0.5 and rank 2 of r = 3.
    const r = 3;
    const fanIn = 4;
    const fanOut = 5;
    const a = new Float32Array(r * fanIn);
    a[0 * fanIn + 1] = 1;
    a[1 * fanIn + 3] = 1;
    a[2 * fanIn + 0] = 1;
    const b = new Float32Array(fanOut * r);
    b[2 * r + 0] = 3;
    b[4 * r + 1] = 0.5;
    const sv = loraSingularValues({ module: 'm', a, b, rank: r, fanIn, fanOut }, 1);
    assert.ok(Math.abs(sv[0] - 3) < 1e-6 && Math.abs(sv[1] - 0.5) < 1e-6 && Math.abs(sv[2]) < 1e-6, String(sv));
  });

  test('B = 0 (a fresh LoRA) gives a zero update', () => {
    const f = factors(4, 8, 8, 3);
    f.b.fill(0);
    assert.deepEqual(loraSingularValues(f, 1), [0, 0, 0, 0]);
    const [row] = loraUpdateRows([f], 1);
    assert.equal(row.norm, 0);
    assert.ok(Number.isNaN(row.topShare));
  });

  test('mismatched factor sizes are an error naming the module', () => {
    const f = { ...factors(2, 4, 4, 1), rank: 3 };
    assert.throws(() => loraSingularValues(f, 1), /LoRA factors of blocks\.0\.attn\.q: lora_A needs 3x4/);
  });
});

describe('pairLoraFactors and loraUpdateRows', () => {
  test('pairs A and B by module, ignores the head and parses block and target', () => {
    const t = new Map([
      ['blocks.1.attn.v.lora_A', { data: rand(2 * 4, 1), shape: [2, 4] }],
      ['blocks.1.attn.v.lora_B', { data: rand(6 * 2, 2), shape: [6, 2] }],
      ['head.weight', { data: rand(4, 3), shape: [1, 4] }],
    ]);
    const f = pairLoraFactors(t);
    assert.equal(f.length, 1);
    assert.deepEqual({ module: f[0].module, rank: f[0].rank, fanIn: f[0].fanIn, fanOut: f[0].fanOut }, { module: 'blocks.1.attn.v', rank: 2, fanIn: 4, fanOut: 6 });
    const [row] = loraUpdateRows(f, 2);
    assert.equal(row.block, 1);
    assert.equal(row.target, 'attn.v');
    assert.ok(row.topShare > 0.5 && row.topShare <= 1);
    assert.ok(Math.abs(row.norm - frobeniusNorm(loraDelta(f[0], 2))) < 1e-4 * row.norm);
  });

  test('a lone lora_B or mismatched shapes are errors', () => {
    assert.throws(() => pairLoraFactors(new Map([['x.lora_B', { data: new Float32Array(4), shape: [2, 2] }]])), /x\.lora_B has no matching x\.lora_A/);
    assert.throws(() => pairLoraFactors(new Map([
      ['x.lora_A', { data: new Float32Array(6), shape: [2, 3] }],
      ['x.lora_B', { data: new Float32Array(6), shape: [2, 3] }],
    ])), /expected \[r, in\] and \[out, r\]/);
  });
});
