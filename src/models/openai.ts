/**
 * OpenAI-compatible Chat Completions (OpenAI, OpenRouter, vLLM, Ollama, LM Studio, llama.cpp
 * server, Together, Groq...) through the official SDK. The SDK's own retries are off: retrying is
 * the `withRetry` middleware's job, so every provider retries the same way.
 *
 * The SDK is loaded on the first call, not when this module is: a run that never calls an
 * OpenAI-compatible model (and a CLI start that only prints help) does not pay for loading it.
 */
import type OpenAI from 'openai';
import { RlmError } from '../errors.ts';
import { malformed, toRlmError, type SdkErrors } from './provider-errors.ts';
import type { FinishReason, GenerateRequest, GenerateResult, Model } from './model.ts';
import type { Usage } from './usage.ts';

/** OpenAI's own API, the base URL used when none is given. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** How {@link createOpenAIModel} reaches the endpoint and what it sends. */
export interface OpenAIModelOptions {
  /** Model name, e.g. `gpt-5-mini`. */
  model: string;
  /** Base URL of the API, e.g. `http://127.0.0.1:11434/v1`. Default: OpenAI ({@link OPENAI_BASE_URL}). */
  baseURL?: string;
  /**
   * API key. Default: `OPENAI_API_KEY` when talking to OpenAI itself; for any other base URL,
   * none (a key is never sent to a server it was not given for).
   */
  apiKey?: string;
  /** Per-request timeout in milliseconds (default 10 minutes). */
  timeoutMs?: number;
  /** Stream responses (server-sent events) instead of one JSON body (default false). */
  stream?: boolean;
  /** Extra body fields sent with every request (e.g. `{ reasoning_effort: 'medium' }`). */
  extraBody?: Record<string, unknown>;
  /**
   * The `fetch` every request goes through (default: the global one), handed to the SDK's own
   * `fetch` option: a proxy agent, a recording wrapper, a runtime without a global fetch.
   */
  fetch?: typeof globalThis.fetch;
  /** Headers added to every request (e.g. a gateway's `{ 'x-team': 'search' }`). */
  headers?: Record<string, string>;
  /**
   * A ready SDK client (`new OpenAI({...})`, `new AzureOpenAI({...})`), used as is: its base
   * URL, key, timeout, headers, fetch and retries apply, so `baseURL`, `apiKey`, `timeoutMs`,
   * `fetch` and `headers` cannot be given beside it. Make it with `maxRetries: 0` to leave
   * retrying to `withRetry` alone.
   */
  client?: OpenAI;
}

/** The options that configure a client, and so have no meaning beside a ready one. */
const CLIENT_SETTINGS = ['baseURL', 'apiKey', 'timeoutMs', 'fetch', 'headers'] as const;

let sdk: Promise<typeof import('openai')> | undefined;

/** The SDK, imported once, on first use. */
function loadSdk(): Promise<typeof import('openai')> {
  return (sdk ??= import('openai'));
}

/**
 * Creates a {@link Model} for any OpenAI-compatible Chat Completions endpoint. Nothing is sent,
 * and the SDK is not loaded, until the model's first call.
 *
 * @example
 * const model = createOpenAIModel({ model: 'gpt-5-mini' }); // OPENAI_API_KEY from the environment
 * const local = createOpenAIModel({ model: 'qwen3:8b', baseURL: 'http://127.0.0.1:11434/v1' });
 * const gateway = createOpenAIModel({ model: 'gpt-5', baseURL: 'https://gw.example/v1', apiKey, headers: { 'x-team': 'search' } });
 * const azure = createOpenAIModel({ model: 'gpt-5', client: new AzureOpenAI({ endpoint, apiVersion, maxRetries: 0 }) });
 */
export function createOpenAIModel(options: OpenAIModelOptions): Model {
  const { client } = options;
  if (client) {
    const clashing = CLIENT_SETTINGS.filter((key) => options[key] !== undefined);
    if (clashing.length > 0) {
      throw new RlmError('RLM_USAGE', `createOpenAIModel: ${clashing.join(', ')} cannot be given beside \`client\`, which is used as is: set them on the client`);
    }
    const ready = Promise.resolve(client);
    return makeModel(() => ready, client.baseURL.replace(/\/+$/, ''), options);
  }
  const baseURL = (options.baseURL ?? OPENAI_BASE_URL).replace(/\/+$/, '');
  const apiKey = options.apiKey ?? (options.baseURL === undefined ? process.env.OPENAI_API_KEY : undefined);
  let made: Promise<OpenAI> | undefined;
  const connect = () =>
    (made ??= loadSdk().then(
      ({ default: OpenAISdk }) =>
        new OpenAISdk({
          apiKey: apiKey || 'none',
          baseURL,
          maxRetries: 0,
          timeout: options.timeoutMs ?? 600_000,
          ...(options.fetch ? { fetch: options.fetch } : {}),
          ...(options.headers ? { defaultHeaders: options.headers } : {}),
        }),
    ));
  return makeModel(connect, baseURL, options);
}

/** The model over a client made on first use; `withId` models share that client. */
function makeModel(connect: () => Promise<OpenAI>, baseURL: string, options: OpenAIModelOptions): Model {
  const id = options.model;
  return {
    id,
    url: baseURL,
    withId: (other) => makeModel(connect, baseURL, { ...options, model: other }),
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      const body = {
        ...options.extraBody,
        model: id,
        messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
        ...(request.maxOutputTokens === undefined ? {} : { max_completion_tokens: request.maxOutputTokens }),
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      };
      const client = await connect();
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
        // The client's class carries its SDK's error classes, whichever copy of the SDK made it.
        throw toRlmError(client.constructor as unknown as SdkErrors, error, baseURL, id, request.signal);
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

