/** `tpp-lab bench`: time training or inference steps of our model code on random data (see src/bench). */
import { runBench } from '../../bench/run';
import { BENCH_BATCH, BENCH_PRESETS, BENCH_VARIANTS, type BenchShape, type BenchVariant } from '../../bench/task';
import { vitConfig, type PresetName } from '../../model/config';
import { maxWorkers, UsageError } from '../args';
import { Command } from '../command';

export const command: Command = {
  name: 'bench',
  summary: 'Time training steps (or inference) of a ViT preset on random data',
  usage: 'bench [--preset tiny|tutorial|p4|large] [--variant fwd|full|lora|mae] [--steps N] [--warmup N] [--batch N] [--image-size N] [--patch N] [--depth N] [--workers N] [--backend NAME] [--json]',
  description: [
    'Variants: fwd (inference), full (all weights trained), lora (rank 4 on q,v; LoRA and head trained),',
    'mae (mask ratio 0.75, the preset\'s decoder). Training steps use AdamW and clipping like the training loop.',
    'With --workers N > 1 each step is split over N worker threads (one backend each); the main thread averages',
    'the gradients and applies AdamW. Prints median and minimum step time, images/s, backend, peak memory, and the',
    'resident memory and live tensors at the start and end of the timed steps (equal tensor counts: no leak).',
    '--image-size, --patch and --depth change the preset\'s shape (the step-time sweep: scripts/bench-sweep.ts).',
    'The same steps in PyTorch: /usr/bin/python3 scripts/torch_bench.py; both side by side: npm run bench.',
  ].join('\n'),
  flags: [
    { name: 'preset', type: 'string', choices: BENCH_PRESETS, default: 'tutorial', help: 'model shape (the presets of the PyTorch twin, scripts/torch_vit.py)' },
    { name: 'variant', type: 'string', choices: BENCH_VARIANTS, default: 'full', help: 'what a step does' },
    { name: 'steps', type: 'int', value: 'N', default: 20, help: 'timed steps', min: 1 },
    { name: 'warmup', type: 'int', value: 'N', default: 3, help: 'untimed steps first', min: 0 },
    { name: 'batch', type: 'int', value: 'N', help: 'images per step (default: the preset\'s; 64 for tutorial)', min: 1 },
    { name: 'image-size', type: 'int', value: 'N', help: 'image side in pixels (default: the preset\'s)', min: 1 },
    { name: 'patch', type: 'int', value: 'N', help: 'patch side in pixels; must divide the image side (default: the preset\'s)', min: 1 },
    { name: 'depth', type: 'int', value: 'N', help: 'transformer blocks (default: the preset\'s)', min: 1 },
    { name: 'workers', type: 'int', value: 'N', default: 1, help: 'threads that compute (1 = the main thread)', min: 1, max: maxWorkers().max, maxReason: maxWorkers().reason },
    { name: 'backend', type: 'string', value: 'NAME', help: 'force a backend (wasm, cpu, webgpu, node, node-gpu)' },
    { name: 'json', type: 'boolean', help: 'print one JSON object' },
  ],
  async run({ flags }) {
    const batch = (flags.batch as number | undefined) ?? BENCH_BATCH[flags.preset as PresetName];
    if ((flags.workers as number) > batch) throw new UsageError(`--workers (${flags.workers}) must not exceed the batch (${batch}): each worker needs at least one image.`);
    const shape: BenchShape = {
      ...(flags['image-size'] !== undefined ? { imageSize: flags['image-size'] as number } : {}),
      ...(flags.patch !== undefined ? { patchSize: flags.patch as number } : {}),
      ...(flags.depth !== undefined ? { depth: flags.depth as number } : {}),
    };
    try {
      vitConfig(flags.preset as PresetName, shape);
    } catch (e) {
      throw new UsageError(`--image-size/--patch/--depth: ${(e as Error).message}`);
    }
    const r = await runBench({
      preset: flags.preset as PresetName,
      variant: flags.variant as BenchVariant,
      steps: flags.steps as number,
      warmup: flags.warmup as number,
      batch: flags.batch as number | undefined,
      workers: flags.workers as number,
      shape,
      backend: flags.backend as string | undefined,
    });
    if (flags.json) {
      console.log(JSON.stringify(r));
      return 0;
    }
    console.log(`${r.preset} ${r.variant}: ${r.image_size} px, patch ${r.patch_size}, depth ${r.depth}, batch ${r.batch}, ${r.steps} steps, backend ${r.backend}${r.own_kernels ? ' + own kernels' : ''}, ${r.workers} worker${r.workers > 1 ? 's' : ''}`);
    console.log(`  step      median ${r.ms_median} ms, min ${r.ms_min} ms`);
    console.log(`  speed     ${r.images_per_s} images/s`);
    console.log(`  memory    peak RSS ${r.rss_mb} MiB; RSS ${r.rss_mb_start} -> ${r.rss_mb_end} MiB, tensors ${r.num_tensors_start} -> ${r.num_tensors_end} over the timed steps`);
    return 0;
  },
};
