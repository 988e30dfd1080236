/**
 * A run's end in Chat Completions' words: the `chat.completion` object, the `chat.completion.chunk`
 * objects of a stream, the usage of the whole tree, and — for a run that ended without an answer —
 * an error, never a message that could be taken for an answer.
 *
 * No-answer errors carry `x-should-retry: false`: the official SDKs retry 5xx (and some 4xx)
 * answers by themselves, and a run that has spent money is not to be paid for again unasked.
 */
import type { RunResult } from '../rlm.ts';
import { HttpError } from './http-error.ts';
import type { ServerRun } from './server-run.ts';

/** OpenAI's usage, counted over every call of the run's tree. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

/** What rlm adds to a completion: the run (to open at `/runs/<id>`), how it ended, its spend. */
export interface RlmExtension {
  run_id: string;
  status: string;
  calls: number;
  cost_usd: number;
  iterations: number;
  duration_ms: number;
}

export function chatUsage(result: RunResult): ChatUsage {
  const { inputTokens, outputTokens, cachedInputTokens } = result.usage.total;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    prompt_tokens_details: { cached_tokens: cachedInputTokens },
  };
}

export function rlmExtension(run: ServerRun, result: RunResult): RlmExtension {
  return {
    run_id: run.id,
    status: result.status,
    calls: result.usage.total.calls,
    cost_usd: result.usage.total.costUsd,
    iterations: result.iterations,
    duration_ms: Math.round(result.durationMs),
  };
}

/** The answer as the message's content: a schema's value as compact JSON, as OpenAI's structured outputs are. */
export function answerContent(result: RunResult, structured: boolean): string | undefined {
  if (result.answer === undefined) return undefined;
  return structured && result.value !== undefined ? JSON.stringify(result.value) : result.answer;
}

export function completionId(run: ServerRun): string {
  return `chatcmpl-${run.id}`;
}

export function completionBody(run: ServerRun, result: RunResult, content: string): Record<string, unknown> {
  return {
    id: completionId(run),
    object: 'chat.completion',
    created: Math.floor(run.createdAt.getTime() / 1000),
    model: run.request.model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: chatUsage(result),
    rlm: rlmExtension(run, result),
  };
}

/** One chunk of a stream: a delta, a finish reason, or (with no choices) the usage. */
export function chunkBody(
  run: ServerRun,
  choice: { delta: Record<string, unknown>; finish_reason: string | null } | undefined,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: completionId(run),
    object: 'chat.completion.chunk',
    created: Math.floor(run.createdAt.getTime() / 1000),
    model: run.request.model,
    choices: choice ? [{ index: 0, ...choice, logprobs: null }] : [],
    ...extra,
  };
}

/**
 * A run that ended without an answer, as an error with the status that says why: 400 for a
 * limit the run reached (a budget, the time, its turns: the request's or the server's limits were
 * too low for the question) or for settings the RLM refused (a cost limit on a model of unknown
 * price); 404 for a root model the endpoint does not have (`rlm/<root-model>`); 503 for a run the
 * server cancelled as it shut down; 500 for a failure of a model provider or of the REPL. The
 * message names the run, whose trace shows what it did.
 */
export function noAnswerError(run: ServerRun, result: RunResult): HttpError {
  const why = result.error?.message ?? (result.status === 'max_iterations' ? 'the model gave no final answer in its turns' : 'no answer');
  const message = `the run ended without an answer (${result.status}): ${why.split('\n')[0]} [run ${run.id}]`;
  const code = result.error?.code;
  if (result.status === 'budget' || result.status === 'timeout' || result.status === 'max_iterations')
    return new HttpError(400, 'invalid_request_error', message, { code: `rlm_${result.status}` });
  if (code === 'RLM_USAGE' || code === 'RLM_INPUT') return new HttpError(400, 'invalid_request_error', message, { code });
  if (code === 'RLM_MODEL_REJECTED') return new HttpError(404, 'not_found_error', message, { code: 'model_not_found' });
  if (result.status === 'cancelled') return new HttpError(503, 'service_unavailable', message, { code: 'rlm_cancelled' });
  return new HttpError(500, 'server_error', message, { code: code ?? `rlm_${result.status}` });
}

/** Headers of a no-answer error: the SDKs are told not to retry it on their own. */
export const NO_RETRY = { 'x-should-retry': 'false' } as const;
