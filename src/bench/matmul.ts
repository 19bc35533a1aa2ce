/** A quick throughput probe: how many GFLOP/s the current backend reaches on square matrix products. */
import { tf } from '../backend';

/**
 * Time `[n, n] x [n, n]` products on the current backend (after one warm-up) and return GFLOP/s.
 * Repeats enough products for about `flops` floating-point operations so small sizes are timed fairly.
 */
export async function matmulGflops(n: number, flops = 2e8): Promise<number> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  try {
    const reps = Math.max(2, Math.round(flops / (2 * n ** 3)));
    const warm = tf.matMul(a, b);
    await warm.data();
    warm.dispose();
    const t0 = performance.now();
    for (let i = 1; i < reps; i++) tf.tidy(() => tf.matMul(a, b)).dispose();
    const last = tf.matMul(a, b);
    await last.data(); // waits for queued work on asynchronous backends too
    last.dispose();
    return (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
  } finally {
    tf.dispose([a, b]);
  }
}
