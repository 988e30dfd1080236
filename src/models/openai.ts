/**
 * OpenAI-compatible Chat Completions (OpenAI, OpenRouter, vLLM, Ollama, LM Studio, llama.cpp
 * server, Together, Groq...) through the official SDK. The SDK's own retries are off: retrying is
 * the `withRetry` middleware's job, so every provider retries the same way.
 */
import OpenAI from 'openai';
import { CancelledError, ProviderError, RlmError } from '../errors.ts';
import type { FinishReason, GenerateRequest, GenerateResult, Model } from './model.ts';
import type { Usage } from './usage.ts';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIModelOptions {
  /** Model name, e.g. `gpt-5-mini`. */
  model: string;
  /** Base URL of the API, e.g. `http://127.0.0.1:11434/v1`. Default: OpenAI. */
  baseURL?: string;
  /**
   * API key. Default: `OPENAI_API_KEY` when talking to OpenAI itself; for any other base URL,
   * none (a key is never sent to a server it was not given for).
   */
  apiKey?: string;
  /** Per-request timeout in milliseconds (default 10 minutes). */
  timeoutMs?: number;
  /** Stream responses (server-sent events) instead of one JSON body. */
  stream?: boolean;
  /** Extra body fields sent with every request (e.g. `{ reasoning_effort: 'medium' }`). */
  extraBody?: Record<string, unknown>;
}

/** Creates a {@link Model} for any OpenAI-compatible Chat Completions endpoint. */
export function createOpenAIModel(options: OpenAIModelOptions): Model {
  const baseURL = (options.baseURL ?? OPENAI_BASE_URL).replace(/\/+$/, '');
  const apiKey = options.apiKey ?? (options.baseURL === undefined ? process.env.OPENAI_API_KEY : undefined);
  const client = new OpenAI({
    apiKey: apiKey || 'none',
    baseURL,
    maxRetries: 0,
    timeout: options.timeoutMs ?? 600_000,
  });
  return makeModel(client, baseURL, options);
}

function makeModel(client: OpenAI, baseURL: string, options: OpenAIModelOptions): Model {
  const id = options.model;
  return {
    id,
    url: baseURL,
    withId: (other) => makeModel(client, baseURL, { ...options, model: other }),
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      const body = {
        ...options.extraBody,
        model: id,
        messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
        ...(request.maxOutputTokens === undefined ? {} : { max_completion_tokens: request.maxOutputTokens }),
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      };
      try {
        if (options.stream) return await generateStreaming(client, body, request.signal, id);
        const response = await client.chat.completions.create({ ...body, stream: false }, { signal: request.signal });
        const choice = response.choices[0];
        if (!choice) throw malformed(baseURL, 'the response has no choices');
        return {
          text: choice.message.content ?? '',
          usage: usageOf(response.usage),
          finishReason: finishReasonOf(choice.finish_reason),
          modelId: response.model || id,
        };
      } catch (error) {
        throw toRlmError(error, baseURL, id, request.signal);
      }
    },
  };
}

async function generateStreaming(
  client: OpenAI,
  body: OpenAI.ChatCompletionCreateParamsNonStreaming,
  signal: AbortSignal | undefined,
  id: string,
): Promise<GenerateResult> {
  const stream = await client.chat.completions.create(
    { ...body, stream: true, stream_options: { include_usage: true } },
    { signal },
  );
  let text = '';
  let finish: string | null = null;
  let usage: Usage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  let modelId = id;
  for await (const chunk of stream) {
    if (chunk.model) modelId = chunk.model;
    const choice = chunk.choices[0];
    if (choice?.delta?.content) text += choice.delta.content;
    if (choice?.finish_reason) finish = choice.finish_reason;
    if (chunk.usage) usage = usageOf(chunk.usage);
  }
  return { text, usage, finishReason: finishReasonOf(finish), modelId };
}

type WireUsage = OpenAI.CompletionUsage & { cost?: number };

function usageOf(usage: WireUsage | undefined | null): Usage {
  const result: Usage = {
    inputTokens: usage?.prompt_tokens ?? 0,
    cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
  };
  // OpenRouter and some gateways report what the call cost; that beats any price table.
  if (typeof usage?.cost === 'number') result.costUsd = usage.cost;
  return result;
}

function finishReasonOf(reason: string | null | undefined): FinishReason {
  if (reason === 'stop' || reason === 'length') return reason;
  if (reason === 'content_filter') return 'content-filter';
  return 'other';
}

function malformed(url: string, detail: string): ProviderError {
  return new ProviderError('RLM_PROVIDER', `malformed response from ${url}: ${detail}`, { retryable: true, url });
}

/** Maps SDK and network failures to errors with a stable code and a one-line message. */
export function toRlmError(error: unknown, url: string, modelId: string, signal?: AbortSignal): RlmError {
  if (RlmError.isInstance(error)) return error;
  if (error instanceof OpenAI.APIUserAbortError || signal?.aborted) {
    const reason: unknown = signal?.reason;
    return RlmError.isInstance(reason) ? reason : new CancelledError();
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ProviderError('RLM_PROVIDER', `request to ${url} timed out`, { retryable: true, url, cause: error });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = describeCause(error.cause);
    return new ProviderError('RLM_ENDPOINT_UNREACHABLE', `cannot reach ${url}${cause ? ` (${cause})` : ''}`, {
      retryable: true,
      url,
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status;
    const detail = serverMessage(error);
    if (status === 401 || status === 403) {
      return new ProviderError('RLM_AUTH', `${url} refused the API key (${status}): ${detail}`, { status, retryable: false, url });
    }
    if (status === 404 || (status === 400 && /model/i.test(detail) && /not|unknown|invalid|exist/i.test(detail))) {
      return new ProviderError('RLM_MODEL_REJECTED', `${url} rejected model "${modelId}" (${status}): ${detail}`, {
        status,
        retryable: false,
        url,
      });
    }
    const retryable = status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
    return new ProviderError('RLM_PROVIDER', `${url} answered ${status ?? 'an error'}: ${detail}`, {
      status,
      retryable,
      retryAfterMs: retryAfterMs(error.headers),
      url,
      cause: error,
    });
  }
  // The SDK throws plain errors for bodies it cannot parse; a retry may get a good one.
  const message = error instanceof Error ? error.message : String(error);
  return malformed(url, message.split('\n')[0] ?? message);
}

function serverMessage(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error as { message?: unknown } | undefined;
  const text = typeof body?.message === 'string' ? body.message : error.message;
  return text.split('\n')[0]?.slice(0, 300) ?? '';
}

function describeCause(cause: unknown): string {
  let current = cause;
  // undici nests the socket error (ECONNREFUSED...) under `cause`.
  for (let i = 0; i < 4 && current instanceof Error; i++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return cause instanceof Error ? cause.message : '';
}

/** Reads `retry-after-ms` or `retry-after` (seconds, or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
