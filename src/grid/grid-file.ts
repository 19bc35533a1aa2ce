/**
 * A grid's `grid.json` and the joining of shards. `grid.json` carries what child processes and merges need: the
 * grid's settings, the run settings and their fingerprint, the grid's axes, every cell's key and fingerprint in grid
 * order, and the shard's share. tpp-lab schedules nothing beyond one machine: on a cluster, the cluster's engine runs
 * the shards (docs/grids.md) and `mergeShards` joins their folders.
 */
import { CorruptRecordError, explainWriteFailure, type GridStore } from '../io/store';
import { describeDiff, settingsDiff } from '../train/settings-fingerprint';
import { budgetLabel, type CellTask, type ComparePlan, CorruptResultError, type TppTask } from './plan';
import { readCell } from './run';
import { type CellResult, cellResult, type StoredCell } from './types';

/** Format of `grid.json`. */
export const GRID_FORMAT = 'tpp-lab/compare-grid';

/** What `grid.json` holds. */
export interface GridFile {
  format: typeof GRID_FORMAT;
  command: string;
  /** The command's resolved settings (CompareSettings), from which a child rebuilds the grid. */
  settings: Record<string, unknown>;
  runFingerprint: string;
  runSettings: Record<string, unknown>;
  axes: ComparePlan['axes'];
  /** Every cell of the grid, in grid order. */
  cells: { key: string; fingerprint: string }[];
  shard: { index: number; count: number } | null;
  /** Keys of the cells this folder computes (all of them without a shard). */
  owned: string[];
  /** What the report says about the grid (report/compare-report.ts). */
  report: Record<string, string | number | boolean | null>;
  sizes: { name: string; target: number; percent: number }[];
}

/** Write the store's `grid.json`. */
export async function writeGridFile(store: GridStore, g: GridFile): Promise<void> {
  await store.writeJson('grid.json', g);
}

/** Read the store's `grid.json`, or explain what is missing or cannot be read. */
export function readGridFile(store: GridStore): GridFile {
  let g: GridFile | null;
  try {
    g = store.readJson<GridFile>('grid.json');
  } catch (e) {
    // Every run of the grid's command writes grid.json afresh (keeping the finished cells), so that is the fix.
    if (e instanceof CorruptRecordError) throw new CorruptResultError(`${e.message}: rerun the grid's command, which writes it again and keeps the finished cells.`, e);
    throw e;
  }
  if (!g) throw new Error(`${store.root} has no grid.json: is it the --out folder of a \`tpp-lab compare\` run?`);
  if (g.format !== GRID_FORMAT) throw new Error(`${store.root}/grid.json is not a compare grid file (format ${JSON.stringify(g.format)}).`);
  return g;
}

/** A task's label in progress output. */
export function taskLabel(t: TppTask | CellTask): string {
  return t.kind === 'tpp' ? `tpp ${t.method.name} / ${t.arm} / seed ${t.seed}` : `${t.method.name} / ${t.arm} / ${budgetLabel(t.budget)} / seed ${t.seed}`;
}

/** Shards joined: the merged grid file (as written into the output store), its cells in grid order, the shards' names. */
export interface MergedShards {
  grid: GridFile;
  stored: StoredCell[];
  cells: CellResult[];
  shards: string[];
}

/**
 * Join shards (the stores of `tpp-lab compare --shard I/N` runs, with their names for messages) into `out`: checks
 * that every shard ran the same grid with the same settings (refusing, with what differs), that the shards are 1..N
 * of N each once and that each holds its cells; then copies the cells and writes grid.json. The caller writes the
 * report (report/compare-report.ts) from what it returns.
 */
export async function mergeShards(shards: GridStore[], out: GridStore, command: string): Promise<MergedShards> {
  try {
    return await mergeInto(shards, out, command);
  } catch (e) {
    throw mergeWriteFailure(e);
  }
}

/** A failed write while merging (a full disk): the file, that the shards are untouched, and to merge again. */
export function mergeWriteFailure(e: unknown): unknown {
  return explainWriteFailure(e, 'the shard folders are untouched', 'run the merge again');
}

/** A shard's file that cannot be read, said with the shard folder, the file and the fix; other errors as they are. */
function shardFileError(e: unknown, dir: string, file: string, fix: string): unknown {
  const record = e instanceof CorruptRecordError ? e : e instanceof CorruptResultError ? e.record : undefined;
  if (!record) return e;
  return new CorruptResultError(`the shard folder ${dir} holds a corrupt ${file} (not JSON: ${record.reason}); ${fix}, then merge again.`, record);
}

/** `mergeShards` without its explanation of failed writes. */
async function mergeInto(shards: GridStore[], out: GridStore, command: string): Promise<MergedShards> {
  if (!shards.length) throw new Error('--merge needs the shard folders, e.g. --merge runs/grid/shard-* --out runs/grid/all.');
  const grids = shards.map((store) => {
    try {
      return { dir: store.root, store, g: readGridFile(store) };
    } catch (e) {
      throw shardFileError(e, store.root, 'grid.json', 'rerun that shard\'s command (it writes grid.json again and keeps its finished cells)');
    }
  });
  const first = grids[0];
  for (const { dir, g } of grids.slice(1)) {
    const diff = settingsDiff({ run: first.g.runSettings, grid: first.g.axes }, { run: g.runSettings, grid: g.axes });
    if (diff.length || g.runFingerprint !== first.g.runFingerprint) {
      throw new Error(`compare --merge: ${dir} ran other settings than ${first.dir} (${describeDiff(diff.length ? diff : ['settings fingerprint differs'])}); merge only shards of one command.`);
    }
  }
  const count = first.g.shard?.count ?? 1;
  const seen = new Map<number, string>();
  for (const { dir, g } of grids) {
    if (!g.shard) throw new Error(`compare --merge: ${dir} is not a shard (it ran without --shard); its results are complete already.`);
    if (g.shard.count !== count) throw new Error(`compare --merge: ${dir} is shard ${g.shard.index + 1}/${g.shard.count}, ${first.dir} is one of ${count}; merge shards of one partition.`);
    if (seen.has(g.shard.index)) throw new Error(`compare --merge: shard ${g.shard.index + 1}/${count} is given twice (${seen.get(g.shard.index)} and ${dir}).`);
    seen.set(g.shard.index, dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw new Error(`compare --merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i + 1}/${count}`).join(', ')} missing; pass every shard's folder.`);
  const stored = new Map<string, StoredCell>();
  for (const { dir, store, g } of grids) {
    const expected = new Map(g.cells.map((c) => [c.key, c.fingerprint]));
    for (const key of g.owned) {
      const file = `cells/${key}.json`;
      if (!store.exists(file)) throw new Error(`compare --merge: ${dir} lacks cell ${key}: that shard has not finished; rerun it (it resumes), then merge.`);
      let cell: StoredCell;
      try {
        cell = readCell(store, file);
      } catch (e) {
        throw shardFileError(e, dir, file, 'rerun that shard\'s command with --recompute (it redoes only what cannot be read)');
      }
      if (cell.fingerprint !== expected.get(key)) throw new Error(`compare --merge: cell ${dir}/${file} was made with other settings than its shard's grid.json records; rerun that shard.`);
      stored.set(key, cell);
    }
  }
  const ordered = first.g.cells.map((c) => stored.get(c.key)!);
  for (const [key, cell] of stored) await out.writeJson(`cells/${key}.json`, cell);
  const grid: GridFile = { ...first.g, command, shard: null, owned: first.g.cells.map((c) => c.key) };
  await writeGridFile(out, grid);
  return { grid, stored: ordered, cells: ordered.map(cellResult), shards: grids.map((x) => x.dir) };
}
