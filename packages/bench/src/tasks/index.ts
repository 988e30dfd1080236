/** The benchmark task families, by name. */
import { fileURLToPath } from 'node:url';
import { generateBrowseComp } from './browsecomp.ts';
import { generateCodeQa } from './codeqa.ts';
import { generateOolong } from './oolong.ts';
import { generateOolongPairs } from './oolong-pairs.ts';
import { generateSniah } from './sniah.ts';
import type { TaskFamily, TaskInstance } from './task.ts';

/** The task families, as `--tasks` names them. */
export const TASK_FAMILIES: readonly TaskFamily[] = ['sniah', 'oolong', 'oolong-pairs', 'browsecomp', 'codeqa'];

/** What shapes a family's instances besides its size, index and seed. */
export interface TaskOptions {
  /**
   * `codeqa`: the package tree the questions are about (any folder of JavaScript or TypeScript
   * sources). Default: rlm's own package folder.
   */
  codeRoot?: string;
}

/**
 * rlm's own package folder: the core package that this one plugs into, found where `import 'rlm'`
 * finds it (its entry point is one level down, in `src/` in a checkout or `dist/` when installed).
 */
export const OWN_PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.resolve('rlm')));

type Generator = (targetTokens: number, index: number, seed: number, options: TaskOptions) => TaskInstance;

const GENERATORS: Record<TaskFamily, Generator> = {
  sniah: generateSniah,
  oolong: generateOolong,
  'oolong-pairs': generateOolongPairs,
  browsecomp: generateBrowseComp,
  codeqa: (targetTokens, index, seed, options) =>
    generateCodeQa(targetTokens, index, seed, { codeRoot: options.codeRoot ?? OWN_PACKAGE_ROOT }),
};

/** Instance `index` of a family at a size, the same for the same seed (and, for `codeqa`, the same code). */
export function generateTask(
  family: TaskFamily,
  targetTokens: number,
  index: number,
  seed: number,
  options: TaskOptions = {},
): TaskInstance {
  return GENERATORS[family](targetTokens, index, seed, options);
}

export { scoreAnswer, normalize, numericScore, pairsF1, exactScore, parsePairs, pickedChoice } from './scoring.ts';
export { parseTokens, formatTokens, type TaskFamily, type TaskInstance, type ScoreKind } from './task.ts';
export { CODEQA_QUESTIONS, codeBaseTokens, type CodeQuestion } from './codeqa.ts';
