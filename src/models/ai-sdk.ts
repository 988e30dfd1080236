/**
 * Any Vercel AI SDK language model (Google, Bedrock, Azure, Mistral, Groq...) as an rlm Model.
 * The AI SDK is an optional peer dependency: this adapter only calls the model's `doGenerate`,
 * whose shape (specification v2, v3 or v4) it reads as plain data, and imports nothing of the
 * SDK at run time. Retries stay rlm's (`withRetry`): `doGenerate` makes one request.
 *
 * @example
 * import { createGoogleGenerativeAI } from '@ai-sdk/google';
 * const model = fromAiSdk(createGoogleGenerativeAI()('gemini-2.5-pro'));
 */
import { CancelledError, ProviderError, RlmError } from '../errors.ts';
import type { FinishReason, GenerateRequest, GenerateResult, Message, Model } from './model.ts';
import { retryAfterMs } from './provider-errors.ts';
import type { Usage } from './usage.ts';

/**
 * What this adapter needs of an AI SDK language model: any `LanguageModelV2`, `V3` or `V4` of
 * `@ai-sdk/provider` fits. Declared here rather than imported, so that rlm's published types
 * compile in a project that does not install the optional AI SDK.
 */
export interface AiSdkLanguageModel {
  readonly provider: string;
  readonly modelId: string;
  /** Called with the SDK's call options for the model's specification version; the result is read by shape. */
  doGenerate(options: never): PromiseLike<unknown>;
}

/** Wraps an AI SDK language model; `variant(id)` makes the same provider's model `id`, for `withId`. */
export function fromAiSdk(model: AiSdkLanguageModel, variant?: (id: string) => AiSdkLanguageModel): Model {
  const url = `ai-sdk:${model.provider}`;
  return {
    id: model.modelId,
    url,
    withId: (id) => {
      if (!variant) throw new RlmError('RLM_USAGE', `to call another model through ${model.provider}, pass fromAiSdk(model, (id) => provider(id))`);
      return fromAiSdk(variant(id), variant);
    },
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      const options = {
        prompt: toPrompt(request.messages),
        ...(request.maxOutputTokens === undefined ? {} : { maxOutputTokens: request.maxOutputTokens }),
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        ...(request.signal ? { abortSignal: request.signal } : {}),
      };
      try {
        const result = (await (model.doGenerate as (o: typeof options) => PromiseLike<unknown>)(options)) as GenerateShape;
        const text = result.content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
        return { text, usage: usageOf(result.usage), finishReason: finishReasonOf(result.finishReason), modelId: result.response?.modelId ?? model.modelId };
      } catch (error) {
        throw toRlmError(error, url, model.modelId, request.signal);
      }
    },
  };
}

/** The parts of a doGenerate result this adapter reads, common to v2, v3 and v4. */
interface GenerateShape {
  content: Array<{ type: string; text?: string }>;
  usage: Record<string, unknown>;
  finishReason: string | { unified: string };
  response?: { modelId?: string };
}

function toPrompt(messages: readonly Message[]) {
  return messages.map((m) =>
    m.role === 'system' ? { role: 'system' as const, content: m.content } : { role: m.role, content: [{ type: 'text' as const, text: m.content }] },
  );
}

function usageOf(usage: Record<string, unknown>): Usage {
  const { inputTokens, outputTokens } = usage;
  // v3/v4: { inputTokens: { total, noCache, cacheRead, cacheWrite }, outputTokens: { total } }
  if (typeof inputTokens === 'object' && inputTokens !== null) {
    const input = inputTokens as { total?: number; cacheRead?: number; cacheWrite?: number };
    const output = outputTokens as { total?: number } | undefined;
    return {
      inputTokens: input.total ?? 0,
      cachedInputTokens: input.cacheRead ?? 0,
      ...(input.cacheWrite ? { cacheWriteInputTokens: input.cacheWrite } : {}),
      outputTokens: output?.total ?? 0,
    };
  }
  // v2: { inputTokens, outputTokens, cachedInputTokens }
  return {
    inputTokens: typeof inputTokens === 'number' ? inputTokens : 0,
    cachedInputTokens: typeof usage.cachedInputTokens === 'number' ? usage.cachedInputTokens : 0,
    outputTokens: typeof outputTokens === 'number' ? outputTokens : 0,
  };
}

function finishReasonOf(reason: GenerateShape['finishReason']): FinishReason {
  const unified = typeof reason === 'string' ? reason : reason?.unified;
  if (unified === 'stop' || unified === 'length' || unified === 'content-filter') return unified;
  return 'other';
}

/** AI SDK errors (APICallError and its kin) as rlm errors, read by shape rather than by class. */
function toRlmError(error: unknown, url: string, modelId: string, signal: AbortSignal | undefined): RlmError {
  if (RlmError.isInstance(error)) return error;
  if (signal?.aborted || (error instanceof Error && error.name === 'AbortError')) {
    const reason: unknown = signal?.reason;
    return RlmError.isInstance(reason) ? reason : new CancelledError();
  }
  const e = error as { message?: string; statusCode?: number; isRetryable?: boolean; responseHeaders?: Record<string, string>; url?: string };
  const where = e.url ?? url;
  const detail = (e.message ?? String(error)).split('\n')[0]!.slice(0, 300);
  const status = e.statusCode;
  if (status === 401 || status === 403) return new ProviderError('RLM_AUTH', `${where} refused the API key (${status}): ${detail}`, { status, retryable: false, url: where });
  if (status === 404) return new ProviderError('RLM_MODEL_REJECTED', `${where} rejected model "${modelId}" (404): ${detail}`, { status, retryable: false, url: where });
  if (status === undefined && e.isRetryable === undefined) {
    // No HTTP answer at all: the endpoint could not be reached (or the SDK failed before sending).
    return new ProviderError('RLM_ENDPOINT_UNREACHABLE', `cannot reach ${where}: ${detail}`, { retryable: true, url: where, cause: error });
  }
  const retryable = e.isRetryable ?? (status === 429 || (status !== undefined && status >= 500));
  return new ProviderError('RLM_PROVIDER', `${where} answered ${status ?? 'an error'}: ${detail}`, {
    ...(status === undefined ? {} : { status }),
    retryable,
    retryAfterMs: retryAfterMs(e.responseHeaders ? new Headers(e.responseHeaders) : undefined),
    url: where,
    cause: error,
  });
}
