/**
 * A few training steps of a ViT preset on one backend, from a fixed seed, printed as one JSON object; and the
 * comparison of two such runs. The webgpu parity test and `scripts/gpu-check.sh` run it once per backend, each in
 * its own process (one tfjs engine per process).
 *
 *   node --import tsx scripts/train-steps.ts [--backend webgpu] [--preset tiny] [--method lora] [--steps 4]
 *        [--batch 16] [--seed 0] [--lr 0.01]                          → JSON run on stdout
 *   node --import tsx scripts/train-steps.ts --compare a.json b.json  → JSON verdict; exit 0 if within tolerance
 *
 * The step is the project's own (src/step/step.ts `trainStep`, as `fit()` runs it): softmax cross-entropy of the
 * logits of a seeded synthetic batch, the non-finite check, clipping to global norm 1 and AdamW (fit()'s weight
 * decay 0.05) on the method's trainable parameters (target + head). Data are generated in JavaScript so both
 * backends see bitwise the same inputs. Every read is `await t.data()`: `dataSync()` throws on webgpu in Node.
 */
import * as fs from 'fs';
import { initBackend, tf } from '../src/backend';
import { mulberry32 } from '../src/data/sets/random';
import { vitConfig, type PresetName } from '../src/model/config';
import { createViT } from '../src/model/vit';
import { applyPeft, peftConfig, type PeftMethodName } from '../src/peft';
import { AdamW } from '../src/step/optimizer';
import { computeGradients, trainStep } from '../src/step/step';

/** What one run prints. */
export interface TrainRun {
  backend: string;
  adapter: string | null;
  preset: string;
  method: string;
  seed: number;
  batch: number;
  /** Loss before each step's update, one per step. */
  losses: number[];
  /** Wall time of each step in ms, including the read of the loss (the first includes shader compilation on webgpu). */
  stepMs: number[];
  /** Trained parameters after the last step, flattened, by name. */
  params: Record<string, number[]>;
  /** Max |trained - initial| over all trained parameters (shows the steps moved the weights). */
  maxUpdate: number;
}

/**
 * Tolerances of the parity check, absolute (float32 on different hardware: same maths, other summation orders).
 * Measured on lavapipe vs wasm, tiny preset, 4 steps of the project's step (AdamW, clipping at 1) at lr 0.01,
 * weights moved by up to 0.04: LoRA: losses within 2.4e-7, parameters within 2.5e-7; full fine-tuning: losses
 * within 2.4e-7, parameters within 2.5e-5. The largest parameter differences sit at key biases (`attn.qkv.bias`
 * k part): their true gradient is 0 (softmax ignores a constant added to every key), so Adam scales rounding
 * noise by up to lr / epsilon = 1e6. Parameters: 1e-4 (400x below the update); losses: 1e-5.
 */
export const PARITY_TOLERANCE = { loss: 1e-5, param: 1e-4 } as const;

/** Absolute tolerances of a comparison: of each step's loss and of each trained parameter value. */
export interface Tolerance {
  loss: number;
  param: number;
}

/** Losses and trained parameters of some steps: what two backends' runs are compared on. */
export interface StepsOutcome {
  losses: number[];
  params: Record<string, number[]>;
}

/** Outcome of comparing two runs. */
export interface ParityResult {
  ok: boolean;
  maxLossDiff: number;
  maxParamDiff: number;
  worstParam: string;
  tolerance: Tolerance;
  problems: string[];
}

/** Run `steps` training steps and return the run record (backend chosen by `backend` or TPP_BACKEND). */
export async function trainSteps(opts: { backend?: string; preset: PresetName; method: PeftMethodName; steps: number; batch: number; seed: number; lr: number }): Promise<TrainRun> {
  const report = await initBackend({ backend: opts.backend, warn: () => {} });
  const config = vitConfig(opts.preset);
  const model = createViT(config, { seed: opts.seed });
  const peft = applyPeft(model, peftConfig(opts.method), { seed: opts.seed });
  const trainable = peft.trainableParameters();
  const initial = new Map<string, Float32Array>();
  for (const [n, v] of trainable) initial.set(n, (await v.data()) as Float32Array);

  const { imageSize: s, channels: c, numClasses: k } = config;
  const rand = mulberry32(opts.seed + 1);
  const optimizer = new AdamW(trainable, { weightDecay: 0.05 });
  const losses: number[] = [];
  const stepMs: number[] = [];
  for (let step = 0; step < opts.steps; step++) {
    const pixels = Float32Array.from({ length: opts.batch * s * s * c }, () => rand());
    const oneHot = new Float32Array(opts.batch * k);
    for (let i = 0; i < opts.batch; i++) oneHot[i * k + Math.floor(rand() * k)] = 1;
    const t0 = performance.now();
    const x = tf.tensor4d(pixels, [opts.batch, s, s, c]);
    const y = tf.tensor2d(oneHot, [opts.batch, k]);
    const gradients = () => computeGradients(trainable, () => tf.losses.softmaxCrossEntropy(y, peft.forward(x, { training: true })) as tf.Scalar);
    losses.push(await trainStep(gradients, optimizer, { lr: opts.lr, clipNorm: 1, stage: 'train-steps', step }));
    stepMs.push(performance.now() - t0);
    tf.dispose([x, y]);
  }
  const params: Record<string, number[]> = {};
  let maxUpdate = 0;
  for (const [n, v] of trainable) {
    const now = (await v.data()) as Float32Array;
    params[n] = Array.from(now);
    const init = initial.get(n)!;
    for (let i = 0; i < now.length; i++) maxUpdate = Math.max(maxUpdate, Math.abs(now[i] - init[i]));
  }
  const adapter = report.webgpuAdapter && report.name === 'webgpu' ? `${report.webgpuAdapter.vendor} ${report.webgpuAdapter.description}`.trim() : null;
  optimizer.dispose();
  peft.dispose();
  model.dispose();
  return { backend: report.name, adapter, preset: opts.preset, method: opts.method, seed: opts.seed, batch: opts.batch, losses, stepMs, params, maxUpdate };
}

/** Compare two runs of the same set-up: losses and trained parameters within `PARITY_TOLERANCE` (absolute). */
export function compareRuns(a: TrainRun, b: TrainRun): ParityResult {
  const r = compareSteps(a, b, PARITY_TOLERANCE);
  const differ = (['preset', 'method', 'seed', 'batch'] as const).filter((f) => a[f] !== b[f]).map((f) => `runs differ in ${f}: ${a[f]} vs ${b[f]}`);
  return { ...r, ok: r.ok && differ.length === 0, problems: [...differ, ...r.problems] };
}

/** Compare the losses and trained parameters of two runs of the same steps within `tolerance` (absolute). */
export function compareSteps(a: StepsOutcome, b: StepsOutcome, tolerance: Tolerance): ParityResult {
  const problems: string[] = [];
  if (a.losses.length !== b.losses.length) problems.push(`step counts differ: ${a.losses.length} vs ${b.losses.length}`);
  const maxLossDiff = Math.max(0, ...a.losses.map((l, i) => Math.abs(l - (b.losses[i] ?? NaN))));
  let maxParamDiff = 0;
  let worstParam = '';
  for (const [name, va] of Object.entries(a.params)) {
    const vb = b.params[name];
    if (!vb || vb.length !== va.length) {
      problems.push(`parameter ${name} missing or of another size in the second run`);
      continue;
    }
    for (let i = 0; i < va.length; i++) {
      const d = Math.abs(va[i] - vb[i]);
      if (!(d <= maxParamDiff)) {
        maxParamDiff = d;
        worstParam = `${name}[${i}]`;
      }
    }
  }
  for (const name of Object.keys(b.params)) if (!(name in a.params)) problems.push(`parameter ${name} is only in the second run`);
  if (!(maxLossDiff <= tolerance.loss)) problems.push(`losses differ by ${maxLossDiff} (> ${tolerance.loss})`);
  if (!(maxParamDiff <= tolerance.param)) problems.push(`parameters differ by ${maxParamDiff} at ${worstParam} (> ${tolerance.param})`);
  return { ok: problems.length === 0, maxLossDiff, maxParamDiff, worstParam, tolerance, problems };
}

function flag(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

async function main(argv: string[]): Promise<number> {
  const cmp = argv.indexOf('--compare');
  if (cmp >= 0) {
    const [fa, fb] = argv.slice(cmp + 1, cmp + 3);
    if (!fa || !fb) {
      console.error('usage: train-steps.ts --compare a.json b.json');
      return 2;
    }
    const r = compareRuns(JSON.parse(fs.readFileSync(fa, 'utf8')), JSON.parse(fs.readFileSync(fb, 'utf8')));
    console.log(JSON.stringify(r, null, 2));
    return r.ok ? 0 : 1;
  }
  const run = await trainSteps({
    backend: flag(argv, 'backend', process.env.TPP_BACKEND ?? ''),
    preset: flag(argv, 'preset', 'tiny') as PresetName,
    method: flag(argv, 'method', 'lora') as PeftMethodName,
    steps: Number(flag(argv, 'steps', '4')),
    batch: Number(flag(argv, 'batch', '16')),
    seed: Number(flag(argv, 'seed', '0')),
    lr: Number(flag(argv, 'lr', '0.01')),
  });
  console.log(JSON.stringify(run));
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e instanceof Error ? e.stack : e);
      process.exitCode = 1;
    },
  );
}
