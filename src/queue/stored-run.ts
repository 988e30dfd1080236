/**
 * A run as it travels through Redis: JSON only. The server that takes the request decides what
 * the run is — the question, the context, the answer's shape, the models by name, the settings
 * and the limits within its caps. The worker that runs it decides how to reach the provider:
 * its own keys, endpoint and prices, and its own caps, which can only lower the limits. A corpus
 * travels by how it was made (its sources and the hash of its documents' list), as a trace keeps
 * it: the worker reads the same files, from a shared folder, and refuses them if they changed.
 */
import type { BudgetLimits } from '../budget.ts';
import { RlmError } from '../errors.ts';
import { isCorpus } from '../inputs/is-corpus.ts';
import type { RLMOptions } from '../rlm.ts';
import type { JsonSchema } from '../schema/index.ts';
import { documentsHash, type TraceContext } from '../trace/jsonl.ts';
import type { RunRequest } from '../server/server-run.ts';

/** The settings of a run that a worker takes as they are (the rest of RLMOptions is the worker's). */
const SETTINGS = [
  'repl',
  'maxIterations',
  'maxDepth',
  'maxOutputChars',
  'cellTimeoutMs',
  'memoryLimitMb',
  'concurrency',
  'maxConcurrentChildren',
  'compactAt',
  'contextWindow',
  'maxOutputTokens',
  'systemPrompt',
] as const satisfies ReadonlyArray<keyof RLMOptions>;

export type StoredSettings = Partial<Pick<RLMOptions, (typeof SETTINGS)[number]>>;

/** A run's request as JSON, kept in its record in Redis. */
export interface StoredRun {
  query: string;
  /** The context as a trace's header keeps it: inline, or a corpus by its sources and documents' hash. */
  context: TraceContext;
  schema?: JsonSchema;
  /** The model the client picked (`rlm`, `rlm/docs`), shown with the run. */
  model: string;
  origin: RunRequest['origin'];
  /** The root and sub-model by name; unset: the worker's own. */
  models: { root?: string; sub?: string };
  settings: StoredSettings;
  limits: BudgetLimits;
}

/** The request of a server's run as JSON; a request that cannot travel (a schema made of code) is refused. */
export function storeRun(request: RunRequest): StoredRun {
  const { options, context, schema } = request;
  if (schema !== undefined && (typeof schema !== 'object' || schema === null || '~standard' in schema))
    throw new RlmError('RLM_USAGE', 'a run on the queue takes a JSON Schema for its answer, not a schema object of code');
  const settings: StoredSettings = {};
  for (const name of SETTINGS) if (options[name] !== undefined) (settings as Record<string, unknown>)[name] = options[name];
  const root = options.model.id;
  const sub = options.subModel?.id;
  return {
    query: request.query,
    context: isCorpus(context) ? { corpus: context.origin, documents: documentsHash(context) } : { inline: context },
    ...(schema === undefined ? {} : { schema: schema as JsonSchema }),
    model: request.model,
    origin: request.origin,
    models: { ...(root ? { root } : {}), ...(sub ? { sub } : {}) },
    settings,
    limits: { ...options.limits },
  };
}

/** A stored run read back from Redis, checked: a record damaged or written by hand is one clear error. */
export function readStoredRun(json: string | null | undefined, id: string): StoredRun {
  let value: unknown;
  try {
    value = JSON.parse(json ?? '');
  } catch {
    throw new RlmError('RLM_INPUT', `the queue's record of ${id} is missing or not JSON`);
  }
  const run = value as Partial<StoredRun> | null;
  const wrong =
    typeof run !== 'object' || run === null
      ? 'record'
      : typeof run.query !== 'string'
        ? 'query'
        : typeof run.context !== 'object' || run.context === null
          ? 'context'
          : typeof run.models !== 'object' || run.models === null
            ? 'models'
            : typeof run.settings !== 'object' || run.settings === null
              ? 'settings'
              : typeof run.limits !== 'object' || run.limits === null
                ? 'limits'
                : undefined;
  if (wrong) throw new RlmError('RLM_INPUT', `the queue's record of ${id} is damaged: its ${wrong} is not what rlm writes`);
  return run as StoredRun;
}

/** Each limit the lower of the run's and the worker's cap. */
export function lowerLimits(asked: BudgetLimits, caps: BudgetLimits): BudgetLimits {
  const limits: BudgetLimits = {};
  for (const key of ['maxCostUsd', 'maxCalls', 'maxTokens', 'timeoutMs'] as const) {
    const a = asked[key];
    const c = caps[key];
    const value = a === undefined ? c : c === undefined ? a : Math.min(a, c);
    if (value !== undefined) limits[key] = value;
  }
  return limits;
}
