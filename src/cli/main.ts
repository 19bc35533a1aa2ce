/**
 * `tpp-lab`: the command-line face of the library. Each command is a thin wrapper over the functions the
 * notebooks call. Exit codes: 0 success, 1 failure while running, 2 bad usage (unknown command or flag).
 */
import { explainWasmError } from '../kernels/wasm';
import * as path from 'path';
import { acquireRunFolder, guardPreviousRun, RunFolderError } from '../io/run-folder';
import { CorruptResultError, SettingsChangedError } from '../grid/plan';
import { GridSizeError } from '../grid/size';
import { formatFlags, parseArgs, type ParsedArgs, UsageError } from './args';
import { Command } from './command';
import { command as info } from './commands/info';
import { command as dataInspect } from './commands/data-inspect';
import { command as dataDownload } from './commands/data-download';
import { command as dataPoolBuild } from './commands/data-pool-build';
import { command as dicom } from './commands/dicom';
import { command as pretrain } from './commands/pretrain';
import { command as tpp } from './commands/tpp';
import { command as finetune } from './commands/finetune';
import { command as compare } from './commands/compare';
import { demoCommand as demo } from './commands/demo';
import { command as bench } from './commands/bench';
import { command as probe } from './commands/probe';
import { command as study } from './commands/study';
import { command as diagnose } from './commands/diagnose';
import { command as predict } from './commands/predict';

/** Every command, in the order `tpp-lab --help` lists them. */
export const COMMANDS: readonly Command[] = [info, dataInspect, dataDownload, dataPoolBuild, dicom, pretrain, tpp, finetune, probe, predict, compare, study, diagnose, demo, bench];

export function commandHelp(cmd: Command): string {
  const lines = [`Usage: tpp-lab ${cmd.usage}`, '', cmd.summary];
  if (cmd.description) lines.push('', cmd.description);
  lines.push('', 'Options:', formatFlags(cmd.flags));
  return lines.join('\n');
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return [
    'Usage: tpp-lab <command> [options]',
    '',
    'Target Parameter Pre-training and PEFT for vision transformers on medical images.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run `tpp-lab <command> --help` for its options. Set TPP_BACKEND=webgpu|wasm|cpu|node|node-gpu to force a backend.',
  ].join('\n');
}

/** Run `cmd`, holding its `--out` folder for the run when it declares `runFolder`. */
async function withRunFolder(cmd: Command, args: ParsedArgs): Promise<number> {
  if (!cmd.runFolder || !args.flags.out) return cmd.run(args);
  const out = path.resolve(String(args.flags.out));
  const folder = acquireRunFolder(out, ['tpp-lab', ...process.argv.slice(2)].join(' '));
  try {
    for (const n of folder.notes) console.error(`note: ${n}`);
    const removed = guardPreviousRun(out, cmd.runFolder.outputs, { resume: !!args.flags.resume, force: !!args.flags.force });
    if (removed) console.error(`note: ${removed}`);
    return await cmd.run(args);
  } finally {
    folder.release();
  }
}

/** Find the command named by the first one, two or three words (`data inspect`, `data pool build`). */
function findCommand(argv: readonly string[]): { cmd: Command; rest: string[] } | null {
  for (const words of [3, 2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const cmd = COMMANDS.find((c) => c.name === name);
    if (cmd && argv.length >= words) return { cmd, rest: argv.slice(words) };
  }
  return null;
}

/** Run the CLI on `argv` (without `node` and the script) and return the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(mainHelp());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version') {
    console.log(require('../../package.json').version);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    const hint = group.length
      ? `"${argv[0]}" needs a sub-command: ${group.map((c) => c.name).join(', ')}.`
      : `Unknown command "${argv[0]}". Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`;
    console.error(`tpp-lab: ${hint}\nRun \`tpp-lab --help\` for usage.`);
    return 2;
  }
  const { cmd, rest } = found;
  try {
    const args = parseArgs(rest, cmd.flags, cmd.maxPositionals ?? 0);
    if (args.flags.help) {
      console.log(commandHelp(cmd));
      return 0;
    }
    return await withRunFolder(cmd, args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`tpp-lab ${cmd.name}: ${e.message}\nUsage: tpp-lab ${cmd.usage}  (see --help)`);
      return 2;
    }
    if (e instanceof RunFolderError || e instanceof SettingsChangedError || e instanceof CorruptResultError || e instanceof GridSizeError) {
      // A refusal to overwrite, mix or trust results, or to start an absurd grid: the user chooses (another --out,
      // --resume, --force, --recompute, a smaller grid or a higher limit).
      console.error(`tpp-lab ${cmd.name}: ${e.message}`);
      return 2;
    }
    throw explainWasmError(e);
  }
}
