/**
 * `node --import tsx scripts/regime-predictor.ts [--out DIR] [--version N]`
 *
 * Fit the regime predictor of design N (src/regime/predictor.ts `PREDICTOR_DESIGNS`) on the measured Δs (contrasts,
 * question tpp-helps, against none) and the cheap numbers of the distance tables (scripts/regime-distances.ts),
 * validate it leave-one-target-out, and freeze it: `predictor-v<N>.json` and `loto-v<N>.csv` (every held-out
 * prediction) in --out. v1 was fitted on the study alone; v2 on every measured setting with its TPP dose (the study,
 * the knee, the dose and the mix grids: src/regime/open.ts `readRegimeSettings`). Refuses to overwrite a frozen version.
 */
import * as fs from 'fs';
import * as path from 'path';
import { type FrozenPredictor, fitRidge, leaveOneTargetOut, PREDICTOR_DESIGNS, type RegimeSetting, validate } from '../src/regime/predictor';
import { type MeasuredSetting, regimeSettings } from '../src/regime/settings';
import { LEFT_OUT_ARMS, readRegimeSettings } from '../src/regime/open';
import { contrastRows, readCsvRows } from '../src/report/study-tables';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
  const out = opt('--out', 'docs/results/regime-2026-12-06');
  const version = Number(opt('--version', '2'));
  const design = PREDICTOR_DESIGNS[version];
  if (!design) throw new Error(`--version ${version}: no such predictor design; known: ${Object.keys(PREDICTOR_DESIGNS).join(', ')} (src/regime/predictor.ts).`);
  const file = path.join(out, `predictor-v${version}.json`);
  if (fs.existsSync(file)) throw new Error(`${file} is frozen; add a design for version ${version + 1} to give a new predictor.`);
  const distances = readCsvRows(path.join(out, 'distances.csv'));
  const backbone = distances[0].backbone;
  const measured: MeasuredSetting[] = version === 1
    ? regimeSettings(contrastRows(readCsvRows('docs/results/study-2026-11-28/contrasts.csv')), distances)
    : await readRegimeSettings();
  // The fitted and frozen settings carry only what the predictor reads (no intervals or verdicts).
  const settings: RegimeSetting[] = measured.map(({ target, arm, method, budget, fdPool, fdBackbone, surprise, tppImages, tppEpochs, delta }) =>
    ({ target, arm, method, budget, fdPool, fdBackbone, surprise, ...(tppImages !== undefined ? { tppImages, tppEpochs } : {}), delta }));
  const metric = [...new Set(measured.map((r) => r.metric))].join('/');
  const preds = leaveOneTargetOut(settings, design);
  const validation = validate(preds);
  const frozen: FrozenPredictor = {
    format: 'tpp-lab/regime-predictor', version, frozen: new Date().toISOString().slice(0, 10), backbone, metric,
    model: fitRidge(settings, design), validation, training: settings,
  };
  fs.mkdirSync(out, { recursive: true });
  const loto = ['target,arm,method,budget,tpp_images,tpp_epochs,delta,predicted,trivial,outside', ...preds.map((p) => {
    const s = p.setting;
    return [s.target, s.arm, s.method, s.budget, s.tppImages ?? '', s.tppEpochs ?? '', s.delta, p.predicted, p.trivial, p.outside.join(' ')].join(',');
  })];
  fs.writeFileSync(path.join(out, `loto-v${version}.csv`), loto.join('\n') + '\n');
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(frozen, null, 1) + '\n');
  fs.renameSync(`${file}.tmp`, file);
  const f = (e: { value: number; low: number; high: number }) => `${e.value.toFixed(3)} [${e.low.toFixed(3)}, ${e.high.toFixed(3)}]`;
  if (version > 1) console.log(`left out: ${Object.entries(LEFT_OUT_ARMS).map(([a, why]) => `${a} (${why})`).join('; ')}`);
  console.log(`${settings.length} settings, targets ${validation.targets.join(', ')}; leave-one-target-out:`);
  const clamped = preds.filter((p) => p.outside.length);
  if (clamped.length) console.log(`  clamped held-out settings: ${clamped.length} (${[...new Set(clamped.map((p) => `${p.setting.target}: ${p.outside.join(' ')}`))].join('; ')})`);
  console.log(`  model:   Spearman ${f(validation.spearman)}, sign agreement ${f(validation.signAgreement)}, mean |error| ${f(validation.meanAbsError)}`);
  console.log(`  trivial: Spearman ${Number.isFinite(validation.trivial.spearman) ? validation.trivial.spearman.toFixed(3) : 'n/a'}, sign agreement ${f(validation.trivial.signAgreement)}, mean |error| ${f(validation.trivial.meanAbsError)}`);
  console.log(`  gain over trivial (|error| trivial − model): ${f(validation.gainOverTrivial)} → ${validation.verdict}`);
  console.log(`  interval ±${validation.intervalHalfWidth.toFixed(3)}; coefficients ${frozen.model.features.map((n, j) => `${n} ${frozen.model.coefficients[j].toFixed(4)}`).join(', ')}`);
  const perTarget = validation.targets.map((t) => {
    const xs = preds.filter((p) => p.setting.target === t);
    const mae = (f: (p: (typeof xs)[number]) => number) => (xs.reduce((a, p) => a + Math.abs(f(p) - p.setting.delta!), 0) / xs.length).toFixed(3);
    return `${t} (${xs.length}) ${mae((p) => p.predicted)} (trivial ${mae((p) => p.trivial)})`;
  });
  console.log(`  mean |error| per held-out target: ${perTarget.join('; ')}`);
  console.log(`wrote ${file}`);
}

main().catch((e) => {
  console.error((e as Error).stack ?? e);
  process.exitCode = 1;
});
