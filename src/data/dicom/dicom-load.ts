/**
 * What a DICOM folder's load used and left out, and how it is said: the part of the folder reader
 * (src/io/dicom-dataset.ts, Node: files) that needs no files, so the data opener checks a load in a web page too.
 */

/** A file that could not be used, and why. */
export interface DicomFailure {
  file: string;
  /** `DicomError` code (`unsupported-transfer-syntax`, `truncated`, ...) or `error`. */
  code: string;
  reason: string;
}

/** What a folder load used and left out (`DicomLoadResult` without the datasets). */
export interface DicomLoadSummary {
  /** Labelled, readable files in the dataset. */
  used: number;
  failures: DicomFailure[];
  missing: string[];
  unlabeled: string[];
}

/** Whether nothing was left out: no failed file, no CSV row without a file, no file without a row. */
export function dicomLoadIsClean(s: DicomLoadSummary): boolean {
  return s.failures.length === 0 && s.missing.length === 0 && s.unlabeled.length === 0;
}

/**
 * The load summary as text for the CLI (the library never prints): one line of counts, then one line per kind
 * of left-out file naming up to 5 of them (failures with their reason).
 */
export function formatDicomLoad(folder: string, s: DicomLoadSummary): string {
  const some = (list: string[]) => list.slice(0, 5).join(', ') + (list.length > 5 ? `, ... (${list.length - 5} more)` : '');
  const lines = [`${folder}: ${s.used} used, ${s.failures.length} failed, ${s.missing.length} missing, ${s.unlabeled.length} unlabelled`];
  if (s.failures.length) lines.push(`  failed (${summarizeFailures(s.failures).replace(/^\d+ files? failed: /, '')}): ${s.failures.slice(0, 5).map((f) => `${f.file}: ${f.reason}`).join('; ')}${s.failures.length > 5 ? `; ... (${s.failures.length - 5} more)` : ''}`);
  if (s.missing.length) lines.push(`  missing (CSV rows without a readable file): ${some(s.missing)}`);
  if (s.unlabeled.length) lines.push(`  unlabelled (files without a CSV row, not used): ${some(s.unlabeled)}`);
  return lines.join('\n');
}

/** One line per failure reason: `3 files failed: 2 unsupported-transfer-syntax, 1 truncated`. */
export function summarizeFailures(failures: readonly DicomFailure[]): string {
  if (failures.length === 0) return '0 files failed';
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
  const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([c, k]) => `${k} ${c}`);
  return `${failures.length} file${failures.length === 1 ? '' : 's'} failed: ${parts.join(', ')}`;
}
