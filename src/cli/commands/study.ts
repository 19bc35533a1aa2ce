/** `tpp-lab study`: a plan of several targets, each a compare grid, and a front page that answers the questions. */
import * as fs from 'fs';
import * as path from 'path';
import { PEFT_METHOD_NAMES, type PeftMethodName } from '../../peft/index';
import { writeStudyReport, type StudyTargetResult } from '../../report/study-report';
import type { CellResult } from '../../train/compare';
import { parseShard } from '../../train/compare-plan';
import { readStudyPlan, type StudyPlan, type StudyTarget } from '../../train/study-plan';
import { UsageError } from '../args';
import { isSegmentationData } from '../../data/sources/seg-source';
import { DEFAULT_SEG_HEAD, SEG_HEAD_KINDS, type SegHeadKind } from '../../model/seg-head';
import type { GridBudget } from '../../train/compare-plan';
import { Command } from '../command';
import { mergeShards } from '../compare-grid';
import { CONTINUED_ARM, continuedCells, runContinued } from '../study-continued';
import { outDir } from '../train-shared';
import { type CompareSettings, RUN_FLAGS, runComparison } from './compare';

/** The compare settings of one target of `plan`, writing into `out/<target name>`. */
export function targetSettings(plan: StudyPlan, t: StudyTarget, out: string): CompareSettings {
  for (const m of [...plan.methods, ...plan.references]) if (!PEFT_METHOD_NAMES.includes(m as PeftMethodName)) throw new UsageError(`study plan: unknown method "${m}"; use ${PEFT_METHOD_NAMES.join(', ')}.`);
  const names = Object.keys(t.arms);
  const segment = isSegmentationData(t.data);
  if (segment && !t.budgets) throw new UsageError(`study plan: target ${t.name} is segmentation data; give its budgets in labelled images, e.g. "budgets": [10, 50, "all"].`);
  if (!segment && t.head !== undefined) throw new UsageError(`study plan: target ${t.name}: "head" applies to segmentation targets.`);
  if (!segment && t.budgets?.includes('all')) throw new UsageError(`study plan: target ${t.name}: "all" is a budget of segmentation targets; give labels per class.`);
  if (segment && plan.continued) throw new UsageError(`study plan: the continued-mae arm is not built for segmentation targets (${t.name}); set "continued": false.`);
  if (t.head !== undefined && !(SEG_HEAD_KINDS as readonly string[]).includes(t.head)) throw new UsageError(`study plan: target ${t.name}: head must be one of ${SEG_HEAD_KINDS.join(', ')}, got "${t.head}".`);
  const budgets: GridBudget[] = segment ? t.budgets!.map((k) => ({ images: k })) : (t.budgets ?? plan.budgets).map((k) => ({ perClass: k as number }));
  return {
    data: t.data, other: names.map((n) => `${n}=${t.arms[n]}`), methods: plan.methods as PeftMethodName[], arms: ['none', 'same', ...names],
    budgets, seeds: plan.seeds, splitSeed: plan.splitSeed,
    ...(segment ? { task: 'segment' as const, head: (t.head ?? DEFAULT_SEG_HEAD) as SegHeadKind } : {}),
    tppEpochs: plan.tpp.epochs, tppLr: plan.tpp.lr, tppImages: plan.tpp.images, pretext: 'mae',
    epochs: plan.finetune.epochs, lr: plan.finetune.lr, batch: plan.finetune.batch, patience: plan.finetune.patience,
    backbone: plan.backbone, out: path.join(out, t.name), title: `${plan.title}: ${t.name}`, tppSeeds: plan.tppSeeds,
    ...(plan.finetune.minSteps !== undefined ? { minSteps: plan.finetune.minSteps } : {}),
    ...(plan.finetune.headLr !== undefined ? { headLr: plan.finetune.headLr } : {}),
    ...(t.convert ? { convert: true } : {}),
    ...(t.valImages !== undefined ? { valImages: t.valImages } : {}),
  };
}

/** The compare settings of a target's reference methods: no TPP, the same budgets and seeds, in `<target>/references`. */
export function referenceSettings(plan: StudyPlan, t: StudyTarget, out: string): CompareSettings | null {
  if (!plan.references.length) return null;
  const s = targetSettings(plan, t, out);
  return { ...s, other: [], arms: ['none'], methods: plan.references as PeftMethodName[], out: path.join(s.out, 'references'), title: `${s.title} (reference methods)` };
}

/** The cells a target's compare run wrote (results.json). */
export function targetCells(dir: string): CellResult[] {
  const file = path.join(dir, 'results.json');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: the target's grid has not finished; run the study (or its shards and --merge) again.`);
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: CellResult[] }).cells;
}

export const command: Command = {
  name: 'study',
  summary: 'The TPP study: a plan of targets x TPP arms x methods x budgets x seeds, and a front page answering its questions',
  usage: 'study --plan plan.json --out <dir> [--jobs N] [--targets a,b] [--shard I/N]\n       study --plan plan.json --merge <dir-1> <dir-2> ... --out <dir>',
  description: 'Each target runs as a `compare` grid in <out>/<target> (resumable, reused by settings fingerprint), with the arms\n' +
    'none, same and the plan\'s named pools. Writes <out>/summary.csv, contrasts.csv and index.html (for every plan target whose\n' +
    'grid in <out> has finished, also those --targets left out this run). Plan format: docs/study.md.',
  maxPositionals: Infinity,
  flags: [
    { name: 'plan', type: 'string', value: 'FILE', help: 'the study plan (JSON)' },
    { name: 'out', type: 'string', value: 'DIR', help: 'output folder (one compare folder per target, the front page)' },
    { name: 'targets', type: 'string', value: 'LIST', help: 'run only these targets (by name)' },
    ...RUN_FLAGS.filter((f) => f.name !== 'json'),
    { name: 'shard', type: 'string', value: 'I/N', help: 'run only share I of N of every target\'s grid' },
    { name: 'merge', type: 'string', value: 'DIR...', help: 'join the --out folders of shards 1..N (given as arguments) into --out' },
  ],
  async run({ flags, positionals }) {
    if (!flags.plan) throw new UsageError('--plan FILE is required (a JSON study plan; see docs/study.md).');
    let plan: StudyPlan;
    try {
      plan = readStudyPlan(String(flags.plan));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const out = outDir(flags);
    const only = flags.targets ? String(flags.targets).split(',').map((s) => s.trim()).filter(Boolean) : null;
    for (const n of only ?? []) if (!plan.targets.some((t) => t.name === n)) throw new UsageError(`--targets: "${n}" is not a target of the plan (${plan.targets.map((t) => t.name).join(', ')}).`);
    const targets = plan.targets.filter((t) => !only || only.includes(t.name));
    const shard = flags.shard === undefined ? undefined : parseShard(String(flags.shard)) ?? undefined;
    if (flags.shard !== undefined && !shard) throw new UsageError(`--shard takes I/N with 1 <= I <= N (e.g. 2/8), got "${flags.shard}".`);
    if (flags.merge === undefined && positionals.length) throw new UsageError(`Unexpected argument "${positionals[0]}" (only --merge takes folders).`);
    const results: StudyTargetResult[] = [];
    for (const t of targets) {
      const grids = [targetSettings(plan, t, out), referenceSettings(plan, t, out)].filter((g): g is CompareSettings => g !== null);
      for (const s of grids) {
        if (flags.merge !== undefined) {
          const rel = path.relative(out, s.out);
          const dirs = [String(flags.merge), ...positionals].map((d) => path.join(path.resolve(d), rel));
          await mergeShards(dirs, s.out, `tpp-lab ${process.argv.slice(2).join(' ')}`, (n) => console.error(`note: ${n}`));
        } else {
          if (!flags.quiet) console.error(`== ${t.name}: ${t.data}, methods ${s.methods.join(', ')}, arms ${s.arms.map((a) => (t.arms[a] ? `${a} (${t.arms[a]})` : a)).join(', ')}`);
          const code = await runComparison(s, { quiet: !!flags.quiet, jobs: flags.jobs as number, shard, recompute: !!flags.recompute });
          if (code !== 0) return code;
        }
      }
      const base = grids[0];
      if (plan.continued && flags.merge === undefined && !shard) {
        const code = await runContinued(plan, t, base, { quiet: !!flags.quiet, jobs: flags.jobs as number, recompute: !!flags.recompute });
        if (code !== 0) return code;
      } else if (plan.continued && shard) console.error(`note: the ${CONTINUED_ARM} arm runs unsharded: run the study once more without --shard after --merge.`);
    }
    // The front page covers every plan target with results in --out, also those --targets left out this time
    // (a study run one target at a time still gets one page answering for all of them).
    if (!shard) {
      for (const t of plan.targets) {
        const grids = [targetSettings(plan, t, out), referenceSettings(plan, t, out)].filter((g): g is CompareSettings => g !== null);
        const cellsOf = () => [...grids.flatMap((s) => targetCells(s.out)), ...(plan.continued ? continuedCells(plan, grids[0]) : [])];
        if (targets.includes(t)) results.push({ target: t.name, dir: t.name, cells: cellsOf() });
        else if (grids.every((g) => fs.existsSync(path.join(g.out, 'results.json')))) {
          try {
            results.push({ target: t.name, dir: t.name, cells: cellsOf() });
          } catch (e) {
            console.error(`note: ${t.name} left off the front page: ${(e as Error).message}`);
          }
        }
      }
    }
    if (shard) {
      console.log(`shard ${shard.index + 1}/${shard.count} of ${targets.length} target grids done; join the shards with --merge.`);
      return 0;
    }
    const about = `Backbone ${plan.backbone ?? 'bundled'}; methods ${plan.methods.join(', ')}` +
      `${plan.references.length ? ` (references without TPP: ${plan.references.join(', ')})` : ''}` +
      `${plan.continued ? `; reference arm ${CONTINUED_ARM}: MAE of the whole backbone continued on the TPP images, then the same PEFT` : ''}; ${plan.budgets.join(', ')} labels per class${plan.targets.some((t) => t.budgets) ? ` (own budgets: ${plan.targets.filter((t) => t.budgets).map((t) => `${t.name} ${t.budgets!.join(', ')}${isSegmentationData(t.data) ? ' labelled images' : ' per class'}`).join('; ')})` : ''}; ` +
      `${plan.seeds.length} fine-tuning seeds, ${plan.tppSeeds} TPP seeds; TPP ${plan.tpp.epochs} epochs at lr ${plan.tpp.lr} on up to ${plan.tpp.images} images; ` +
      `fine-tuning ${plan.finetune.epochs} epochs, lr ${plan.finetune.lr}${plan.finetune.headLr ? ` (head ${plan.finetune.headLr})` : ''}, batch ${plan.finetune.batch}` +
      `${plan.finetune.minSteps ? `, at least ${plan.finetune.minSteps} steps an epoch` : ''}.`;
    const files = await writeStudyReport(out, plan.title, results, { backbone: plan.backbone ?? 'bundled', task: 'classification' }, about);
    console.log(`Front page: ${files.index_html}\nTables: ${files.summary_csv}, ${files.contrasts_csv}`);
    return 0;
  },
};
