/**
 * An RLM as a Vercel AI SDK language model (specification v4, as `ai` 7 calls it), so that
 * `generateText`, `streamText` and anything built on them run an RLM where they would run a
 * model. The AI SDK is only a type here: nothing of it is imported at run time.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  SharedV4Warning,
} from '@ai-sdk/provider';
import { CancelledError } from '../errors.ts';
import type { Corpus } from '../inputs/corpus.ts';
import type { PriceTable } from '../models/prices.ts';
import type { RLM, RLMOptions, RunResult } from '../rlm.ts';
import type { ContextValue } from '../sandboxes/index.ts';
import type { JsonSchema } from '../schema/index.ts';
import type { RlmEvent } from '../trace/events.ts';
import { callSettings } from './call-settings.ts';
import { ProgressLines } from './progress-lines.ts';
import { promptRun } from './prompt-input.ts';
import { resolveRlm } from './resolve-rlm.ts';
import { runFailure } from './no-answer-error.ts';
import { runMetadata, usageOf } from './run-report.ts';

/** How {@link rlmModel} is made. */
export interface RlmModelOptions {
  /** The RLM to run, or the options to make one with. */
  rlm: RLM | RLMOptions;
  /**
   * A fixed context (a text, a list, JSON data, or a `Corpus` from `loadCorpus`): every call runs
   * over it, and the prompt is only the question (earlier turns go with it as the conversation).
   * Without one, what comes before the question (earlier messages, files) is the context.
   */
  context?: ContextValue | Corpus | undefined;
  /** The name the AI SDK shows for this model (default `rlm`). */
  modelId?: string | undefined;
}

const PROGRESS_ID = 'rlm-progress';
const ANSWER_ID = 'rlm-answer';

/**
 * An RLM as an AI SDK language model. The last user message is the question; system messages
 * are instructions that go with it; earlier messages and files (text, PDF, DOCX) are the context,
 * unless the model was made over a fixed `context`. A JSON response format (`Output.object`)
 * becomes the run's answer schema. Streaming shows the run's progress as reasoning, one line per
 * root turn and as sub-calls end, then the answer as text. Usage is the whole recursion tree's;
 * `providerMetadata.rlm` has the run's status, turns and cost. A run that ends without an answer
 * (a limit, a provider failure) is an error for the caller, never text. Call settings the RLM
 * cannot honour (temperature, tools...) are returned as warnings. Aborting the call stops the run.
 *
 * @example
 * import { generateText, streamText } from 'ai';
 * import { createOpenAIModel, loadCorpus } from 'rlm';
 * import { rlmModel } from 'rlm/ai-sdk';
 *
 * const model = rlmModel({ rlm: { model: createOpenAIModel({ model: 'gpt-5' }) }, context: await loadCorpus(['./docs']) });
 * const { text } = await generateText({ model, prompt: 'Which endpoints are deprecated?' });
 * for await (const part of streamText({ model, prompt: 'And their replacements?' }).fullStream) {
 *   if (part.type === 'reasoning-delta') process.stderr.write(part.text);
 * }
 */
export function rlmModel(options: RlmModelOptions): LanguageModelV4 {
  const { rlm, prices } = resolveRlm(options.rlm);
  const modelId = options.modelId ?? 'rlm';

  async function prepare(call: LanguageModelV4CallOptions) {
    const { warnings, schema } = callSettings(call);
    const run = await promptRun(call.prompt, options.context);
    return { warnings, schema, run };
  }

  return {
    specificationVersion: 'v4',
    provider: 'rlm',
    modelId,
    // No URL is read by the RLM: the AI SDK downloads a file given by URL and passes its content.
    supportedUrls: {},

    async doGenerate(call: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
      const { warnings, schema, run } = await prepare(call);
      const lines = new ProgressLines(() => {}, prices);
      const started = rlm.start({ ...run, schema, ...(call.abortSignal ? { signal: call.abortSignal } : {}) });
      for await (const event of started.events) lines.onEvent(event);
      const result = await started.result;
      if (result.answer === undefined) throw runFailure(result, call.abortSignal);
      return {
        content: [
          { type: 'reasoning', text: lines.line() },
          { type: 'text', text: answerText(result, schema) },
        ],
        finishReason: finishReasonOf(result),
        usage: usageOf(result),
        providerMetadata: { rlm: runMetadata(result) },
        response: { modelId },
        warnings,
      };
    },

    async doStream(call: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
      const { warnings, schema, run } = await prepare(call);
      // Stopped by the caller's signal or by the reader cancelling the stream, whichever comes first.
      const stop = new AbortController();
      const onAbort = () => stop.abort(call.abortSignal?.reason);
      if (call.abortSignal?.aborted) onAbort();
      else call.abortSignal?.addEventListener('abort', onAbort, { once: true });
      const started = rlm.start({ ...run, schema, signal: stop.signal });
      // A run that cannot start rejects; a stream nobody reads must not make that an unhandled rejection.
      started.result.catch(() => {});
      const parts = streamParts(started, { warnings, schema, modelId, prices, signal: stop.signal });
      const stream = new ReadableStream<LanguageModelV4StreamPart>(
        {
          async pull(controller) {
            const next = await parts.next();
            if (!next.done) return controller.enqueue(next.value);
            call.abortSignal?.removeEventListener('abort', onAbort);
            // Only once the error part has been read (pulls come one read at a time): an errored
            // stream drops what it holds. Failing it makes `await result.text` reject, not resolve to ''.
            if (next.value === undefined) controller.close();
            else controller.error(next.value);
          },
          async cancel() {
            stop.abort(new CancelledError('the stream was cancelled'));
            call.abortSignal?.removeEventListener('abort', onAbort);
            await started.result.catch(() => {});
          },
        },
        { highWaterMark: 0 },
      );
      return { stream };
    },
  };
}

/**
 * The parts of a streamed run: its progress as reasoning, then its answer as text and the finish;
 * or, for a run without an answer, an error part, and that error as the generator's return value
 * for the stream to fail with.
 */
async function* streamParts(
  started: { events: AsyncIterable<RlmEvent>; result: Promise<RunResult> },
  how: {
    warnings: SharedV4Warning[];
    schema: JsonSchema | undefined;
    modelId: string;
    prices: PriceTable | undefined;
    signal: AbortSignal;
  },
): AsyncGenerator<LanguageModelV4StreamPart, unknown> {
  yield { type: 'stream-start', warnings: how.warnings };
  yield { type: 'response-metadata', modelId: how.modelId };
  yield { type: 'reasoning-start', id: PROGRESS_ID };
  const lines: string[] = [];
  const progress = new ProgressLines((line) => lines.push(line), how.prices);
  let result: RunResult;
  try {
    for await (const event of started.events) {
      progress.onEvent(event);
      for (const line of lines.splice(0)) yield { type: 'reasoning-delta', id: PROGRESS_ID, delta: `${line}\n` };
    }
    result = await started.result;
  } catch (error) {
    // The run could not start (a schema that is not one, a cost limit on an unpriced model).
    yield { type: 'reasoning-end', id: PROGRESS_ID };
    yield { type: 'error', error };
    return error;
  }
  yield { type: 'reasoning-delta', id: PROGRESS_ID, delta: `${progress.line()}\n` };
  yield { type: 'reasoning-end', id: PROGRESS_ID };
  if (result.answer === undefined) {
    const failure = runFailure(result, how.signal);
    yield { type: 'error', error: failure };
    return failure;
  }
  yield { type: 'text-start', id: ANSWER_ID };
  yield { type: 'text-delta', id: ANSWER_ID, delta: answerText(result, how.schema) };
  yield { type: 'text-end', id: ANSWER_ID };
  yield { type: 'finish', usage: usageOf(result), providerMetadata: { rlm: runMetadata(result) }, finishReason: finishReasonOf(result) };
  return undefined;
}

/** The answer as text; for a call that asked for JSON, the checked value as JSON, for the AI SDK to parse. */
function answerText(result: RunResult, schema: JsonSchema | undefined): string {
  return schema === undefined ? result.answer! : JSON.stringify(result.value ?? null);
}

/** `stop` for an answer; `length` for the best answer the root gave when a limit stopped the run. */
function finishReasonOf(result: RunResult): LanguageModelV4FinishReason {
  return { unified: result.status === 'done' ? 'stop' : 'length', raw: result.status };
}
