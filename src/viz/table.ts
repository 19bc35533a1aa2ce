/**
 * Tables as HTML: a danfojs `DataFrame` (or anything with `columns` and row `values`) or an array of records.
 * danfojs' own `.plot()` / `.print()` need a browser or a console; notebooks show this HTML instead.
 */
import { escapeHtml } from './images';

/** The part of a danfojs `DataFrame` that is read: column names and row-major values. */
export interface TableLike {
  columns: readonly string[];
  values: readonly (readonly unknown[])[] | readonly unknown[];
}

/** Options of `dataFrameHtml` / `tableHtml`. */
export interface TableOptions {
  /** Decimals for non-integer numbers (default 4; see `formatCell`). Integers get thousands separators. */
  digits?: number;
  /** A caption above the table. */
  caption?: string;
  /** Column names whose cells are left-aligned text even when numeric (default: text columns are left-aligned). */
  leftAlign?: readonly string[];
}

/**
 * One cell as text: integers with thousands separators, other numbers with `digits` decimals (non-zero values
 * smaller than 10^-digits in exponent form, so they do not print as 0), NaN and infinities as `–`, null and
 * undefined as an empty cell, anything else through `String`.
 */
export function formatCell(v: unknown, digits = 4): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    if (!Number.isFinite(v)) return '–';
    return v !== 0 && Math.abs(v) < 10 ** -digits ? v.toExponential(2) : v.toFixed(digits);
  }
  if (v === null || v === undefined) return '';
  return String(v);
}

/** An HTML `<table>` of a danfojs DataFrame (or any `TableLike`). Cells are HTML-escaped. */
export function dataFrameHtml(df: TableLike, options: TableOptions = {}): string {
  const digits = options.digits ?? 4;
  const cols = [...df.columns];
  const rows = (df.values as unknown[]).map((r) => (Array.isArray(r) ? r : [r]));
  const numeric = cols.map((_, j) => rows.every((r) => typeof r[j] === 'number') && !(options.leftAlign ?? []).includes(cols[j]));
  const th = 'style="border:1px solid #ccc;padding:3px 8px;background:#f4f4f4"';
  const td = (j: number) => `style="border:1px solid #ccc;padding:3px 8px;text-align:${numeric[j] ? 'right' : 'left'}"`;
  const head = `<tr>${cols.map((c) => `<th ${th}>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${cols.map((_, j) => `<td ${td(j)}>${escapeHtml(formatCell(r[j], digits))}</td>`).join('')}</tr>`).join('\n');
  const caption = options.caption ? `<caption style="caption-side:top;text-align:left;font-weight:600;padding:4px 0">${escapeHtml(options.caption)}</caption>` : '';
  return `<table class="tpp-table" style="border-collapse:collapse;font:13px system-ui,sans-serif">${caption}\n${head}\n${body}\n</table>`;
}

/** An HTML table of records (columns: the keys of the first record, in order). */
export function tableHtml(rows: readonly Record<string, unknown>[], options: TableOptions = {}): string {
  const columns = rows.length > 0 ? Object.keys(rows[0]) : [];
  return dataFrameHtml({ columns, values: rows.map((r) => columns.map((c) => r[c])) }, options);
}
