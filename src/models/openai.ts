/**
 * OpenAI-compatible Chat Completions (OpenAI, OpenRouter, vLLM, Ollama, LM Studio, llama.cpp
 * server, Together, Groq...) through the official SDK. The SDK's own retries are off: retrying is
 * the `withRetry` middleware's job, so every provider retries the same way.
 */
import OpenAI from 'openai';
import { malformed, toRlmError } from './provider-errors.ts';
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
        throw toRlmError(OpenAI, error, baseURL, id, request.signal);
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
  let usage: Usage = usageOf(undefined);
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
  // A server that counts nothing (some local ones): the meter books the call at its bounds.
  if (!usage) return { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, estimated: true };
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

