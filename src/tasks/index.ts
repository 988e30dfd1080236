/** The benchmark task families, by name. */
import { generateBrowseComp } from './browsecomp.ts';
import { generateOolong } from './oolong.ts';
import { generateOolongPairs } from './oolong-pairs.ts';
import { generateSniah } from './sniah.ts';
import type { TaskFamily, TaskInstance } from './task.ts';

export const TASK_FAMILIES: readonly TaskFamily[] = ['sniah', 'oolong', 'oolong-pairs', 'browsecomp'];

// codeqa is being added.
const GENERATORS: Record<Exclude<TaskFamily, 'codeqa'>, (targetTokens: number, index: number, seed: number) => TaskInstance> = {
  sniah: generateSniah,
  oolong: generateOolong,
  'oolong-pairs': generateOolongPairs,
  browsecomp: generateBrowseComp,
};

/** Instance `index` of a family at a size, the same for the same seed. */
export function generateTask(family: TaskFamily, targetTokens: number, index: number, seed: number): TaskInstance {
  return GENERATORS[family as Exclude<TaskFamily, 'codeqa'>](targetTokens, index, seed);
}

export { scoreAnswer, normalize, numericScore, pairsF1, exactScore, parsePairs } from './scoring.ts';
export { parseTokens, formatTokens, type TaskFamily, type TaskInstance, type ScoreKind } from './task.ts';
