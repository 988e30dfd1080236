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
import { RlmError } from '../errors.ts';
import type { FinishReason, GenerateRequest, GenerateResult, Message, Model } from './model.ts';
import { cancelled, firstLine, fromHttpStatus, malformed, unreachable } from './provider-errors.ts';
import type { Usage } from './usage.ts';

/**
 * What this adapter needs of an AI SDK language model: any `LanguageModelV2`, `V3` or `V4` of
 * `@ai-sdk/provider` fits. Declared here rather than imported, so that rlm's published types
 * compile in a project that does not install the optional AI SDK.
 */
export interface AiSdkLanguageModel {
  /** The provider's name (`openai.chat`, `google.generative-ai`...): the model's URL reads `ai-sdk:<provider>`. */
  readonly provider: string;
  /** The model's name at that provider: the rlm model's `id`. */
  readonly modelId: string;
  /** Called with the SDK's call options for the model's specification version; the result is read by shape. */
  doGenerate(options: never): PromiseLike<unknown>;
}

/**
 * Wraps an AI SDK language model as an rlm {@link Model}. `variant(id)` makes the same provider's
 * model `id`, for `withId` (what `llm_query(prompt, { model })` calls); without it, `withId`
 * refuses. A custom `fetch`, headers or key are given to the AI SDK provider itself.
 *
 * @example
 * import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
 * const provider = createOpenAICompatible({ name: 'local', baseURL: 'http://127.0.0.1:11434/v1', headers: { 'x-team': 'search' } });
 * const model = fromAiSdk(provider('qwen3:8b'), (id) => provider(id));
 */
export function fromAiSdk(model: AiSdkLanguageModel, variant?: (id: string) => AiSdkLanguageModel): Model {
  const url = `ai-sdk:${model.provider}`;
  return {
    id: model.modelId,
    url,
    withId: (id) => {
      if (!variant)
        throw new RlmError('RLM_USAGE', `to call another model through ${model.provider}, pass fromAiSdk(model, (id) => provider(id))`);
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
        return {
          text,
          usage: usageOf(result.usage),
          finishReason: finishReasonOf(result.finishReason),
          modelId: result.response?.modelId ?? model.modelId,
        };
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
    m.role === 'system'
      ? { role: 'system' as const, content: m.content }
      : { role: m.role, content: [{ type: 'text' as const, text: m.content }] },
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

/**
 * AI SDK errors as rlm errors, read by shape rather than by class (the SDK is not imported): an
 * `APICallError` with a status goes through the shared status mapping; one without a status never
 * got an answer (the SDK's "Cannot connect to API"); anything else (an invalid or unexpected body)
 * is a malformed answer.
 */
function toRlmError(error: unknown, url: string, modelId: string, signal: AbortSignal | undefined): RlmError {
  if (RlmError.isInstance(error)) return error;
  if (signal?.aborted || (error instanceof Error && error.name === 'AbortError')) return cancelled(signal);
  const e = error as { name?: unknown; message?: unknown; statusCode?: unknown; responseHeaders?: Record<string, string>; url?: unknown };
  const where = typeof e.url === 'string' ? e.url : url;
  const detail = firstLine(typeof e.message === 'string' ? e.message : String(error));
  if (e.name === 'AI_APICallError') {
    if (typeof e.statusCode !== 'number') return unreachable(where, (error as Error).cause ?? error);
    const headers = e.responseHeaders ? new Headers(e.responseHeaders) : undefined;
    return fromHttpStatus({ status: e.statusCode, detail, headers, cause: error }, where, modelId);
  }
  return malformed(where, detail);
}
