/**
 * The Chat Completions wire (OpenAI's, and every server that speaks it): the request body rlm
 * sends, and what it reads of an answer, whole or streamed: text, usage, finish reason, model,
 * and the server's own error message. Plain data in, plain data out: the transport (fetch, or a
 * ready SDK client) is openai.ts's.
 */
import { ProviderError, type RlmError } from '../errors.ts';
import type { FinishReason, GenerateRequest, GenerateResult, Role } from './model.ts';
import { firstLine, fromHttpStatus, malformed } from './provider-errors.ts';
import type { Usage } from './usage.ts';

/** The body of a Chat Completions request as rlm sends it; `extraBody` fields ride along. */
export interface ChatCompletionsBody {
  model: string;
  messages: { role: Role; content: string }[];
  max_completion_tokens?: number;
  temperature?: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  [extra: string]: unknown;
}

/** The body for `request` to model `model`, with `extraBody`'s fields under rlm's own. */
export function requestBody(
  model: string,
  request: GenerateRequest,
  extraBody: Record<string, unknown> | undefined,
  stream: boolean,
): ChatCompletionsBody {
  return {
    ...extraBody,
    model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(request.maxOutputTokens === undefined ? {} : { max_completion_tokens: request.maxOutputTokens }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    // Without include_usage, a stream reports no usage at all.
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : { stream: false }),
  };
}

/** Usage as the wire reports it; OpenRouter and some gateways add what the call cost. */
interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  cost?: number;
}

/** The parts of a completion, or of a streamed chunk, that rlm reads. */
interface WireCompletion {
  model?: string;
  choices?: { message?: { content?: string | null }; delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: WireUsage | null;
  error?: unknown;
}

/** A non-streamed answer's parsed body as a result; a body without a choice is malformed. */
export function readCompletion(body: unknown, url: string, id: string): GenerateResult {
  const completion = asCompletion(body, url, id);
  const choice = completion.choices?.[0];
  if (!choice) throw malformed(url, 'the response has no choices');
  const content = choice.message?.content;
  return {
    text: typeof content === 'string' ? content : '',
    usage: usageOf(completion.usage),
    finishReason: finishReasonOf(choice.finish_reason),
    modelId: typeof completion.model === 'string' && completion.model ? completion.model : id,
  };
}

/** A streamed answer, put together chunk by chunk. */
export class StreamedCompletion {
  #text = '';
  #finish: string | null = null;
  #usage: Usage = usageOf(undefined);
  #modelId: string;
  readonly #url: string;

  constructor(url: string, id: string) {
    this.#url = url;
    this.#modelId = id;
  }

  /** Whether a chunk has said why the answer ended (its text is then whole). */
  get finished(): boolean {
    return this.#finish !== null;
  }

  /** Adds one chunk (a parsed `data:` event); a chunk that carries an error throws it. */
  add(chunk: unknown): void {
    const completion = asCompletion(chunk, this.#url, this.#modelId);
    if (typeof completion.model === 'string' && completion.model) this.#modelId = completion.model;
    const choice = completion.choices?.[0];
    const content = choice?.delta?.content;
    if (typeof content === 'string') this.#text += content;
    if (choice?.finish_reason) this.#finish = choice.finish_reason;
    if (completion.usage) this.#usage = usageOf(completion.usage);
  }

  /** The answer so far. */
  result(): GenerateResult {
    return { text: this.#text, usage: this.#usage, finishReason: finishReasonOf(this.#finish), modelId: this.#modelId };
  }
}

/** A body that must be a completion object; one that carries an `error` instead throws it. */
function asCompletion(body: unknown, url: string, id: string): WireCompletion {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw malformed(url, `expected a JSON object, got ${JSON.stringify(body)?.slice(0, 80)}`);
  const completion = body as WireCompletion;
  // OpenRouter and others report some failures inside a 200: a whole body or a stream's chunk with `error`.
  if (completion.error !== undefined && completion.error !== null) throw errorInBody(completion.error, url, id);
  if (completion.choices !== undefined && !Array.isArray(completion.choices)) throw malformed(url, '`choices` is not a list');
  return completion;
}

/**
 * An error a 200 answer carried in its body. Its `code`, when it is an HTTP status (OpenRouter's
 * are), is read as one; otherwise it is a retryable provider error with the server's message.
 */
function errorInBody(error: unknown, url: string, id: string): RlmError {
  const { message, code } = (typeof error === 'object' && error !== null ? error : { message: error }) as {
    message?: unknown;
    code?: unknown;
  };
  const detail = firstLine(typeof message === 'string' ? message : JSON.stringify(error));
  if (typeof code === 'number' && code >= 400 && code < 600) return fromHttpStatus({ status: code, detail }, url, id);
  return new ProviderError('RLM_PROVIDER', `${url} answered an error: ${detail}`, { retryable: true, url });
}

/**
 * The server's message in an error answer's body: OpenAI's `{ error: { message } }`, a bare
 * `{ message }` or `{ error: "..." }` (some local servers), or else the text itself.
 */
export function errorDetail(text: string, statusText: string): string {
  let detail = text.trim();
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown } | null;
    const error = body?.error as { message?: unknown } | string | undefined;
    const message =
      typeof error === 'string'
        ? error
        : typeof error?.message === 'string'
          ? error.message
          : typeof body?.message === 'string'
            ? body.message
            : body?.detail;
    if (typeof message === 'string' && message) detail = message;
  } catch {
    // Not JSON: a proxy's HTML page, plain text. The text is the message.
  }
  return firstLine(detail || statusText || 'no message');
}

/** Usage as rlm books it; no usage at all (some local servers) is booked at the call's bounds. */
export function usageOf(usage: WireUsage | undefined | null): Usage {
  if (!usage) return { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, estimated: true };
  const result: Usage = {
    inputTokens: usage.prompt_tokens ?? 0,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    outputTokens: usage.completion_tokens ?? 0,
  };
  // A reported cost beats any price table.
  if (typeof usage.cost === 'number') result.costUsd = usage.cost;
  return result;
}

/** The wire's finish reason in rlm's words. */
export function finishReasonOf(reason: string | null | undefined): FinishReason {
  if (reason === 'stop' || reason === 'length') return reason;
  if (reason === 'content_filter') return 'content-filter';
  return 'other';
}
