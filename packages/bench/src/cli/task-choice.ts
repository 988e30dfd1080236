/** Which task instances a bench command makes: families, sizes, instances a size, seed, code base. */
import { resolve } from 'node:path';
import {
  codeBaseTokens,
  generateTask,
  OWN_PACKAGE_ROOT,
  TASK_FAMILIES,
  type TaskFamily,
  type TaskInstance,
  type TaskOptions,
} from '../tasks/index.ts';
import { usageError, wholeNumber, type Flags } from 'rlm/cli-kit';
import { tokens } from './token-flag.ts';

export interface TaskChoice {
  families: TaskFamily[];
  sizes: number[];
  instances: number;
  seed: number;
  options: TaskOptions;
}

/** The flags that choose tasks, shared by `run` and `export`. */
export const TASK_OPTIONS = {
  tasks: { type: 'string', value: '<list>', help: `families, comma-separated: ${TASK_FAMILIES.join(', ')} (default: all)` },
  sizes: { type: 'string', value: '<list>', default: '8k,32k,131k', help: 'target sizes in tokens, e.g. 8k,32k,131k,1m' },
  instances: { type: 'string', short: 'n', value: '<n>', default: '5', help: 'instances per family and size' },
  seed: { type: 'string', value: '<n>', default: '1', help: 'the seed; the same seed gives the same tasks' },
  code: {
    type: 'string',
    value: '<dir>',
    help: "codeqa: the package tree to ask about, any folder of JavaScript or\nTypeScript (default: rlm's own package folder); a tree smaller than\na size is given whole",
  },
} as const satisfies Flags;

export function taskChoice(values: {
  tasks?: string | undefined;
  sizes: string;
  instances: string;
  seed: string;
  code?: string | undefined;
}): TaskChoice {
  const families = (values.tasks ?? TASK_FAMILIES.join(',')).split(',').map((name) => name.trim());
  for (const family of families) {
    if (!(TASK_FAMILIES as readonly string[]).includes(family))
      throw usageError(`--tasks: unknown task '${family}' (tasks: ${TASK_FAMILIES.join(', ')})`);
  }
  const choice: TaskChoice = {
    families: families as TaskFamily[],
    sizes: values.sizes.split(',').map((size) => tokens('--sizes', size)!),
    instances: wholeNumber('--instances', values.instances, 1)!,
    seed: wholeNumber('--seed', values.seed, 0)!,
    options: values.code === undefined ? {} : { codeRoot: resolve(values.code) },
  };
  // A code base that cannot be read or asked about is a usage error now, not midway.
  if (choice.families.includes('codeqa')) taskOf(choice, 'codeqa', choice.sizes[0]!, 0);
  return choice;
}

/** How many instances the choice makes. */
export function instanceCount(choice: TaskChoice): number {
  return choice.families.length * choice.sizes.length * choice.instances;
}

/** Every instance, made one at a time when asked for (a 10M-token one is about 40 MB). */
export function* instancesOf(choice: TaskChoice): Generator<TaskInstance> {
  for (const family of choice.families)
    for (const size of choice.sizes) for (let index = 0; index < choice.instances; index++) yield taskOf(choice, family, size, index);
}

/** Each instance's context in tokens, for the estimate: a codeqa context is at most its whole code base. */
export function contextSizes(choice: TaskChoice): number[] {
  const codeTokens = choice.families.includes('codeqa') ? codeBaseTokens(choice.options.codeRoot ?? OWN_PACKAGE_ROOT) : Infinity;
  return choice.families.flatMap((family) =>
    choice.sizes.flatMap((size) => Array<number>(choice.instances).fill(family === 'codeqa' ? Math.min(size, codeTokens) : size)),
  );
}

/** One instance; a code base the questions cannot be asked of is the user's input to fix. */
function taskOf(choice: TaskChoice, family: TaskFamily, size: number, index: number): TaskInstance {
  try {
    return generateTask(family, size, index, choice.seed, choice.options);
  } catch (error) {
    if (family !== 'codeqa') throw error;
    throw usageError(`--code: ${(error as Error).message.split('\n')[0]}`);
  }
}
