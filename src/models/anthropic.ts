/**
 * Anthropic Messages through the official SDK. The system prompt goes in `system`; the stable
 * prefix of every request (the system prompt, and the conversation up to its last message) is
 * marked for prompt caching, so each turn of the loop re-reads the last turn's prefix from the
 * cache; cache reads and writes are booked in usage. Retries are the `withRetry` middleware's.
 *
 * The SDK is loaded on the first call, not when this module is: a run that never calls an
 * Anthropic model does not pay for loading it.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { refuseSettingsBesideClient } from './client-settings.ts';
import type { FinishReason, GenerateRequest, GenerateResult, Model } from './model.ts';
import { malformed, toRlmError, type SdkErrors } from './provider-errors.ts';
import type { Usage } from './usage.ts';

/** Anthropic's own API, the base URL used when none is given. */
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

/** How {@link createAnthropicModel} reaches the API and what it asks for. */
export interface AnthropicModelOptions {
  /** Model name, e.g. `claude-sonnet-5-5`. */
  model: string;
  /** API key. Default: `ANTHROPIC_API_KEY` when talking to Anthropic itself; none for another base URL. */
  apiKey?: string;
  /** Base URL of the API (without `/v1`). Default: Anthropic ({@link ANTHROPIC_BASE_URL}). */
  baseURL?: string;
  /** Per-request timeout in ms (default 10 minutes). */
  timeoutMs?: number;
  /** Output token cap when a request gives none (the API requires one; default 8,192). */
  maxOutputTokens?: number;
  /** Extended thinking, passed through: `{ type: 'enabled', budget_tokens: 4096 }`. Default: none. */
  thinking?: Anthropic.ThinkingConfigParam;
  /** Mark the stable prefix for prompt caching (default true). */
  promptCaching?: boolean;
  /**
   * The `fetch` every request goes through (default: the global one), handed to the SDK's own
   * `fetch` option: a proxy agent, a recording wrapper, a runtime without a global fetch.
   */
  fetch?: typeof globalThis.fetch;
  /** Headers added to every request (e.g. `{ 'anthropic-beta': '...' }`, or a gateway's own). */
  headers?: Record<string, string>;
  /**
   * A ready SDK client (`new Anthropic({...})`), used as is: its base URL, key, timeout, headers,
   * fetch and retries apply, so `baseURL`, `apiKey`, `timeoutMs`, `fetch` and `headers` cannot be
   * given beside it. Make it with `maxRetries: 0` to leave retrying to `withRetry` alone.
   */
  client?: Anthropic;
}

let sdk: Promise<typeof import('@anthropic-ai/sdk')> | undefined;

/** The SDK, imported once, on first use. */
function loadSdk(): Promise<typeof import('@anthropic-ai/sdk')> {
  return (sdk ??= import('@anthropic-ai/sdk'));
}

/**
 * Creates a {@link Model} for Anthropic's Messages API. Nothing is sent, and the SDK is not
 * loaded, until the model's first call.
 *
 * @example
 * const model = createAnthropicModel({ model: 'claude-sonnet-5-5' }); // ANTHROPIC_API_KEY from the environment
 * const thinker = createAnthropicModel({ model: 'claude-opus-5', thinking: { type: 'enabled', budget_tokens: 4096 } });
 * const proxied = createAnthropicModel({ model: 'claude-sonnet-5-5', client: new Anthropic({ fetch: proxiedFetch, maxRetries: 0 }) });
 */
export function createAnthropicModel(options: AnthropicModelOptions): Model {
  const { client } = options;
  if (client) {
    refuseSettingsBesideClient('createAnthropicModel', options);
    const ready = Promise.resolve(client);
    return makeModel(() => ready, client.baseURL.replace(/\/+$/, ''), options);
  }
  const baseURL = (options.baseURL ?? ANTHROPIC_BASE_URL).replace(/\/+$/, '');
  const apiKey = options.apiKey ?? (options.baseURL === undefined ? process.env.ANTHROPIC_API_KEY : undefined);
  let made: Promise<Anthropic> | undefined;
  const connect = () =>
    (made ??= loadSdk().then(
      ({ default: AnthropicSdk }) =>
        new AnthropicSdk({
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

const CACHED = { type: 'ephemeral' } as const;

/** The model over a client made on first use; `withId` models share that client. */
function makeModel(connect: () => Promise<Anthropic>, baseURL: string, options: AnthropicModelOptions): Model {
  const id = options.model;
  const caching = options.promptCaching ?? true;
  return {
    id,
    url: baseURL,
    withId: (other) => makeModel(connect, baseURL, { ...options, model: other }),
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      const system = request.messages
        .filter((m) => m.role === 'system')
        .map((m) => m.content)
        .join('\n\n');
      const turns = request.messages.filter((m) => m.role !== 'system');
      const messages: Anthropic.MessageParam[] = turns.map((m, i) => ({
        role: m.role as 'user' | 'assistant',
        // The last message closes the prefix the next turn will find in the cache.
        content: [{ type: 'text', text: m.content, ...(caching && i === turns.length - 1 ? { cache_control: CACHED } : {}) }],
      }));
      const thinkingBudget = options.thinking?.type === 'enabled' ? options.thinking.budget_tokens : 0;
      const maxTokens = request.maxOutputTokens ?? Math.max(options.maxOutputTokens ?? 8192, thinkingBudget + 1024);
      const thinking = thinkingWithin(options.thinking, thinkingBudget, maxTokens);
      const body: Anthropic.MessageCreateParamsNonStreaming = {
        model: id,
        max_tokens: maxTokens,
        messages,
        ...(system ? { system: [{ type: 'text', text: system, ...(caching ? { cache_control: CACHED } : {}) }] } : {}),
        ...(request.temperature === undefined || thinking ? {} : { temperature: request.temperature }),
        ...(thinking ? { thinking } : {}),
      };
      const client = await connect();
      try {
        const response = await client.messages.create(body, { signal: request.signal });
        if (!Array.isArray(response.content)) throw malformed(baseURL, 'the response has no content');
        // Thinking blocks are the model's own; the answer is the text.
        const text = response.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
        return { text, usage: usageOf(response.usage), finishReason: finishReasonOf(response.stop_reason), modelId: response.model || id };
      } catch (error) {
        // The client's class carries its SDK's error classes, whichever copy of the SDK made it.
        throw toRlmError(client.constructor as unknown as SdkErrors, error, baseURL, id, request.signal);
      }
    },
  };
}

function usageOf(usage: Anthropic.Usage | undefined): Usage {
  const read = usage?.cache_read_input_tokens ?? 0;
  const written = usage?.cache_creation_input_tokens ?? 0;
  // Anthropic's input_tokens leaves out what was read from or written to the cache; ours counts
  // every input token, and says how many of them were cached reads and cache writes.
  return {
    inputTokens: (usage?.input_tokens ?? 0) + read + written,
    cachedInputTokens: read,
    cacheWriteInputTokens: written,
    outputTokens: usage?.output_tokens ?? 0,
  };
}

function finishReasonOf(reason: string | null | undefined): FinishReason {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'stop';
  if (reason === 'max_tokens') return 'length';
  if (reason === 'refusal') return 'content-filter';
  return 'other';
}

/**
 * The API refuses a thinking budget that is not below max_tokens, or under 1,024 tokens. A cap set
 * by the run's limits may be that small: the model then thinks within what is left, or not at all.
 */
function thinkingWithin(thinking: AnthropicModelOptions['thinking'], budget: number, maxTokens: number): AnthropicModelOptions['thinking'] {
  if (!thinking || thinking.type !== 'enabled' || budget < maxTokens) return thinking;
  return maxTokens - 1024 >= MIN_THINKING_TOKENS ? { ...thinking, budget_tokens: maxTokens - 1024 } : undefined;
}

const MIN_THINKING_TOKENS = 1_024;
