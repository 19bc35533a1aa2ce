/**
 * `node --import tsx scripts/regime-predictor.ts [--study DIR] [--out DIR] [--version N]`
 *
 * Fit the regime predictor (src/regime/predictor.ts) on a study's measured Δs (its contrasts.csv, question
 * tpp-helps) and the cheap numbers of distances.csv (scripts/regime-distances.ts), validate it leave-one-target-out,
 * and freeze it: `predictor-v<N>.json` and `loto-v<N>.csv` (every held-out prediction) in --out. Refuses to overwrite
 * a frozen version.
 */
import * as fs from 'fs';
import * as path from 'path';
import { type FrozenPredictor, fitRidge, leaveOneTargetOut, validate } from '../src/regime/predictor';
import { regimeSettings } from '../src/regime/settings';
import { contrastRows, readCsvRows } from '../src/report/study-tables';

function main(): void {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
  const study = opt('--study', 'docs/results/study-2026-11-28');
  const out = opt('--out', 'docs/results/regime-2026-12-06');
  const version = Number(opt('--version', '1'));
  const file = path.join(out, `predictor-v${version}.json`);
  if (fs.existsSync(file)) throw new Error(`${file} is frozen; give --version ${version + 1} for a new predictor.`);
  const distances = readCsvRows(path.join(out, 'distances.csv'));
  const backbone = distances[0].backbone;
  const contrasts = contrastRows(readCsvRows(path.join(study, 'contrasts.csv')));
  // The fitted and frozen settings carry only what the predictor reads (no intervals or verdicts).
  const settings = regimeSettings(contrasts, distances).map(({ target, arm, method, budget, fdPool, fdBackbone, surprise, delta }) => ({ target, arm, method, budget, fdPool, fdBackbone, surprise, delta }));
  const metric = [...new Set(contrasts.map((r) => r.metric))].join('/');
  const preds = leaveOneTargetOut(settings);
  const validation = validate(preds);
  const frozen: FrozenPredictor = {
    format: 'tpp-lab/regime-predictor', version, frozen: new Date().toISOString().slice(0, 10), backbone, metric,
    model: fitRidge(settings), validation, training: settings,
  };
  fs.mkdirSync(out, { recursive: true });
  const loto = ['target,arm,method,budget,delta,predicted,trivial', ...preds.map((p) => [p.setting.target, p.setting.arm, p.setting.method, p.setting.budget, p.setting.delta, p.predicted, p.trivial].join(','))];
  fs.writeFileSync(path.join(out, `loto-v${version}.csv`), loto.join('\n') + '\n');
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(frozen, null, 1) + '\n');
  fs.renameSync(`${file}.tmp`, file);
  const f = (e: { value: number; low: number; high: number }) => `${e.value.toFixed(3)} [${e.low.toFixed(3)}, ${e.high.toFixed(3)}]`;
  console.log(`${settings.length} settings, targets ${validation.targets.join(', ')}; leave-one-target-out:`);
  console.log(`  model:   Spearman ${f(validation.spearman)}, sign agreement ${f(validation.signAgreement)}, mean |error| ${f(validation.meanAbsError)}`);
  console.log(`  trivial: Spearman ${Number.isFinite(validation.trivial.spearman) ? validation.trivial.spearman.toFixed(3) : 'n/a'}, sign agreement ${f(validation.trivial.signAgreement)}, mean |error| ${f(validation.trivial.meanAbsError)}`);
  console.log(`  gain over trivial (|error| trivial − model): ${f(validation.gainOverTrivial)} → ${validation.verdict}`);
  console.log(`  interval ±${validation.intervalHalfWidth.toFixed(3)}; coefficients ${frozen.model.features.map((n, j) => `${n} ${frozen.model.coefficients[j].toFixed(4)}`).join(', ')}`);
  console.log(`wrote ${file}`);
}

main();
