/**
 * How `tpp-lab compare` spreads a grid over processes: `--jobs N` runs its tasks as N child processes of this
 * command (`--task KEY`, one task each: TPP runs first, each cell once the TPP adapter it starts from exists),
 * `--shard I/N` runs one share of the grid (compare-plan.ts partitions it), `--merge` joins shard folders.
 *
 * The folder's `grid.json` carries what children and merges need: the command's settings, the run settings and
 * their fingerprint, the grid's axes, every cell's key and fingerprint in grid order, and the shard's share.
 * tpp-lab schedules nothing beyond one machine: on a cluster, the cluster's engine runs the shards (docs/grids.md).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/safetensors';
import { acquireRunFolder, lockHolder } from '../io/run-folder';
import { budgetLabel, type CellTask, type ComparePlan, type TppTask } from '../train/compare-plan';
import { type CellResult, cellResult, readCell, type StoredCell } from '../train/compare';
import { describeDiff, settingsDiff } from '../train/settings-fingerprint';
import { type ReportSettings, writeCompareReport } from '../report/compare-report';
import { UsageError } from './args';

/** The CLI's entry script, run by child processes. */
const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tpp-lab.js');

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
  report: ReportSettings;
  sizes: { name: string; target: number; percent: number }[];
}

/** Write `dir/grid.json`. */
export async function writeGridFile(dir: string, g: GridFile): Promise<void> {
  await writeFileAtomic(path.join(dir, 'grid.json'), Buffer.from(JSON.stringify(g, null, 1)));
}

/** Read `dir/grid.json`, or explain what is missing. */
export function readGridFile(dir: string): GridFile {
  const file = path.join(dir, 'grid.json');
  if (!fs.existsSync(file)) throw new UsageError(`${dir} has no grid.json: is it the --out folder of a \`tpp-lab compare\` run?`);
  const g = JSON.parse(fs.readFileSync(file, 'utf8')) as GridFile;
  if (g.format !== GRID_FORMAT) throw new UsageError(`${file} is not a compare grid file (format ${JSON.stringify(g.format)}).`);
  return g;
}

/** A task's label in progress output. */
export function taskLabel(t: TppTask | CellTask): string {
  return t.kind === 'tpp' ? `tpp ${t.method.name} / ${t.arm} / seed ${t.seed}` : `${t.method.name} / ${t.arm} / ${budgetLabel(t.budget)} / seed ${t.seed}`;
}

/**
 * Run `tasks` (TPP tasks before the cells that start from them) as up to `jobs` child processes writing into
 * `outDir`, whose lock this process holds. `onDone` is called once per finished task. A failed child stops new
 * launches; the error names the task and ends with the child's last lines of output.
 */
export async function runTaskProcesses(outDir: string, tasks: (TppTask | CellTask)[], jobs: number, onDone: (t: TppTask | CellTask, seconds: number) => void): Promise<void> {
  const waiting = [...tasks];
  const pendingTpp = new Set(tasks.filter((t) => t.kind === 'tpp').map((t) => t.key));
  let running = 0;
  let failure: Error | null = null;
  await new Promise<void>((resolve) => {
    const launch = () => {
      while (!failure && running < jobs) {
        const i = waiting.findIndex((t) => t.kind === 'tpp' || !t.tpp || !pendingTpp.has(t.tpp));
        if (i < 0) break;
        const task = waiting.splice(i, 1)[0];
        running++;
        const t0 = Date.now();
        const child = spawn(process.execPath, [BIN, 'compare', '--task', task.key, '--out', outDir, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: process.env });
        let output = '';
        const keep = (b: Buffer) => {
          output = (output + b.toString('utf8')).slice(-4000);
        };
        child.stdout!.on('data', keep);
        child.stderr!.on('data', keep);
        child.on('close', (code, signal) => {
          running--;
          if (code === 0) {
            if (task.kind === 'tpp') pendingTpp.delete(task.key);
            onDone(task, (Date.now() - t0) / 1000);
          } else if (!failure) {
            failure = new Error(`compare: task ${taskLabel(task)} failed (${signal ?? `exit code ${code}`}); finished tasks are kept, rerun the same command to resume.\n${output.trim().split('\n').slice(-12).join('\n')}`);
          }
          launch();
        });
      }
      if (running === 0) resolve();
    };
    launch();
  });
  if (failure) throw failure;
}

/**
 * Check that this process is a `--task` child of the run holding `outDir` (its parent holds the lock), and stop
 * it when the parent goes away.
 */
export function enterTaskChild(outDir: string): void {
  const holder = lockHolder(outDir);
  if (!holder || holder.pid !== process.ppid) {
    throw new UsageError('--task runs one task for a parent `tpp-lab compare --jobs N` that holds the --out folder; run `tpp-lab compare` without --task.');
  }
  if (process.channel) {
    // The channel to the parent must not keep this process alive; its closing (the parent died) stops the task.
    process.channel.unref();
    process.on('disconnect', () => process.exit(130));
  }
}

/**
 * Join shard folders (`tpp-lab compare --shard I/N` outputs) into `outDir`: checks that every shard ran the same
 * grid with the same settings (refusing, with what differs), that the shards are 1..N of N each once and that
 * each holds its cells; then copies the cells and writes grid.json and the report. Returns the report's files.
 */
export async function mergeShards(dirs: string[], outDir: string, command: string, notes: (line: string) => void): Promise<{ files: Record<string, string>; cells: CellResult[] }> {
  if (!dirs.length) throw new UsageError('--merge needs the shard folders, e.g. --merge runs/grid/shard-* --out runs/grid/all.');
  const grids = dirs.map((d) => ({ dir: path.resolve(d), g: readGridFile(path.resolve(d)) }));
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
  for (const { dir, g } of grids) {
    const expected = new Map(g.cells.map((c) => [c.key, c.fingerprint]));
    for (const key of g.owned) {
      const file = path.join(dir, 'cells', `${key}.json`);
      if (!fs.existsSync(file)) throw new Error(`compare --merge: ${dir} lacks cell ${key}: that shard has not finished; rerun it (it resumes), then merge.`);
      const cell = readCell(file);
      if (cell.fingerprint !== expected.get(key)) throw new Error(`compare --merge: cell ${file} was made with other settings than its shard's grid.json records; rerun that shard.`);
      stored.set(key, cell);
    }
  }
  const folder = acquireRunFolder(outDir, command);
  try {
    for (const n of folder.notes) notes(n);
    fs.mkdirSync(path.join(outDir, 'cells'), { recursive: true });
    const ordered = first.g.cells.map((c) => stored.get(c.key)!);
    for (const [key, cell] of stored) await writeFileAtomic(path.join(outDir, 'cells', `${key}.json`), Buffer.from(JSON.stringify(cell, null, 1)));
    await writeGridFile(outDir, { ...first.g, command, shard: null, owned: first.g.cells.map((c) => c.key) });
    const cells = ordered.map(cellResult);
    const files = await writeCompareReport(outDir, cells, { ...first.g.report, merged: grids.map((x) => x.dir).join(', ') }, first.g.sizes, {
      command, runs: { [first.g.runFingerprint]: first.g.runSettings }, cellCommands: ordered.map((c) => c.command),
    });
    return { files, cells };
  } finally {
    folder.release();
  }
}
