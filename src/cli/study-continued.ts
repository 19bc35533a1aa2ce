/**
 * The study's reference arm `continued-mae`: instead of pre-training only the target parameters (TPP), continue
 * MAE pre-training of the whole backbone (and its decoder) on the same unlabelled target images, with the same
 * epochs, learning rate and seeds as TPP, then fine-tune the same PEFT methods from it without TPP. It is the
 * upper bound of adapting the backbone to the target domain with this pretext and these images.
 *
 * Layout: `<out>/<target>/continued/s<k>/` holds the continued backbone of TPP seed k (backbone.safetensors,
 * decoder.safetensors, continued.json with its settings) and `grid/`, a compare grid of the fine-tuning seeds
 * that start from it (seed s uses k = s mod tppSeeds, as the TPP arms do). A rerun reuses both where the
 * recorded settings match and refuses (naming the change) where they differ, unless --recompute.
 */
import * as fs from 'fs';
import * as path from 'path';
import { openBackbone } from '../io/backbone';
import { writeFileAtomic } from '../io/safetensors';
import type { CellResult } from '../train/compare';
import { capImages } from '../train/compare-plan';
import { pretrainMAE } from '../train/pretrain';
import type { StudyPlan, StudyTarget } from '../train/study-plan';
import { type CompareSettings, loadTarget, runComparison } from './commands/compare';
import { startBackend } from './train-shared';

/** The arm name of the continued backbones' cells in the study's tables. */
export const CONTINUED_ARM = 'continued-mae';

/** What a continued backbone depends on (a change means it must be made again). */
function continuedSettings(plan: StudyPlan, t: StudyTarget, k: number): Record<string, unknown> {
  return { backbone: plan.backbone ?? null, data: t.data, convert: t.convert, splitSeed: plan.splitSeed, images: plan.tpp.images, epochs: plan.tpp.epochs, lr: plan.tpp.lr, batchSize: 64, seed: k };
}

/** Make (or reuse) the continued backbone of TPP seed `k` for target `t` in `dir`. */
async function continuedBackbone(plan: StudyPlan, t: StudyTarget, base: CompareSettings, k: number, dir: string, options: { quiet: boolean; recompute: boolean }): Promise<void> {
  const want = continuedSettings(plan, t, k);
  const record = path.join(dir, 'continued.json');
  if (fs.existsSync(record)) {
    const had = JSON.parse(fs.readFileSync(record, 'utf8')) as Record<string, unknown>;
    const changed = Object.keys(want).filter((key) => JSON.stringify(had[key]) !== JSON.stringify(want[key]));
    if (!changed.length && fs.existsSync(path.join(dir, 'backbone.safetensors'))) return;
    if (changed.length && !options.recompute) {
      throw new Error(`${dir} holds a continued backbone made with other settings (${changed.map((c) => `${c}: ${JSON.stringify(had[c])} → ${JSON.stringify(want[c])}`).join(', ')}); rerun with --recompute to make it again.`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const { vit, paths } = await openBackbone(plan.backbone);
  let images;
  try {
    if (!paths.decoder) throw new Error(`continued MAE needs the decoder saved beside ${paths.backbone}.`);
    // The same images TPP's `same` arm sees: the target's training split as compare loads it, capped by the same seeded sample.
    images = capImages((await loadTarget(base, vit, true)).train, plan.tpp.images);
  } finally {
    vit.dispose();
  }
  const t0 = Date.now();
  const r = await pretrainMAE({
    train: images, init: { backbonePath: paths.backbone, decoderPath: paths.decoder! }, epochs: plan.tpp.epochs, lr: plan.tpp.lr, batchSize: 64, seed: k, outDir: dir,
    provenance: { command: `tpp-lab study (continued MAE of ${plan.backbone ?? 'the default backbone'} on ${t.name}, seed ${k})` },
  });
  r.mae.dispose();
  r.mae.encoder.dispose();
  await writeFileAtomic(record, Buffer.from(JSON.stringify({ ...want, seconds: (Date.now() - t0) / 1000, finalLoss: r.fit.history[r.fit.history.length - 1]?.loss }, null, 1)));
  if (!options.quiet) console.error(`continued MAE: ${t.name} seed ${k} (${Math.round((Date.now() - t0) / 1000)} s)`);
}

/**
 * Run the continued-MAE arm of one target: a continued backbone per TPP seed and the fine-tuning grid from it.
 * `base` is the target's compare settings (methods, budgets, recipe). Returns the cells, labelled with the arm
 * `continued-mae` and the TPP seed they started from, or a non-zero exit code.
 */
export async function runContinued(plan: StudyPlan, t: StudyTarget, base: CompareSettings, options: { quiet: boolean; jobs: number; recompute: boolean }): Promise<number> {
  await startBackend(true);
  for (let k = 0; k < plan.tppSeeds; k++) {
    const seeds = plan.seeds.filter((s) => s % plan.tppSeeds === k);
    if (!seeds.length) continue;
    const dir = continuedDir(base, k);
    await continuedBackbone(plan, t, base, k, dir, options);
    const s: CompareSettings = { ...base, backbone: dir, other: [], arms: ['none'], seeds, out: path.join(dir, 'grid'), title: `${base.title} (continued MAE, seed ${k})` };
    const code = await runComparison(s, { quiet: options.quiet, jobs: options.jobs, recompute: options.recompute });
    if (code !== 0) return code;
  }
  return 0;
}

function continuedDir(base: CompareSettings, k: number): string {
  return path.join(base.out, 'continued', `s${k}`);
}

/** The continued-MAE cells of a target, as arm `continued-mae` with their TPP seed (none when the arm did not run). */
export function continuedCells(plan: StudyPlan, base: CompareSettings): CellResult[] {
  const out: CellResult[] = [];
  for (let k = 0; k < plan.tppSeeds; k++) {
    const file = path.join(continuedDir(base, k), 'grid', 'results.json');
    if (!fs.existsSync(file)) continue;
    for (const c of (JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: CellResult[] }).cells) out.push({ ...c, arm: CONTINUED_ARM, tppSeed: k });
  }
  return out;
}
