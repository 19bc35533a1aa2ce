/** `tpp-lab predict`: will TPP help this data? The frozen regime predictor on a target's cheap numbers, in seconds. */
import * as path from 'path';
import { signed } from '../../analysis/paired';
import { predictData, readPredictor, PREDICT_TPP_IMAGES } from '../../regime/open';
import { STUDY_DOSE } from '../../regime/predictor';
import { UsageError } from '../args';
import { Command } from '../command';
import { notePrinter, SPLIT_SEED_FLAG, startBackend } from '../train-shared';

export const command: Command = {
  name: 'predict',
  summary: 'Will TPP help this data? A predicted Δ (TPP − none) from cheap numbers of the frozen backbone, before any TPP run',
  usage: 'predict --data <flag|file.npz|pool|DIR> [--pool DATA ...] [--backbone NAME] [--convert] [--json]',
  description:
    'Computes, with the backbone alone (seconds to a minute): its MAE loss on the data, the Fréchet distance of the data\'s\n' +
    'features from the backbone\'s pre-training pool (the statistics it ships), and from each TPP pool: the data\'s own\n' +
    `training images (${PREDICT_TPP_IMAGES}, as the study's TPP saw, and all of them when there are more) and each --pool (at most\n` +
    `${PREDICT_TPP_IMAGES}), each for ${STUDY_DOSE.epochs} TPP epochs. The frozen predictor turns them into a predicted Δ per method and label budget,\n` +
    'with an interval from its leave-one-target-out errors, the nearest measured settings and its validation figures; a\n' +
    'number outside the range it was fitted on is clamped into it and named. Read the validation line first: it says\n' +
    'whether the predictor beats "always the mean".',
  flags: [
    { name: 'data', type: 'string', value: 'DATA', help: 'the target: a MedMNIST flag, an .npz, a pool, a segmentation pack or a DICOM folder' },
    { name: 'pool', type: 'string', value: 'DATA', help: 'other TPP pools to predict for (pool names or .npz files, separated by commas)' },
    { name: 'backbone', type: 'string', value: 'NAME', help: 'the backbone (default: the one the predictor was fitted on)' },
    { name: 'predictor', type: 'string', value: 'FILE', help: 'a frozen predictor (default: the shipped one)' },
    { name: 'convert', type: 'boolean', help: 'resize images and convert channels to fit the backbone' },
    { name: 'limit', type: 'int', value: 'N', help: 'use at most N training images', min: 1 },
    SPLIT_SEED_FLAG,
    { name: 'json', type: 'boolean', help: 'print one JSON object' },
    { name: 'quiet', type: 'boolean', help: 'no notes' },
  ],
  async run({ flags }) {
    if (!flags.data) throw new UsageError('--data is required (e.g. --data breastmnist).');
    const predictor = flags.predictor === undefined ? readPredictor() : readPredictor(path.resolve(String(flags.predictor)));
    const backbone = String(flags.backbone ?? predictor.backbone);
    if (backbone !== predictor.backbone) throw new UsageError(`--backbone ${backbone}: the predictor (v${predictor.version}) was fitted on settings of the ${predictor.backbone} backbone; its numbers mean nothing for another. Leave --backbone out.`);
    const quiet = !!flags.quiet;
    const backend = await startBackend(quiet);
    const pools = String(flags.pool ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    const r = await predictData(String(flags.data), {
      pools, predictor, convert: !!flags.convert, splitSeed: Number(flags['split-seed'] ?? 0), limit: flags.limit as number | undefined,
      onNote: notePrinter(quiet),
    });
    const v = predictor.validation;
    const est = (e: { value: number; low: number; high: number }) => `${e.value.toFixed(3)} [${e.low.toFixed(3)}, ${e.high.toFixed(3)}]`;
    if (flags.json) {
      const { predictor: _p, ...rest } = r;
      console.log(JSON.stringify({ ...rest, predictor: `v${predictor.version} (${predictor.frozen})`, metric: predictor.metric, validation: v, backend }));
      return 0;
    }
    console.log(`${r.data}: ${r.trainImages} training images; backbone ${backbone}; predictor v${predictor.version} (frozen ${predictor.frozen}, fitted on ${predictor.training.length} settings of ${v.targets.join(', ')})`);
    console.log(`\nValidation, leave one target out: ${v.verdict} (mean |error| ${est(v.meanAbsError)} against the trivial predictor's ${est(v.trivial.meanAbsError)}; Spearman ${est(v.spearman)}; sign agreement ${est(v.signAgreement)}).`);
    if (v.verdict !== 'beats the trivial predictor') console.log('Read every prediction below as "we cannot tell": this predictor does not beat always predicting the mean Δ.');
    console.log(`\nCheap numbers (${r.seconds.toFixed(1)} s): MAE loss on the data ${r.surprise.toFixed(3)} (on the backbone's own held-out images ${r.poolSurprise.toFixed(3)}); Fréchet distance from the backbone's pre-training pool ${r.fdBackbone.toFixed(2)}`);
    for (const p of r.pools) console.log(`  TPP pool ${p.name}: ${p.images} images x ${STUDY_DOSE.epochs} epochs, Fréchet distance to the data ${p.fdPool.toFixed(2)}`);
    const budgets = [...new Set(r.rows.map((x) => x.budget))];
    const half = v.intervalHalfWidth;
    console.log(`\nPredicted Δ ${predictor.metric} (TPP − none), each ± ${half.toFixed(3)} (90% of the held-out errors):`);
    console.log(`pool | method | ${budgets.map((b) => `${b}/class`).join(' | ')}`);
    for (const pool of r.pools) {
      for (const method of [...new Set(r.rows.map((x) => x.method))]) {
        const cells = budgets.map((b) => r.rows.find((x) => x.pool === pool.name && x.method === method && x.budget === b)!);
        console.log(`${pool.name} | ${method} | ${cells.map((c) => `${signed(c.delta, 3)}${c.outside.length ? '*' : ''}`).join(' | ')}`);
      }
    }
    const clamped = r.pools.map((p) => [p.name, [...new Set(r.rows.filter((x) => x.pool === p.name).flatMap((x) => x.outside))]] as const).filter(([, f]) => f.length);
    if (clamped.length) {
      console.log(`* outside the range the predictor was fitted on, so clamped into it (the prediction is that of the nearest fitted value): ${clamped.map(([p, f]) => `${p}: ${f.join(', ')}`).join('; ')}`);
    }
    console.log('\nNearest measured settings, per pool (what the study measured there):');
    for (const pool of r.pools) {
      const row = r.rows.find((x) => x.pool === pool.name)!;
      console.log(`  ${pool.name}: ${row.nearest.map((s) => `${s.target} + TPP on ${s.arm}, ${s.method}, ${s.budget}/class: ${signed(s.delta ?? NaN, 3)}`).join('; ')}`);
    }
    return 0;
  },
};
