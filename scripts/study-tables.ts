/**
 * The study's tables in the READMEs, from its committed CSVs (src/report/study-tables.ts).
 *
 *   node --import tsx scripts/study-tables.ts           check: exit 1 naming each stale block
 *   node --import tsx scripts/study-tables.ts --write   rewrite the blocks
 */
import * as fs from 'fs';
import * as path from 'path';
import { fillBlocks, readCsvRows, studyBlocks } from '../src/report/study-tables';

export const STUDY = path.resolve(__dirname, '..', 'docs', 'results', 'study-2026-11-28');
/** Files whose `<!-- study:NAME -->` blocks hold the study's tables. */
export const FILES = [path.resolve(__dirname, '..', 'README.md'), path.join(STUDY, 'README.md'), path.resolve(__dirname, '..', 'docs', 'study.md')];

function main(): number {
  const diagnostics = path.join(STUDY, 'diagnostics.csv');
  const blocks = studyBlocks(readCsvRows(path.join(STUDY, 'summary.csv')), readCsvRows(path.join(STUDY, 'contrasts.csv')), fs.existsSync(diagnostics) ? readCsvRows(diagnostics) : []);
  let stale = 0;
  for (const f of FILES) {
    const text = fs.readFileSync(f, 'utf8');
    const filled = fillBlocks(text, blocks);
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
