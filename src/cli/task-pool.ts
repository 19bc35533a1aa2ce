/**
 * The process pool of `tpp-lab compare --jobs N`: the grid's tasks run as N child processes of this command
 * (`--task KEY`, one task each: TPP runs first, each cell once the TPP adapter it starts from exists), each running
 * `runGridTask` (src/grid/comparison.ts) on the same folder.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { type GridTask, taskLabel } from '../grid/comparison';
import { lockHolder } from '../io/run-folder';
import { UsageError } from './args';

/** The CLI's entry script, run by child processes. */
const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tpp-lab.js');

/**
 * Run `tasks` (TPP tasks before the cells that start from them) as up to `jobs` child processes writing into
 * `outDir`, whose lock this process holds. `onDone` is called once per finished task. A failed child stops new
 * launches; the error names the task and ends with the child's last lines of output.
 */
export async function runTaskProcesses(outDir: string, tasks: GridTask[], jobs: number, onDone: (t: GridTask, seconds: number) => void): Promise<void> {
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
            // The child's own hint about TPP_DEBUG would repeat the parent's; its last lines say what failed.
            const tail = output.trim().split('\n').filter((l) => !l.startsWith('(set TPP_DEBUG=1')).slice(-12).join('\n');
            failure = new Error(`compare: task ${taskLabel(task)} failed (${signal ?? `exit code ${code}`}); finished tasks are kept, rerun the same command to resume.\n${tail}`);
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

