/**
 * A Chat Completions request body, checked: what the server takes from it, and a 400 naming the
 * parameter for what it cannot honour. OpenAI's sampling parameters (temperature, top_p,
 * max_tokens...) are accepted and ignored, as OpenAI-compatible servers do: they are about one
 * model's reply, and an RLM's answer is many calls. `max_tokens` in particular is not taken as a
 * limit on the run, which would be another meaning for it; the run's limits have a field of
 * their own, `rlm`, each lowered to the server's cap:
 *
 * `"rlm": { "max_cost_usd": 0.5, "max_calls": 200, "max_tokens": 2000000, "timeout_seconds": 300 }`
 *
 * What cannot be honoured is refused rather than half done: several choices (`n` > 1) and the
 * caller's `tools`. `response_format` is honoured: `json_schema` is the RLM's answer schema (the
 * model is shown it, and its answer checked against it), `json_object` asks for any JSON object.
 */
import { RlmError } from '../errors.ts';
import type { JsonSchema } from '../schema/index.ts';
import type { RequestLimits } from './catalog.ts';
import { badParameter } from './http-error.ts';

export interface ChatRequest {
  model: string;
  /** As sent: {@link chatRun} reads them. */
  messages: unknown;
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with the usage. */
  includeUsage: boolean;
  limits: RequestLimits;
  schema: JsonSchema | undefined;
}

/** The run's limits a request may set in `rlm`, by their wire names. */
const LIMITS = {
  max_cost_usd: { key: 'maxCostUsd', whole: false, scale: 1 },
  max_calls: { key: 'maxCalls', whole: true, scale: 1 },
  max_tokens: { key: 'maxTokens', whole: true, scale: 1 },
  timeout_seconds: { key: 'timeoutMs', whole: false, scale: 1000 },
} as const;

export async function readChatRequest(body: unknown): Promise<ChatRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badParameter('body', 'the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model.trim() === '')
    throw badParameter('model', 'model must be a non-empty string: rlm, or rlm/<name>');
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean')
    throw badParameter('stream', 'stream must be true or false');
  if (b.n !== undefined && b.n !== null && b.n !== 1) throw badParameter('n', 'n must be 1: a run gives one answer');
  for (const param of ['tools', 'functions'] as const) {
    const value = b[param];
    if (Array.isArray(value) && value.length > 0)
      throw badParameter(param, `${param} are not supported: an RLM does not call the caller's tools (leave ${param} out)`);
  }
  const options = b.stream_options as { include_usage?: unknown } | undefined | null;
  return {
    model: b.model.trim(),
    messages: b.messages,
    stream: b.stream === true,
    includeUsage: b.stream === true && options?.include_usage === true,
    limits: readLimits(b.rlm),
    schema: await readResponseFormat(b.response_format),
  };
}

function readLimits(raw: unknown): RequestLimits {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw badParameter('rlm', 'rlm must be an object: { max_cost_usd, max_calls, max_tokens, timeout_seconds }');
  const limits: RequestLimits = {};
  for (const [name, value] of Object.entries(raw)) {
    const limit = LIMITS[name as keyof typeof LIMITS];
    // A misspelt limit would be a limit silently not applied: refused.
    if (!limit) throw badParameter(`rlm.${name}`, `rlm.${name} is not a limit this server knows (${Object.keys(LIMITS).join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (limit.whole && !Number.isInteger(value)))
      throw badParameter(`rlm.${name}`, `rlm.${name} must be a positive ${limit.whole ? 'whole ' : ''}number`);
    limits[limit.key] = value * limit.scale;
  }
  return limits;
}

async function readResponseFormat(raw: unknown): Promise<JsonSchema | undefined> {
  if (raw === undefined || raw === null) return undefined;
  const format = raw as { type?: unknown; json_schema?: { schema?: unknown } };
  if (format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'object' };
  if (format.type !== 'json_schema') throw badParameter('response_format', 'response_format.type must be text, json_object or json_schema');
  const schema = format.json_schema?.schema;
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema)))
    throw badParameter('response_format', 'response_format.json_schema.schema must be a JSON Schema object');
  const { schemaCheck } = await import('../schema/index.ts');
  try {
    schemaCheck(schema as JsonSchema);
  } catch (error) {
    if (!RlmError.isInstance(error)) throw error;
    throw badParameter('response_format', `response_format.json_schema.schema: ${error.message}`);
  }
  return schema as JsonSchema;
}
