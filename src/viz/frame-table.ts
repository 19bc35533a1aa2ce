/**
 * Tables for notebooks: rows → a danfojs `DataFrame`, and a `DataFrame` → an HTML table (danfojs draws tables
 * only in a browser; in Node it prints text). Numbers are formatted with a fixed number of digits.
 */

/** The part of a danfojs DataFrame this module reads. */
export interface FrameLike {
  columns: string[];
  values: unknown[][];
}

// danfojs ships no type declarations we rely on.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dfd = () => require('danfojs') as { DataFrame: new (rows: object[]) => FrameLike };

/** A danfojs DataFrame from plain row objects (columns in the first row's key order). */
export function dataFrame(rows: readonly object[]): FrameLike {
  if (rows.length === 0) throw new Error('dataFrame: no rows; pass at least one row object.');
  return new (dfd().DataFrame)([...rows]);
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** Format one cell: numbers with `digits` significant decimals (integers as they are), the rest as text. */
export function formatCell(v: unknown, digits = 3): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    if (!Number.isFinite(v)) return '–';
    return Math.abs(v) !== 0 && Math.abs(v) < 10 ** -digits ? v.toExponential(2) : v.toFixed(digits);
  }
  return v === null || v === undefined ? '' : String(v);
}

/** An HTML table of a DataFrame (header = columns), numbers right-aligned. */
export function frameHtml(df: FrameLike, digits = 3): string {
  const head = df.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = df.values.map((row) => `<tr>${row.map((v) => `<td style="text-align:${typeof v === 'number' ? 'right' : 'left'}">${esc(formatCell(v, digits))}</td>`).join('')}</tr>`).join('');
  return `<table class="tpp-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
