/**
 * The body of `POST /v1/runs`, checked field by field into a {@link RunRequest}: every mistake is a
 * 400 that names the field, before anything runs. Unknown fields are refused too, so that a typo
 * (`limit` for `limits`) is not a run without the limit its caller meant.
 */
import { RlmError } from '../errors.ts';
import { refuseUnpricedCostLimit } from '../models/prices.ts';
import type { ContextValue } from '../sandboxes/index.ts';
import { schemaCheck, type JsonSchema } from '../schema/index.ts';
import type { ModelCatalog, RequestLimits } from './catalog.ts';
import { badParameter } from './http-error.ts';
import type { RunRequest } from './server-run.ts';

const FIELDS = new Set(['model', 'query', 'context', 'limits', 'schema']);

/** The request's limits by their names on the wire, and what each becomes. */
const LIMITS = {
  max_cost_usd: { key: 'maxCostUsd', integer: false, scale: 1 },
  max_calls: { key: 'maxCalls', integer: true, scale: 1 },
  max_tokens: { key: 'maxTokens', integer: true, scale: 1 },
  timeout_seconds: { key: 'timeoutMs', integer: false, scale: 1000 },
} as const satisfies Record<string, { key: keyof RequestLimits; integer: boolean; scale: number }>;

/**
 * Checks a parsed JSON body and makes the run's request: its model from the catalog (404 for one
 * the server does not answer to), its limits within the server's caps.
 */
export function parseRunRequest(body: unknown, catalog: ModelCatalog, origin: RunRequest['origin'] = 'runs'): RunRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badParameter('body', 'the body must be a JSON object: { "query": "...", "context": "..." }');
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) throw badParameter(unknown, `unknown field "${unknown}"; a run takes ${[...FIELDS].join(', ')}`);

  if (fields.model !== undefined && (typeof fields.model !== 'string' || fields.model === ''))
    throw badParameter('model', 'model must be a model id such as "rlm" (GET /v1/models lists them)');
  const model = catalog.resolve((fields.model as string | undefined) ?? 'rlm');

  if (typeof fields.query !== 'string' || fields.query.trim() === '')
    throw badParameter('query', 'query is required: the question to answer, as a non-empty string');

  let context: RunRequest['context'];
  if (model.corpus) {
    if (fields.context !== undefined)
      throw badParameter('context', `the model ${model.id} answers over its own corpus: leave context out, or pick the model "rlm"`);
    context = model.corpus;
  } else {
    context = contextOf(fields.context, model.id);
  }

  const limits = limitsOf(fields.limits);
  const options = catalog.optionsFor(model, limits);
  // A model named '' is a queued server's "the workers' own": its price is known where it runs, and checked there.
  if (limits.maxCostUsd !== undefined && options.model.id !== '') {
    // The run would refuse it as it starts; refused here, the client learns which field to change.
    try {
      refuseUnpricedCostLimit([options.model.id, ...(options.subModel ? [options.subModel.id] : [])], options.prices);
    } catch (error) {
      if (RlmError.isInstance(error)) throw badParameter('limits.max_cost_usd', error.message);
      throw error;
    }
  }

  return {
    query: fields.query,
    context,
    options,
    ...(fields.schema === undefined ? {} : { schema: schemaOf(fields.schema) }),
    model: model.id,
    origin,
  };
}

function contextOf(value: unknown, modelId: string): ContextValue {
  if (value === undefined || value === null)
    throw badParameter('context', `context is required for the model ${modelId}: a string or any JSON value (or pick a corpus model)`);
  if (typeof value === 'string' && value === '') throw badParameter('context', 'context is empty');
  // Whatever JSON.parse made is JSON data; only its size is left to the body cap.
  return value as ContextValue;
}

function limitsOf(value: unknown): RequestLimits {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badParameter('limits', `limits must be an object with any of ${Object.keys(LIMITS).join(', ')}`);
  const limits: RequestLimits = {};
  for (const [name, asked] of Object.entries(value)) {
    const limit = LIMITS[name as keyof typeof LIMITS] as (typeof LIMITS)[keyof typeof LIMITS] | undefined;
    if (!limit) throw badParameter(`limits.${name}`, `unknown limit "${name}"; the limits are ${Object.keys(LIMITS).join(', ')}`);
    if (typeof asked !== 'number' || !Number.isFinite(asked) || asked <= 0 || (limit.integer && !Number.isInteger(asked)))
      throw badParameter(`limits.${name}`, `limits.${name} must be a positive ${limit.integer ? 'whole number' : 'number'}`);
    limits[limit.key] = asked * limit.scale;
  }
  return limits;
}

/** A JSON Schema, compiled once here so that a malformed one is this request's 400, not the run's error. */
function schemaOf(value: unknown): JsonSchema {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badParameter('schema', 'schema must be a JSON Schema object');
  try {
    schemaCheck(value as JsonSchema);
  } catch (error) {
    if (RlmError.isInstance(error)) throw badParameter('schema', error.message);
    throw error;
  }
  return value as JsonSchema;
}
