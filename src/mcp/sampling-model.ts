/**
 * A {@link Model} served by the MCP client's own model, through `sampling/createMessage`: what
 * `rlm mcp` runs on when no endpoint or key is configured and the client can sample. Our system
 * message becomes `systemPrompt`, the rest the sampled conversation. Sampling reports no token
 * counts: each call's usage is an estimate (about four characters a token, flagged `estimated`),
 * and the model has no price, so a cost limit cannot hold over it (and is refused).
 */
import { ProviderError, RlmError } from '../errors.ts';
import type { FinishReason, GenerateRequest, GenerateResult, Model } from '../models/model.ts';
import { DEFAULT_OUTPUT_CAP } from '../models/reservation.ts';

/** The model id a run on the client's model is booked under (the id the client answered with is `modelId`). */
export const SAMPLING_MODEL_ID = 'mcp-sampling';

/** A `sampling/createMessage` request's params, as rlm sends them. */
export interface SamplingParams {
  messages: { role: 'user' | 'assistant'; content: { type: 'text'; text: string } }[];
  systemPrompt?: string;
  maxTokens: number;
  temperature?: number;
  modelPreferences?: { hints: { name: string }[] };
  includeContext: 'none';
}

/** What rlm reads of the client's answer. */
export interface SamplingAnswer {
  model: string;
  stopReason?: string | undefined;
  content: unknown;
}

/** Sends one sampling request to the client (the server's `createMessage`, related to the tool call). */
export type SampleFn = (params: SamplingParams, signal: AbortSignal | undefined) => Promise<SamplingAnswer>;

export interface SamplingModelOptions {
  sample: SampleFn;
  /** A model name to hint to the client (`modelPreferences.hints`), e.g. from `--model`. */
  hint?: string | undefined;
  /** Where the requests go, for messages: e.g. `mcp-client:claude-code`. */
  url?: string;
}

/**
 * The client's model as a {@link Model}.
 *
 * @example
 * const model = createSamplingModel({ sample: (params, signal) => server.createMessage(params, { signal }) });
 */
export function createSamplingModel(options: SamplingModelOptions): Model {
  const url = options.url ?? 'mcp-client';
  return {
    // Never the hint alone: a hint of `gpt-5` would be priced as OpenAI's, for a model the client chose.
    id: options.hint === undefined ? SAMPLING_MODEL_ID : `${SAMPLING_MODEL_ID}:${options.hint}`,
    url,
    withId: (id) => createSamplingModel({ ...options, hint: id }),
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      const params = samplingParams(request, options.hint);
      let answer: SamplingAnswer;
      try {
        answer = await options.sample(params, request.signal);
      } catch (error) {
        if (request.signal?.aborted) throw error;
        const reason = (error as Error).message ?? String(error);
        // The client said no (the user declined, no model, a timeout): asking again would not help.
        throw new ProviderError('RLM_PROVIDER', `the MCP client's model did not answer the sampling request: ${reason}`, {
          retryable: false,
          url,
          cause: error,
        });
      }
      const text = textOf(answer.content);
      const inputChars = request.messages.reduce((n, m) => n + m.content.length, 0);
      return {
        text,
        usage: { inputTokens: Math.ceil(inputChars / 4), cachedInputTokens: 0, outputTokens: Math.ceil(text.length / 4), estimated: true },
        finishReason: finishReasonOf(answer.stopReason),
        modelId: answer.model || SAMPLING_MODEL_ID,
      };
    },
  };
}

/** Our conversation as sampling params: system messages joined into `systemPrompt`, the rest in order. */
export function samplingParams(request: GenerateRequest, hint: string | undefined): SamplingParams {
  const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
  const messages = request.messages
    .filter((m) => m.role !== 'system')
    .map((m) => ({ role: m.role as 'user' | 'assistant', content: { type: 'text' as const, text: m.content } }));
  if (messages.length === 0) throw new RlmError('RLM_USAGE', 'a sampling request needs at least one user message');
  return {
    messages,
    ...(system.length > 0 ? { systemPrompt: system.join('\n\n') } : {}),
    maxTokens: request.maxOutputTokens ?? DEFAULT_OUTPUT_CAP,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(hint === undefined ? {} : { modelPreferences: { hints: [{ name: hint }] } }),
    // The run's own conversation is all the model needs: none of the client's context is added.
    includeContext: 'none',
  };
}

/** The text of a sampled answer: a text block, or the text blocks of an array, joined. */
function textOf(content: unknown): string {
  const blocks = Array.isArray(content) ? content : [content];
  return blocks
    .filter(
      (b): b is { type: 'text'; text: string } => typeof b === 'object' && b !== null && b.type === 'text' && typeof b.text === 'string',
    )
    .map((b) => b.text)
    .join('');
}

function finishReasonOf(stopReason: string | undefined): FinishReason {
  if (stopReason === undefined || stopReason === 'endTurn' || stopReason === 'stopSequence') return 'stop';
  if (stopReason === 'maxTokens') return 'length';
  return 'other';
}
