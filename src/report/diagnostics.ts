/**
 * `diagnostics.csv` of a study (see grid/diagnose.ts): one row per target, method, TPP arm and TPP seed, with
 * the `none` rows as the baseline. Written with danfojs like the study's other tables (NaN where a figure does not
 * apply, an empty `tpp_seed` for `none`).
 */
import { writeFileAtomic } from '../io/safetensors';
import type { DiagnosticRow } from '../grid/diagnose';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dfd = require('danfojs') as { DataFrame: new (rows: object[]) => object; toCSV: (df: object) => string };

/** Columns of diagnostics.csv, in order. */
export const DIAGNOSTIC_COLUMNS: readonly (keyof DiagnosticRow)[] = [
  'target', 'method', 'arm', 'tpp_seed', 'train_images', 'test_images', 'metric', 'linear', 'knn', 'linear_delta', 'knn_delta',
  'cka', 'mae_loss', 'mae_loss_delta', 'tpp_norm', 'tpp_update', 'ft_shift_mean', 'ft_shift_n',
];

/** Write `rows` to `file` atomically (a reader never sees half a table); returns the path. */
export async function writeDiagnosticsCsv(file: string, rows: readonly DiagnosticRow[]): Promise<string> {
  if (!rows.length) throw new Error('writeDiagnosticsCsv: no rows to write.');
  const ordered = rows.map((r) => Object.fromEntries(DIAGNOSTIC_COLUMNS.map((c) => [c, r[c]])));
  await writeFileAtomic(file, Buffer.from(dfd.toCSV(new dfd.DataFrame(ordered))));
  return file;
}
