/**
 * The shape of a `tpp-lab` command. Each command lives in `src/cli/commands/<name>.ts`, declares its flags,
 * and runs the same library functions the notebooks call; `src/cli/main.ts` lists them.
 */
import { FlagSpec, ParsedArgs } from './args';

export interface Command {
  /** The word after `tpp-lab`, e.g. `info`; a sub-command is written `data inspect`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage line(s) after `tpp-lab`, e.g. `info [--json]`. */
  usage: string;
  /** Longer help printed under the usage, optional. */
  description?: string;
  flags: readonly FlagSpec[];
  /**
   * Commands that write a run into `--out` name the files a run leaves there: main.ts then holds the folder's
   * lock for the run and refuses to overwrite an earlier run's files without `--resume` or `--force`
   * (src/io/run-folder.ts).
   */
  runFolder?: { outputs: readonly string[] };
  /** How many positional arguments it takes at most (default 0). */
  maxPositionals?: number;
  /** Runs the command and returns the process exit code. Throw `UsageError` for bad input (exit 2). */
  run(args: ParsedArgs): Promise<number>;
}
