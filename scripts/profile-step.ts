/**
 * Where a bench step spends its time, per kernel (tf.profile), for the performance log:
 *   node --import tsx scripts/profile-step.ts [--preset tutorial] [--variant full] [--steps 3]
 * Prints the kernels sorted by total milliseconds over the profiled steps.
 */
import { initBackend, tf } from '../src/backend';
import { benchOptimizer, benchStep } from '../src/bench/run';
import { createBenchTask, type BenchVariant } from '../src/bench/task';
import type { PresetName } from '../src/model/config';
import { localGradients } from '../src/parallel/gradients';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  await initBackend({ warn: () => {} });
  const task = createBenchTask({ preset: flag('preset', 'tutorial') as PresetName, variant: flag('variant', 'full') as BenchVariant, seed: 0 });
  const opt = benchOptimizer(task);
  const src = localGradients(task);
  const steps = Number(flag('steps', '3'));
  const step = async (i: number) => {
    const b = task.makeBatch(64, i);
    if (task.trainable.length) await benchStep(src, opt, b, i);
    else tf.tidy(() => task.forward(b)).dispose();
  };
  await step(0);
  const totals = new Map<string, { ms: number; calls: number }>();
  let all = 0;
  for (let i = 1; i <= steps; i++) {
    const info = await tf.profile(() => step(i) as unknown as tf.TensorContainer);
    for (const k of info.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join('')}`;
      const e = totals.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls++;
      totals.set(key, e);
      all += ms;
    }
  }
  const byName = new Map<string, number>();
  for (const [k, v] of totals) byName.set(k.split(' ')[0], (byName.get(k.split(' ')[0]) ?? 0) + v.ms);
  console.log(`kernel ms per step: ${(all / steps).toFixed(1)}`);
  for (const [k, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${(ms / steps).toFixed(1).padStart(7)}  ${k}`);
  console.log('top kernels by shape:');
  for (const [k, v] of [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(`  ${(v.ms / steps).toFixed(1).padStart(7)}  ${(v.calls / steps).toFixed(0).padStart(3)}x ${k}`);
}

main();
