/**
 * Step time against batch size, image size (at a fixed patch count and at a fixed patch size) and depth, so a user
 * can predict the cost of a bigger run (issue 12). Each point is one `tpp-lab bench --json` child (the bench's own
 * per-variant measurement) on the preset with its shape changed; one axis varies at a time around the preset's point.
 *
 *   npm run bench:sweep -- [--preset tutorial] [--variant full] [--steps 10] [--warmup 3]
 *     [--workers 1] [--axes batch,image-grid,image-patch,depth] [--batches 16,32,64,128,256] [--images 28,64,128]
 *     [--patch-size 4] [--depths 2,4,8] [--out DIR]
 *
 * Axes: `batch` (the preset's shape), `image-grid` (image sizes at the preset's patch count: patch = size / grid),
 * `image-patch` (image sizes at `--patch-size`), `depth` (the preset's image and batch). Writes DIR/bench-sweep.csv
 * (one row per point and axis) and DIR/bench-sweep.md (one table per axis), atomically. Time on a quiet machine.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BENCH_BATCH, BENCH_PRESETS, BENCH_VARIANTS } from '../src/bench/task';
import { writeFileAtomic } from '../src/io/safetensors';
import { vitConfig, type PresetName } from '../src/model/config';
import { flag, tfjsBench } from './bench-child';

/** The axes a sweep can vary, in table order, with their table titles. */
export const SWEEP_AXES = {
  batch: 'batch size',
  'image-grid': 'image size at a fixed patch count',
  'image-patch': 'image size at a fixed patch size',
  depth: 'depth',
} as const;
export type SweepAxis = keyof typeof SWEEP_AXES;

/** One point of the sweep: the axis it belongs to and the shape it measures. */
export interface SweepPoint {
  axis: SweepAxis;
  batch: number;
  imageSize: number;
  patchSize: number;
  depth: number;
}

export interface SweepGrid {
  preset: PresetName;
  axes: readonly SweepAxis[];
  batches: readonly number[];
  images: readonly number[];
  /** Patch side of the `image-patch` axis. */
  patchSize: number;
  depths: readonly number[];
}

/**
 * The points of a sweep, one axis at a time around the preset's own point. Throws naming the point and the fix
 * when a shape is invalid (e.g. an image size the patch size does not divide).
 */
export function sweepPoints(g: SweepGrid): SweepPoint[] {
  const base = vitConfig(g.preset);
  const grid = base.imageSize / base.patchSize;
  const b0 = { batch: BENCH_BATCH[g.preset], imageSize: base.imageSize, patchSize: base.patchSize, depth: base.depth };
  const out: SweepPoint[] = [];
  for (const axis of g.axes) {
    if (axis === 'batch') for (const batch of g.batches) out.push({ axis, ...b0, batch });
    if (axis === 'image-grid') for (const s of g.images) out.push({ axis, ...b0, imageSize: s, patchSize: s / grid });
    if (axis === 'image-patch') for (const s of g.images) out.push({ axis, ...b0, imageSize: s, patchSize: g.patchSize });
    if (axis === 'depth') for (const depth of g.depths) out.push({ axis, ...b0, depth });
  }
  for (const p of out) {
    if (!Number.isInteger(p.patchSize)) throw new Error(`sweep: image size ${p.imageSize} is not a multiple of the preset's ${grid} x ${grid} patch grid (axis image-grid); use image sizes divisible by ${grid}.`);
    try {
      vitConfig(g.preset, { imageSize: p.imageSize, patchSize: p.patchSize, depth: p.depth });
    } catch (e) {
      throw new Error(`sweep: point ${JSON.stringify(p)} is not a valid model: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Key of a point's measurement: points of different axes with the same shape are measured once. */
const shapeKey = (p: SweepPoint) => `${p.batch}/${p.imageSize}/${p.patchSize}/${p.depth}`;

const CSV_COLUMNS = ['axis', 'variant', 'batch', 'image_size', 'patch_size', 'tokens', 'depth', 'ms_median', 'ms_min', 'images_per_s', 'rss_mb', 'num_tensors_start', 'num_tensors_end', 'backend', 'workers'] as const;

/** CSV text: one row per point (axis order), the bench's fields; empty cells for a failed measurement. */
export function sweepCsv(points: readonly SweepPoint[], results: ReadonlyMap<string, Record<string, unknown> | null>, variant: string): string {
  const rows = points.map((p) => {
    const r = results.get(shapeKey(p)) ?? {};
    const v: Record<string, unknown> = { ...r, axis: p.axis, variant, batch: p.batch, image_size: p.imageSize, patch_size: p.patchSize, depth: p.depth, tokens: (p.imageSize / p.patchSize) ** 2 };
    return CSV_COLUMNS.map((c) => (v[c] === undefined || v[c] === null ? '' : String(v[c]))).join(',');
  });
  return [CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}

/** Markdown: a heading line of settings, then one table per axis. */
export function sweepMarkdown(points: readonly SweepPoint[], results: ReadonlyMap<string, Record<string, unknown> | null>, settings: string): string {
  const lines = [settings, ''];
  for (const axis of Object.keys(SWEEP_AXES) as SweepAxis[]) {
    const mine = points.filter((p) => p.axis === axis);
    if (!mine.length) continue;
    lines.push(`Step time against ${SWEEP_AXES[axis]}:`, '', '| batch | image | patch | tokens | depth | median ms | min ms | images/s | peak RSS MiB |', '|---|---|---|---|---|---|---|---|---|');
    for (const p of mine) {
      const r = results.get(shapeKey(p));
      const cell = (k: string) => (r && r[k] !== undefined ? String(r[k]) : 'failed');
      lines.push(`| ${p.batch} | ${p.imageSize} | ${p.patchSize} | ${(p.imageSize / p.patchSize) ** 2} | ${p.depth} | ${cell('ms_median')} | ${cell('ms_min')} | ${cell('images_per_s')} | ${cell('rss_mb')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

const ints = (v: string) => v.split(',').filter(Boolean).map(Number);

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const preset = flag(argv, 'preset', 'tutorial') as PresetName;
  const variant = flag(argv, 'variant', 'full');
  const steps = flag(argv, 'steps', '10');
  const warmup = flag(argv, 'warmup', '3');
  const workers = flag(argv, 'workers', '1');
  const outDir = flag(argv, 'out', '.');
  const axes = flag(argv, 'axes', Object.keys(SWEEP_AXES).join(',')).split(',').filter(Boolean) as SweepAxis[];
  const usage = (msg: string) => (process.stderr.write(`bench-sweep: ${msg}\n`), 2);
  if (!BENCH_PRESETS.includes(preset)) return usage(`--preset must be one of ${BENCH_PRESETS.join(', ')}; got "${preset}".`);
  if (!(BENCH_VARIANTS as readonly string[]).includes(variant)) return usage(`--variant must be one of ${BENCH_VARIANTS.join(', ')}; got "${variant}".`);
  const badAxis = axes.filter((a) => !(a in SWEEP_AXES));
  if (badAxis.length || !axes.length) return usage(`--axes takes some of ${Object.keys(SWEEP_AXES).join(',')}; got "${badAxis.join(',')}".`);
  const grid: SweepGrid = {
    preset, axes,
    batches: ints(flag(argv, 'batches', '16,32,64,128,256')),
    images: ints(flag(argv, 'images', '28,64,128')),
    patchSize: Number(flag(argv, 'patch-size', '4')),
    depths: ints(flag(argv, 'depths', '2,4,8')),
  };
  const bad = [...grid.batches, ...grid.images, ...grid.depths, grid.patchSize].find((n) => !Number.isInteger(n) || n < 1);
  if (bad !== undefined) return usage(`--batches, --images, --depths and --patch-size take whole numbers >= 1; got ${bad}.`);
  let points: SweepPoint[];
  try {
    points = sweepPoints(grid);
  } catch (e) {
    return usage((e as Error).message);
  }
  if (!fs.existsSync(outDir)) return usage(`--out ${outDir} does not exist; create it first.`);
  const results = new Map<string, Record<string, unknown> | null>();
  for (const p of points) {
    const key = shapeKey(p);
    if (results.has(key)) continue;
    const r = tfjsBench(['--preset', preset, '--variant', variant, '--steps', steps, '--warmup', warmup, '--workers', workers,
      '--batch', String(p.batch), '--image-size', String(p.imageSize), '--patch', String(p.patchSize), '--depth', String(p.depth)]);
    results.set(key, r);
    process.stderr.write(`bench-sweep: ${key.replace(/\//g, ' ')} (batch image patch depth): ${r ? `${r.ms_median} ms` : 'failed'}\n`);
  }
  const settings = `tpp-lab bench, preset ${preset} (channels, width and heads as the preset), variant ${variant}, ${workers} worker(s), median of ${steps} steps after ${warmup} warm-up, ${new Date().toISOString()}.`;
  const csv = path.join(outDir, 'bench-sweep.csv');
  const md = path.join(outDir, 'bench-sweep.md');
  await writeFileAtomic(csv, new TextEncoder().encode(sweepCsv(points, results, variant)));
  await writeFileAtomic(md, new TextEncoder().encode(sweepMarkdown(points, results, settings)));
  console.log(`wrote ${csv} and ${md} (${points.length} points, ${results.size} measured${[...results.values()].some((r) => !r) ? ', some failed: see above' : ''})`);
  return [...results.values()].some((r) => !r) ? 1 : 0;
}

if (require.main === module) {
  main().then((code) => (process.exitCode = code), (e) => {
    process.stderr.write(`bench-sweep: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
}
