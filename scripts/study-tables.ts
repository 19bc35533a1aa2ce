/**
 * The study's, the segmentation grid's and the regime map's tables in the READMEs, from their committed files
 * (src/report/study-tables.ts, src/regime/tables.ts).
 *
 *   node --import tsx scripts/study-tables.ts           check: exit 1 naming each stale block
 *   node --import tsx scripts/study-tables.ts --write   rewrite the blocks
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadSegData } from '../src/io/sources/seg-source';
import { emptyMaskBaseline } from '../src/train/seg-objective';
import { readArmDoses, readGridCells, readPredictor } from '../src/regime/open';
import { regimeSettings } from '../src/regime/settings';
import { meanDelta } from '../src/regime/predictor';
import { capacityRows, capacityTable, distanceTable, doseTable, KNEE_POOL_OF_ARM, type PredictedRow, prospectiveTable, validationTable } from '../src/regime/tables';
import { readStudyPlan } from '../src/grid/study-plan-file';
import { contrastRows, type CsvRow, fillBlocks, readCsvRows, segHeadsTable, segResultsTable, segTimesTable, studyBlocks } from '../src/report/study-tables';

export const STUDY = path.resolve(__dirname, '..', 'docs', 'results', 'study-2026-11-28');
/** The segmentation results: one compare grid per target, and grids that differ only in the head under heads/. */
export const SEG = path.resolve(__dirname, '..', 'docs', 'results', 'seg-2026-11-29');
/** The regime map: distances, the frozen predictors, the knee's prospective test, the dose and mix grids. */
export const REGIME = path.resolve(__dirname, '..', 'docs', 'results', 'regime-2026-12-06');
/** Files whose `<!-- study:NAME -->`, `<!-- seg:NAME -->` and `<!-- regime:NAME -->` blocks hold the tables. */
export const FILES = [
  path.resolve(__dirname, '..', 'README.md'), path.join(STUDY, 'README.md'), path.resolve(__dirname, '..', 'docs', 'study.md'), path.join(SEG, 'README.md'),
  path.resolve(__dirname, '..', 'docs', 'segmentation.md'), path.join(REGIME, 'README.md'),
];

/** Tables of the regime map, from its committed files. */
async function regimeBlocks(): Promise<Record<string, string>> {
  const versions = [1, 2].map((n) => ({
    predictor: readPredictor(path.join(REGIME, `predictor-v${n}.json`)),
    heldOut: readCsvRows(path.join(REGIME, `loto-v${n}.csv`)).map((r) => ({ target: r.target, predicted: Number(r.predicted), trivial: Number(r.trivial), delta: Number(r.delta) })),
  }));
  // The knee tested v1 prospectively: its table is v1's.
  const predictor = versions[0].predictor;
  const knee = path.join(REGIME, 'knee', 'contrasts.csv');
  const measured = fs.existsSync(knee) ? regimeSettings(contrastRows(readCsvRows(knee)), readCsvRows(path.join(REGIME, 'knee-distances.csv'))) : [];
  // The settings the knee grid measures (its plan's methods and budgets) out of everything the predictor covers.
  const plan = readStudyPlan(path.join(REGIME, 'knee-plan.json'));
  const predicted = (JSON.parse(fs.readFileSync(path.join(REGIME, 'knee-prediction-v1.json'), 'utf8')).rows as PredictedRow[])
    .filter((r) => plan.methods.includes(r.method) && plan.budgets.includes(r.budget));
  const blocks: Record<string, string> = {
    distances: distanceTable([...readCsvRows(path.join(REGIME, 'distances.csv')), ...readCsvRows(path.join(REGIME, 'knee-distances.csv'))]),
    validation: validationTable(versions),
    knee: prospectiveTable(predicted, measured, KNEE_POOL_OF_ARM, meanDelta(predictor.training)),
  };
  for (const piece of ['dose', 'mix']) {
    const file = path.join(REGIME, piece, 'contrasts.csv');
    if (fs.existsSync(file)) blocks[piece] = doseTable(readCsvRows(file), await readArmDoses(path.join(REGIME, piece)));
  }
  const capacity = path.join(REGIME, 'capacity');
  const larger = readGridCells(capacity);
  if (larger.length) blocks.capacity = capacityTable(capacityRows(larger, [...readGridCells(STUDY), ...readGridCells(path.join(REGIME, 'dose'))], await readArmDoses(capacity)), { larger: 'imagenet28-small7', base: 'imagenet28' });
  return blocks;
}

/** Tables of the segmentation results (the targets' summary.csv; the head grids' results.json with their wall times). */
async function segBlocks(): Promise<Record<string, string>> {
  const blocks: Record<string, string> = { empty: await emptyBaselines() };
  const targets = ['hc18', 'busi'].filter((t) => fs.existsSync(path.join(SEG, t, 'summary.csv')));
  if (targets.length) blocks.results = segResultsTable(targets.flatMap((t) => readCsvRows(path.join(SEG, t, 'summary.csv')).map((r) => ({ ...r, target: t }))));
  const timed = targets.filter((t) => fs.existsSync(path.join(SEG, t, 'results.json')));
  if (timed.length) blocks.times = segTimesTable(Object.fromEntries(timed.map((t) => [t, JSON.parse(fs.readFileSync(path.join(SEG, t, 'results.json'), 'utf8')).cells])));
  const heads = path.join(SEG, 'heads');
  if (fs.existsSync(heads)) {
    const cells = fs.readdirSync(heads).sort().flatMap((d) => {
      const file = path.join(heads, d, 'results.json');
      if (!fs.existsSync(file)) return [];
      const [target, head] = d.split('-');
      return (JSON.parse(fs.readFileSync(file, 'utf8')).cells as Record<string, unknown>[]).map((c) => ({ ...Object.fromEntries(Object.entries(c).map(([k, v]) => [k, String(v)])), target, head }) as CsvRow);
    });
    blocks.heads = segHeadsTable(cells);
  }
  return blocks;
}

/**
 * What predicting an empty mask everywhere scores on each bundled target's test split (Dice 1 on an image whose
 * reference mask is empty, 0 elsewhere): the floor a segmentation result must clear (BUSI has normal images).
 */
async function emptyBaselines(): Promise<string> {
  const lines = ['| target | test images | with an empty reference mask | mean Dice of an all-empty prediction |', '| --- | --- | --- | --- |'];
  for (const [name, file] of [['hc18', 'data/hc18_64.npz'], ['busi', 'data/busi_64.npz']]) {
    const { test } = await loadSegData(path.resolve(__dirname, '..', file));
    const e = emptyMaskBaseline(test);
    lines.push(`| ${name} | ${e.n} | ${Math.round(e.dice * e.n)} | ${e.dice.toFixed(3)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const diagnostics = path.join(STUDY, 'diagnostics.csv');
  const blocks = studyBlocks(readCsvRows(path.join(STUDY, 'summary.csv')), readCsvRows(path.join(STUDY, 'contrasts.csv')), fs.existsSync(diagnostics) ? readCsvRows(diagnostics) : []);
  const seg = await segBlocks();
  const regime = await regimeBlocks();
  let stale = 0;
  for (const f of FILES) {
    if (!fs.existsSync(f)) continue;
    const text = fs.readFileSync(f, 'utf8');
    const filled = fillBlocks(fillBlocks(fillBlocks(text, blocks), seg, 'seg'), regime, 'regime');
    if (filled === text) continue;
    if (process.argv.includes('--write')) {
      fs.writeFileSync(f, filled);
      console.log(`updated ${path.relative(process.cwd(), f)}`);
    } else {
      console.error(`${path.relative(process.cwd(), f)}: its study tables differ from ${path.relative(process.cwd(), STUDY)}/*.csv; run node --import tsx scripts/study-tables.ts --write`);
      stale++;
    }
  }
  return stale ? 1 : 0;
}

if (require.main === module) main().then((code) => process.exit(code));
