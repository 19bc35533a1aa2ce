/** `tpp-lab bench`: time training or inference steps of our model code on random data (see src/bench). */
import { runBench } from '../../bench/run';
import { BENCH_BATCH, BENCH_PRESETS, BENCH_VARIANTS, type BenchVariant } from '../../bench/task';
import type { PresetName } from '../../model/config';
import { maxWorkers, UsageError } from '../args';
import { Command } from '../command';

export const command: Command = {
  name: 'bench',
  summary: 'Time training steps (or inference) of a ViT preset on random data',
  usage: 'bench [--preset tiny|tutorial|p4|large] [--variant fwd|full|lora|mae] [--steps N] [--warmup N] [--batch N] [--workers N] [--backend NAME] [--json]',
  description: [
    'Variants: fwd (inference), full (all weights trained), lora (rank 4 on q,v; LoRA and head trained),',
    'mae (mask ratio 0.75, the preset\'s decoder). Training steps use AdamW and clipping like the training loop.',
    'With --workers N > 1 each step is split over N worker threads (one backend each); the main thread averages',
    'the gradients and applies AdamW. Prints median and minimum step time, images/s, backend and peak memory.',
    'The same steps in PyTorch: /usr/bin/python3 scripts/torch_bench.py; both side by side: npm run bench.',
  ].join('\n'),
  flags: [
    { name: 'preset', type: 'string', choices: BENCH_PRESETS, default: 'tutorial', help: 'model shape (torch_reference.py presets)' },
    { name: 'variant', type: 'string', choices: BENCH_VARIANTS, default: 'full', help: 'what a step does' },
    { name: 'steps', type: 'int', value: 'N', default: 20, help: 'timed steps', min: 1 },
    { name: 'warmup', type: 'int', value: 'N', default: 3, help: 'untimed steps first', min: 0 },
    { name: 'batch', type: 'int', value: 'N', help: 'images per step (default: the preset\'s; 64 for tutorial)', min: 1 },
    { name: 'workers', type: 'int', value: 'N', default: 1, help: 'threads that compute (1 = the main thread)', min: 1, max: maxWorkers().max, maxReason: maxWorkers().reason },
    { name: 'backend', type: 'string', value: 'NAME', help: 'force a backend (wasm, cpu, webgpu, node, node-gpu)' },
    { name: 'json', type: 'boolean', help: 'print one JSON object' },
  ],
  async run({ flags }) {
    const batch = (flags.batch as number | undefined) ?? BENCH_BATCH[flags.preset as PresetName];
    if ((flags.workers as number) > batch) throw new UsageError(`--workers (${flags.workers}) must not exceed the batch (${batch}): each worker needs at least one image.`);
    const r = await runBench({
      preset: flags.preset as PresetName,
      variant: flags.variant as BenchVariant,
      steps: flags.steps as number,
      warmup: flags.warmup as number,
      batch: flags.batch as number | undefined,
      workers: flags.workers as number,
      backend: flags.backend as string | undefined,
    });
    if (flags.json) {
      console.log(JSON.stringify(r));
      return 0;
    }
    console.log(`${r.preset} ${r.variant}: batch ${r.batch}, ${r.steps} steps, backend ${r.backend}, ${r.workers} worker${r.workers > 1 ? 's' : ''}`);
    console.log(`  step      median ${r.ms_median} ms, min ${r.ms_min} ms`);
    console.log(`  speed     ${r.images_per_s} images/s`);
    console.log(`  memory    peak RSS ${r.rss_mb} MiB; tensors ${r.num_tensors_after_warmup} after warm-up, ${r.num_tensors_end} at the end`);
    return 0;
  },
};
