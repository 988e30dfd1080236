/**
 * A bench run as a job for another machine: one task instance, one method, and the setup as
 * JSON (model ids rather than models, since the key and the endpoint live on the worker). Every
 * field is checked where the job is read: a job written by hand, or by another version of the
 * bench, is refused in one line rather than run with settings it did not mean.
 */
import { RlmError, type PriceTable } from 'rlm';
import { METHODS, type MethodName, type MethodSetup } from '../benchmark/methods.ts';
import { TASK_FAMILIES } from '../tasks/index.ts';
import { SCORE_KINDS, type TaskInstance } from '../tasks/task.ts';

/** The shape of the jobs this version writes; a worker refuses any other. */
export const BENCH_JOB_VERSION = 1;

/** What a bench run needs besides its models, with the models named by id. */
export interface BenchJobSetup {
  model: string;
  subModel: string;
  repl: 'javascript' | 'python';
  windowTokens?: number;
  retrieval?: { chunkTokens?: number; topK?: number };
  limits?: { maxCostUsd?: number; timeoutMs?: number; maxCalls?: number };
  /** The submitting side's prices: the bench's cost limit was set against them. */
  prices?: PriceTable;
}

/** One instance through one method, as JSON. */
export interface BenchJob {
  version: typeof BENCH_JOB_VERSION;
  method: MethodName;
  task: TaskInstance;
  setup: BenchJobSetup;
}

/** The job for `method` on `task` with `setup`'s models (by id) and settings. */
export function benchJob(method: MethodName, task: TaskInstance, setup: MethodSetup): BenchJob {
  return {
    version: BENCH_JOB_VERSION,
    method,
    task,
    setup: {
      model: setup.model.id,
      subModel: (setup.subModel ?? setup.model).id,
      repl: setup.repl ?? 'javascript',
      ...(setup.windowTokens === undefined ? {} : { windowTokens: setup.windowTokens }),
      ...(setup.retrieval ? { retrieval: setup.retrieval } : {}),
      ...(setup.limits ? { limits: setup.limits } : {}),
      ...(setup.prices ? { prices: setup.prices } : {}),
    },
  };
}

/** The job in `data`, every field checked; anything else is one RLM_USAGE error saying what is wrong. */
export function parseBenchJob(data: unknown): BenchJob {
  const job = record(data, 'the job');
  if (job.version !== BENCH_JOB_VERSION)
    refuse(`its version is ${JSON.stringify(job.version)}, not ${BENCH_JOB_VERSION} (is the worker's rlm-bench another version?)`);
  const method = oneOf(job.method, METHODS, 'method');
  const task = parseTask(job.task);
  const setup = parseSetup(job.setup);
  return { version: BENCH_JOB_VERSION, method, task, setup };
}

function parseTask(value: unknown): TaskInstance {
  const task = record(value, 'task');
  const options = task.options;
  if (options !== undefined && !(Array.isArray(options) && options.every((o) => typeof o === 'string')))
    refuse('task.options must be a list of strings');
  return {
    id: text(task.id, 'task.id'),
    family: oneOf(task.family, TASK_FAMILIES, 'task.family'),
    targetTokens: count(task.targetTokens, 'task.targetTokens'),
    seed: count(task.seed, 'task.seed'),
    query: text(task.query, 'task.query'),
    context: text(task.context, 'task.context'),
    answer: text(task.answer, 'task.answer'),
    score: oneOf(task.score, SCORE_KINDS, 'task.score'),
    ...(options === undefined ? {} : { options: options as string[] }),
  };
}

function parseSetup(value: unknown): BenchJobSetup {
  const setup = record(value, 'setup');
  const retrieval = optionalNumbers(setup.retrieval, 'setup.retrieval', ['chunkTokens', 'topK']);
  const limits = optionalNumbers(setup.limits, 'setup.limits', ['maxCostUsd', 'timeoutMs', 'maxCalls']);
  const prices = setup.prices === undefined ? undefined : parsePrices(setup.prices);
  return {
    model: text(setup.model, 'setup.model'),
    subModel: text(setup.subModel, 'setup.subModel'),
    repl: oneOf(setup.repl, ['javascript', 'python'] as const, 'setup.repl'),
    ...(setup.windowTokens === undefined ? {} : { windowTokens: count(setup.windowTokens, 'setup.windowTokens') }),
    ...(retrieval ? { retrieval } : {}),
    ...(limits ? { limits } : {}),
    ...(prices ? { prices } : {}),
  };
}

function parsePrices(value: unknown): PriceTable {
  const table = record(value, 'setup.prices');
  for (const [model, price] of Object.entries(table)) {
    const fields = record(price, `setup.prices["${model}"]`);
    for (const key of ['input', 'cachedInput', 'output'])
      if (typeof fields[key] !== 'number' || !Number.isFinite(fields[key]))
        refuse(`setup.prices["${model}"].${key} must be a number of USD per million tokens`);
  }
  return table as PriceTable;
}

/** An object of optional finite numbers under `keys`, or undefined when absent. */
function optionalNumbers<K extends string>(value: unknown, name: string, keys: readonly K[]): Partial<Record<K, number>> | undefined {
  if (value === undefined) return undefined;
  const fields = record(value, name);
  const out: Partial<Record<K, number>> = {};
  for (const key of keys) {
    const field = fields[key];
    if (field === undefined) continue;
    if (typeof field !== 'number' || !Number.isFinite(field) || field < 0) refuse(`${name}.${key} must be a number of at least 0`);
    out[key] = field;
  }
  return out;
}

function record(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(`${name} must be an object`);
  return value as Record<string, unknown>;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string') refuse(`${name} must be a string`);
  return value as string;
}

function count(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) refuse(`${name} must be a whole number of at least 0`);
  return value as number;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value as T)) refuse(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value) ?? 'nothing'}`);
  return value as T;
}

function refuse(why: string): never {
  throw new RlmError('RLM_USAGE', `not a bench job: ${why}`);
}
