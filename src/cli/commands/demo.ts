/**
 * `tpp-lab demo`: a slice of the committed TPP study that runs offline on the bundled data in a few minutes
 * (src/grid/demo.ts), checked against the study's cells and set beside its verdicts (report/demo-comparison.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { DEMO_DOSE, DEMO_STUDY, demoSettings } from '../../grid/demo';
import { readStudyPlan } from '../../grid/study-plan-file';
import type { CellResult } from '../../grid/types';
import { studyComparison } from '../../report/demo-comparison';
import { Command } from '../command';
import { jobsFrom, RUN_FLAGS, runComparison } from './compare';

/** The repository root (the study's plan names its data relative to it). */
const ROOT = path.resolve(__dirname, '..', '..', '..');
/** The committed study the demo is a slice of (plan.json, results and contrasts). */
const STUDY_DIR = path.join(ROOT, DEMO_STUDY);
const DOSE_DIR = path.join(ROOT, DEMO_DOSE);

export const demoCommand: Command = {
  name: 'demo',
  summary: 'A 3-seed slice of the TPP study (BreastMNIST, LoRA, TPP on its own images and on HC18), offline, with a report',
  usage: 'demo [--full] [--out out/demo]',
  description: 'The settings are the committed study\'s (docs/results/study-2026-11-28/plan.json), restricted to the bundled data:\n' +
    'arms none / same (BreastMNIST) / same-modality (HC18), LoRA, 10 labels per class, seeds 0-2; each cell is a cell of the study, and\n' +
    'the demo prints the study\'s 10-seed verdicts beside its own. --full: both methods, 1/5/10 labels per class, 10 seeds (about an hour).',
  flags: [
    { name: 'full', type: 'boolean', help: 'the study\'s whole offline BreastMNIST slice (takes much longer)' },
    { name: 'out', type: 'string', value: 'DIR', help: 'output folder', default: 'out/demo' },
    // The demo's grid has a fixed, small size: the size limits of compare and study do not apply.
    ...RUN_FLAGS.filter((f) => !f.name.startsWith('max-')),
  ],
  async run({ flags }) {
    const full = !!flags.full;
    const out = path.resolve(String(flags.out) + (full && flags.out === 'out/demo' ? '-full' : ''));
    const plan = readStudyPlan(path.join(STUDY_DIR, 'plan.json'));
    const code = await runComparison(demoSettings(plan, { full, out, root: ROOT }), { json: !!flags.json, quiet: !!flags.quiet, jobs: jobsFrom(flags), recompute: !!flags.recompute });
    if (code !== 0) return code;
    const cells = (JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as { cells: CellResult[] }).cells;
    const lines = studyComparison(cells, STUDY_DIR, DOSE_DIR);
    // --json keeps stdout to one JSON line; the comparison goes to stderr then.
    for (const l of lines) (flags.json ? console.error : console.log)(l);
    return 0;
  },
};
