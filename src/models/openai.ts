/**
 * OpenAI-compatible Chat Completions (OpenAI, OpenRouter, vLLM, Ollama, LM Studio, llama.cpp
 * server, Together, Groq...), spoken directly over `fetch`: one POST to `<baseURL>/chat/completions`,
 * its answer read as one JSON body or as server-sent events (chat-completions.ts reads the wire,
 * sse.ts the stream). No SDK is loaded: it would cost a CLI start more than the rest of a short
 * run. Retrying is the `withRetry` middleware's job, so every provider retries the same way.
 *
 * A ready client of the official SDK (`client`) is used as is instead, through its own
 * `chat.completions.create`; rlm still imports nothing of the SDK.
 */
import { ProviderError, RlmError } from '../errors.ts';
import { refuseSettingsBesideClient } from './client-settings.ts';
import { errorDetail, readCompletion, requestBody, StreamedCompletion, type ChatCompletionsBody } from './chat-completions.ts';
import type { GenerateRequest, GenerateResult, Model } from './model.ts';
import { cancelled, firstLine, fromHttpStatus, malformed, timedOut, toRlmError, unreachable, type SdkErrors } from './provider-errors.ts';
import { readEvents } from './sse.ts';

/** OpenAI's own API, the base URL used when none is given. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * What rlm calls of a ready client: the official SDK's `OpenAI` and `AzureOpenAI` fit. Declared
 * here rather than imported, so rlm's types compile in a project that does not install the SDK.
 */
export interface OpenAIClient {
  /** Where the client sends requests: the model's `url`. */
  readonly baseURL: string;
  /** `chat.completions.create(body, { signal })`: a completion, or with `stream: true` an async iterable of chunks. */
  readonly chat: {
    readonly completions: {
      create(body: ChatCompletionsBody, options?: { signal?: AbortSignal | undefined }): PromiseLike<unknown>;
    };
  };
}

/** How {@link createOpenAIModel} reaches the endpoint and what it sends. */
export interface OpenAIModelOptions {
  /** Model name, e.g. `gpt-5-mini`. */
  model: string;
  /** Base URL of the API, e.g. `http://127.0.0.1:11434/v1`. Default: OpenAI ({@link OPENAI_BASE_URL}). */
  baseURL?: string | undefined;
  /**
   * API key, sent as `Authorization: Bearer <key>`. Default: `OPENAI_API_KEY` when talking to
   * OpenAI itself; for any other base URL, none (a key is never sent to a server it was not
   * given for, and no `Authorization` header is sent without a key).
   */
  apiKey?: string | undefined;
  /** Per-request timeout in milliseconds, the whole answer included (default 10 minutes). */
  timeoutMs?: number | undefined;
  /** Stream responses (server-sent events) instead of one JSON body (default false). */
  stream?: boolean | undefined;
  /** Extra body fields sent with every request (e.g. `{ reasoning_effort: 'medium' }`). */
  extraBody?: Record<string, unknown> | undefined;
  /** The `fetch` every request goes through (default: the global one): a proxy agent, a recording wrapper. */
  fetch?: typeof globalThis.fetch | undefined;
  /** Headers added to every request (e.g. a gateway's `{ 'x-team': 'search' }`). */
  headers?: Record<string, string> | undefined;
  /**
   * A ready client of the official SDK (`new OpenAI({...})`, `new AzureOpenAI({...})`), used as
   * is: its base URL, key, timeout, headers, fetch and retries apply, so `baseURL`, `apiKey`,
   * `timeoutMs`, `fetch` and `headers` cannot be given beside it. Make it with `maxRetries: 0`
   * to leave retrying to `withRetry` alone.
   */
  client?: OpenAIClient | undefined;
}

/** The default per-request timeout: 10 minutes. */
const DEFAULT_TIMEOUT_MS = 600_000;

/** The longest delay a timer takes; a longer timeout is no timeout. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Creates a {@link Model} for any OpenAI-compatible Chat Completions endpoint. Nothing is sent
 * until the model's first call.
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
    refuseSettingsBesideClient('createOpenAIModel', options);
    return clientModel(client, client.baseURL.replace(/\/+$/, ''), options, options.model);
  }
  const baseURL = (options.baseURL ?? OPENAI_BASE_URL).replace(/\/+$/, '');
  const apiKey = options.apiKey ?? (baseURL === OPENAI_BASE_URL ? process.env.OPENAI_API_KEY : undefined);
  const endpoint: Endpoint = {
    url: baseURL,
    apiKey: apiKey || undefined,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    stream: options.stream ?? false,
    extraBody: options.extraBody,
    fetch: options.fetch,
    headers: options.headers,
  };
  return fetchModel(endpoint, options.model);
}

/** Everything a request needs besides the model's name; `withId` models share it. */
interface Endpoint {
  url: string;
  apiKey: string | undefined;
  timeoutMs: number;
  stream: boolean;
  extraBody: Record<string, unknown> | undefined;
  fetch: typeof globalThis.fetch | undefined;
  headers: Record<string, string> | undefined;
}

function fetchModel(endpoint: Endpoint, id: string): Model {
  return {
    id,
    url: endpoint.url,
    withId: (other) => fetchModel(endpoint, other),
    generate: (request) => post(endpoint, id, request),
  };
}

/** One call: the request, its answer read whole, and every way it can fail as an rlm error. */
async function post(endpoint: Endpoint, id: string, request: GenerateRequest): Promise<GenerateResult> {
  const { url, stream } = endpoint;
  const caller = request.signal;
  if (caller?.aborted) throw cancelled(caller);
  // One signal for the request: the caller's abort or the timeout, whichever comes first.
  const controller = new AbortController();
  let expired = false;
  const timer =
    endpoint.timeoutMs <= MAX_TIMER_MS
      ? setTimeout(() => {
          expired = true;
          controller.abort(new DOMException(`timed out after ${endpoint.timeoutMs} ms`, 'TimeoutError'));
        }, endpoint.timeoutMs)
      : undefined;
  const onAbort = () => controller.abort(caller?.reason);
  caller?.addEventListener('abort', onAbort, { once: true });
  let response: Response | undefined;
  try {
    response = await (endpoint.fetch ?? fetch)(`${url}/chat/completions`, {
      method: 'POST',
      headers: headersFor(endpoint),
      body: JSON.stringify(requestBody(id, request, endpoint.extraBody, stream)),
      signal: controller.signal,
    });
    if (!response.ok) {
      // A body cut short still leaves the status to go by.
      const text = await response.text().catch(() => '');
      throw fromHttpStatus({ status: response.status, detail: errorDetail(text, response.statusText), headers: response.headers }, url, id);
    }
    // A server that does not stream answers one JSON body: read it as such.
    const json = !stream || (response.headers.get('content-type') ?? '').includes('application/json');
    return json ? readCompletion(parseJson(await response.text(), url), url, id) : await readStream(response, url, id);
  } catch (error) {
    if (caller?.aborted) throw cancelled(caller);
    if (RlmError.isInstance(error)) throw error;
    if (expired) throw timedOut(url, error);
    if (response === undefined) throw unreachable(url, error);
    throw cutShort(url, error);
  } finally {
    clearTimeout(timer);
    caller?.removeEventListener('abort', onAbort);
  }
}

/** The headers of every request: JSON both ways, the key if there is one, then the user's own. */
function headersFor(endpoint: Endpoint): Headers {
  const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json' });
  if (endpoint.apiKey) headers.set('authorization', `Bearer ${endpoint.apiKey}`);
  if (endpoint.headers) for (const [name, value] of Object.entries(endpoint.headers)) headers.set(name, value);
  return headers;
}

/** A streamed answer, read to its `[DONE]`. */
async function readStream(response: Response, url: string, id: string): Promise<GenerateResult> {
  if (!response.body) throw cutShort(url, undefined, 'the answer has no body');
  const completion = new StreamedCompletion(url, id);
  for await (const event of readEvents(response.body)) {
    if (event.data === '[DONE]') return completion.result();
    if (event.event === 'error')
      throw new ProviderError('RLM_PROVIDER', `${url} answered an error: ${errorDetail(event.data, 'no message')}`, {
        retryable: true,
        url,
      });
    completion.add(parseJson(event.data, url));
  }
  // Without [DONE], an answer whose end was said (a finish reason) is whole; its usage may be lost.
  if (completion.finished) return completion.result();
  throw cutShort(url, undefined, 'the stream ended before [DONE]');
}

function parseJson(text: string, url: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw malformed(url, `${(error as Error).message}: ${text.slice(0, 80)}`);
  }
}

/** A 2xx answer that stopped before it was whole: a cut connection, a stream without its end. Retryable. */
function cutShort(url: string, cause: unknown, why?: string): ProviderError {
  const reason = why ?? (cause instanceof Error ? firstLine(causeChain(cause)) : String(cause));
  return new ProviderError('RLM_PROVIDER', `the answer from ${url} was cut short (${reason})`, { retryable: true, url, cause });
}

/** An error's message with its causes' (undici says "terminated", its cause why). */
function causeChain(error: Error): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let i = 0; i < 4 && current instanceof Error; i++, current = current.cause) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${current.message} [${code}]` : current.message);
  }
  return parts.join(': ');
}

/** The error classes a client's SDK exports, read from its class; none match for a client that is not an SDK's. */
function sdkErrorsOf(client: OpenAIClient): SdkErrors {
  const statics = client.constructor as unknown as Partial<SdkErrors>;
  const none = class NotAnSdkError extends Error {};
  return {
    APIError: statics.APIError ?? none,
    APIConnectionError: statics.APIConnectionError ?? none,
    APIConnectionTimeoutError: statics.APIConnectionTimeoutError ?? none,
    APIUserAbortError: statics.APIUserAbortError ?? none,
  };
}

/** The model over a ready SDK client; `withId` models share it. */
function clientModel(client: OpenAIClient, url: string, options: OpenAIModelOptions, id: string): Model {
  const stream = options.stream ?? false;
  return {
    id,
    url,
    withId: (other) => clientModel(client, url, options, other),
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      try {
        const answer = await client.chat.completions.create(requestBody(id, request, options.extraBody, stream), {
          signal: request.signal,
        });
        if (!stream) return readCompletion(answer, url, id);
        const completion = new StreamedCompletion(url, id);
        for await (const chunk of answer as AsyncIterable<unknown>) completion.add(chunk);
        return completion.result();
      } catch (error) {
        // The client's class carries its SDK's error classes, whichever copy of the SDK made it.
        throw toRlmError(sdkErrorsOf(client), error, url, id, request.signal);
      }
    },
  };
}
