/** A study plan read from its file (Node; a web page reads the text its own way and calls `parseStudyPlan`). */
import { readTextFile } from '../io/folder-store';
import { nodeGridSources } from '../io/grid-sources';
import type { GridLimits } from './size';
import { parseStudyPlan, type StudyPlan } from './study-plan';

/** Read and check a plan file, its targets' data told apart by their files (see `parseStudyPlan`). */
export function readStudyPlan(file: string, limits?: Partial<GridLimits>): StudyPlan {
  return parseStudyPlan(readTextFile(file, 'study plan', 'Give the path of a JSON plan (an example: docs/results/study-2026-11-28/plan.json; the format: docs/study.md).'), file, nodeGridSources, limits);
}
