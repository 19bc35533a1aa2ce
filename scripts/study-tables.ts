/**
 * The study's tables in the READMEs, from its committed CSVs (src/report/study-tables.ts).
 *
 *   node --import tsx scripts/study-tables.ts           check: exit 1 naming each stale block
 *   node --import tsx scripts/study-tables.ts --write   rewrite the blocks
 */
import * as fs from 'fs';
import * as path from 'path';
import { type CsvRow, fillBlocks, readCsvRows, segHeadsTable, segResultsTable, studyBlocks } from '../src/report/study-tables';

export const STUDY = path.resolve(__dirname, '..', 'docs', 'results', 'study-2026-11-28');
/** The segmentation results: one compare grid per target, and grids that differ only in the head under heads/. */
export const SEG = path.resolve(__dirname, '..', 'docs', 'results', 'seg-2026-11-29');
/** Files whose `<!-- study:NAME -->` and `<!-- seg:NAME -->` blocks hold the tables. */
export const FILES = [path.resolve(__dirname, '..', 'README.md'), path.join(STUDY, 'README.md'), path.resolve(__dirname, '..', 'docs', 'study.md'), path.join(SEG, 'README.md'), path.resolve(__dirname, '..', 'docs', 'segmentation.md')];

/** Tables of the segmentation results (the targets' summary.csv; the head grids' results.json with their wall times). */
function segBlocks(): Record<string, string> {
  const blocks: Record<string, string> = {};
  const targets = ['hc18', 'busi'].filter((t) => fs.existsSync(path.join(SEG, t, 'summary.csv')));
  if (targets.length) blocks.results = segResultsTable(targets.flatMap((t) => readCsvRows(path.join(SEG, t, 'summary.csv')).map((r) => ({ ...r, target: t }))));
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

function main(): number {
  const diagnostics = path.join(STUDY, 'diagnostics.csv');
  const blocks = studyBlocks(readCsvRows(path.join(STUDY, 'summary.csv')), readCsvRows(path.join(STUDY, 'contrasts.csv')), fs.existsSync(diagnostics) ? readCsvRows(diagnostics) : []);
  const seg = segBlocks();
  let stale = 0;
  for (const f of FILES) {
    if (!fs.existsSync(f)) continue;
    const text = fs.readFileSync(f, 'utf8');
    const filled = fillBlocks(fillBlocks(text, blocks), seg, 'seg');
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

if (require.main === module) process.exit(main());
