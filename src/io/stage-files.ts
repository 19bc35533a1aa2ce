/**
 * A stage's output folder on disk: the training checkpoint after each epoch and the stage's files at the end.
 * The stages (src/train) take their paths from here and save through src/io, so their own code imports no Node
 * built-in; a web page gives them no folder (`outDir` left out) until it has a store of its own.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Paths in a stage's output folder. */
export interface StageFiles {
  /** The training state, written after each epoch; `resume` reads it. */
  checkpoint: string;
  /** The path of `name` in the folder. */
  file(name: string): string;
}

/** The output folder `outDir`, created when missing; undefined when the stage writes nothing. */
export function stageFiles(outDir: string | undefined): StageFiles | undefined {
  if (!outDir) return undefined;
  fs.mkdirSync(outDir, { recursive: true });
  return { checkpoint: path.join(outDir, 'checkpoint.safetensors'), file: (name) => path.join(outDir, name) };
}

/** Whether `file` exists (a checkpoint to resume from). */
export function fileExists(file: string): boolean {
  return fs.existsSync(file);
}
