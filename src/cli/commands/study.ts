/** `tpp-lab study`: a plan of several targets, each a grid (src/grid/study.ts), and a front page that answers the questions. */
import * as path from 'path';
import { isSegmentationData } from '../../io/sources/seg-source';
import { gridBackbone } from '../../grid/build';
import { CONTINUED_ARM, continuedCells, runContinued } from '../../grid/continued';
import { parseShard } from '../../grid/plan';
import { targetCells, targetGrids } from '../../grid/study';
import type { StudyPlan } from '../../grid/study-plan';
import { readStudyPlan } from '../../grid/study-plan-file';
import { nodeGridSources } from '../../io/grid-sources';
import { folderStore } from '../../io/folder-store';
import { writeStudyReport, type StudyTargetResult } from '../../report/study-report';
import { UsageError } from '../args';
import { Command } from '../command';
import { outDir } from '../train-shared';
import { limitsFromFlags, mergeFolders, RUN_FLAGS, runComparison } from './compare';

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
      plan = readStudyPlan(String(flags.plan), limitsFromFlags(flags));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const out = outDir(flags);
    const limits = { maxCells: plan.maxCells, maxHours: plan.maxHours };
    const only = flags.targets ? String(flags.targets).split(',').map((s) => s.trim()).filter(Boolean) : null;
    for (const n of only ?? []) if (!plan.targets.some((t) => t.name === n)) throw new UsageError(`--targets: "${n}" is not a target of the plan (${plan.targets.map((t) => t.name).join(', ')}).`);
    const targets = plan.targets.filter((t) => !only || only.includes(t.name));
    const shard = flags.shard === undefined ? undefined : parseShard(String(flags.shard)) ?? undefined;
    if (flags.shard !== undefined && !shard) throw new UsageError(`--shard takes I/N with 1 <= I <= N (e.g. 2/8), got "${flags.shard}".`);
    if (flags.merge === undefined && positionals.length) throw new UsageError(`Unexpected argument "${positionals[0]}" (only --merge takes folders).`);
    const results: StudyTargetResult[] = [];
    for (const t of targets) {
      let grids;
      try {
        grids = targetGrids(plan, t, out);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      for (const s of grids) {
        if (flags.merge !== undefined) {
          const rel = path.relative(out, s.out);
          const dirs = [String(flags.merge), ...positionals].map((d) => path.join(path.resolve(d), rel));
          await mergeFolders(dirs, s.out, `tpp-lab ${process.argv.slice(2).join(' ')}`);
        } else {
          if (!flags.quiet) console.error(`== ${t.name}: ${t.data}, methods ${s.methods.join(', ')}, arms ${s.arms.map((a) => (t.arms[a] ? `${a} (${t.arms[a]})` : a)).join(', ')}`);
          const code = await runComparison(s, { quiet: !!flags.quiet, jobs: flags.jobs as number, shard, recompute: !!flags.recompute, limits });
          if (code !== 0) return code;
        }
      }
      const base = grids[0];
      if (plan.continued && flags.merge === undefined && !shard) {
        let failed = 0;
        await runContinued(plan, t, base, {
          store: folderStore(base.out), sources: nodeGridSources, recompute: !!flags.recompute,
          onNote: flags.quiet ? undefined : (n) => console.error(n),
          runGrid: async (s) => {
            if (!failed) failed = await runComparison(s, { quiet: !!flags.quiet, jobs: flags.jobs as number, recompute: !!flags.recompute, limits });
          },
        });
        if (failed) return failed;
      } else if (plan.continued && shard) console.error(`note: the ${CONTINUED_ARM} arm runs unsharded: run the study once more without --shard after --merge.`);
    }
    // The front page covers every plan target with results in --out, also those --targets left out this time
    // (a study run one target at a time still gets one page answering for all of them).
    if (!shard) {
      for (const t of plan.targets) {
        const stores = targetGrids(plan, t, out).map((g) => folderStore(g.out));
        const cellsOf = () => [...stores.flatMap(targetCells), ...(plan.continued ? continuedCells(plan, stores[0]) : [])];
        if (targets.includes(t)) results.push({ target: t.name, dir: t.name, cells: cellsOf() });
        else if (stores.every((g) => g.exists('results.json'))) {
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
    const about = `Backbone ${gridBackbone({ backbone: plan.backbone })}; methods ${plan.methods.join(', ')}` +
      `${plan.references.length ? ` (references without TPP: ${plan.references.join(', ')})` : ''}` +
      `${plan.continued ? `; reference arm ${CONTINUED_ARM}: MAE of the whole backbone continued on the TPP images, then the same PEFT` : ''}; ${plan.budgets.join(', ')} labels per class${plan.targets.some((t) => t.budgets) ? ` (own budgets: ${plan.targets.filter((t) => t.budgets).map((t) => `${t.name} ${t.budgets!.join(', ')}${isSegmentationData(t.data) ? ' labelled images' : ' per class'}`).join('; ')})` : ''}; ` +
      `${plan.seeds.length} fine-tuning seeds, ${plan.tppSeeds} TPP seeds; TPP ${plan.tpp.epochs} epochs at lr ${plan.tpp.lr} on up to ${plan.tpp.images} images; ` +
      `fine-tuning ${plan.finetune.epochs} epochs, lr ${plan.finetune.lr}${plan.finetune.headLr ? ` (head ${plan.finetune.headLr})` : ''}, batch ${plan.finetune.batch}` +
      `${plan.finetune.minSteps ? `, at least ${plan.finetune.minSteps} steps an epoch` : ''}.`;
    const files = await writeStudyReport(out, plan.title, results, { backbone: gridBackbone({ backbone: plan.backbone }), task: 'classification' }, about);
    console.log(`Front page: ${files.index_html}\nTables: ${files.summary_csv}, ${files.contrasts_csv}`);
    return 0;
  },
};
