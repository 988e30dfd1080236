/**
 * An RLM as a tool any AI SDK agent can call, for the inputs too large for the agent's own model
 * to read: the agent passes a question (and the large input, unless the tool was made over a
 * fixed context or corpus) and gets the RLM's answer back.
 */
import type { Corpus } from '../inputs/corpus.ts';
import { isCorpus } from '../inputs/is-corpus.ts';
import type { RLM, RLMOptions, RunResult } from '../rlm.ts';
import type { RunStatus } from '../run-status.ts';
import type { ContextValue } from '../sandboxes/index.ts';
import { runFailure } from './no-answer-error.ts';
import { resolveRlm } from './resolve-rlm.ts';
import { toolInputSchema, type RlmToolInput, type RlmToolInputSchema } from './tool-input.ts';

/** How {@link rlmTool} is made. */
export interface RlmToolOptions {
  /** The RLM to run, or the options to make one with. */
  rlm: RLM | RLMOptions;
  /**
   * A fixed context (a text, a list, JSON data, or a `Corpus` from `loadCorpus`): the agent then
   * passes only its question. Without one, the agent passes the large input as `context`.
   */
  context?: ContextValue | Corpus | undefined;
  /** Replaces the default description, which tells the agent when the tool is worth calling. */
  description?: string | undefined;
}

/** What the tool returns to the agent. */
export interface RlmToolOutput {
  answer: string;
  /** `done`, or the limit that stopped the run after the root gave its best answer. */
  status: RunStatus;
  /** Turns the root model took. */
  iterations: number;
  /** What the whole recursion tree spent. */
  usage: { calls: number; inputTokens: number; outputTokens: number; costUsd: number };
}

/** The tool, as `tool()` from `ai` makes one: put it in `tools` of `generateText`, `streamText` or an `Agent`. */
export interface RlmTool {
  description: string;
  inputSchema: RlmToolInputSchema;
  execute(input: RlmToolInput, options: { abortSignal?: AbortSignal | undefined }): Promise<RlmToolOutput>;
}

/**
 * An RLM as an AI SDK tool. Each call is one run; the call's abort signal stops it (the call then
 * rejects with the signal's reason). A run that ends without an answer (a limit, a provider
 * failure) throws a `NoAnswerError`, which the agent sees as the tool's error, with the reason.
 *
 * @example
 * import { generateText, stepCountIs } from 'ai';
 * import { createOpenAIModel, loadCorpus } from 'rlm';
 * import { rlmTool } from 'rlm/ai-sdk';
 *
 * const docs = rlmTool({ rlm: { model: createOpenAIModel({ model: 'gpt-5-mini' }) }, context: await loadCorpus(['./docs']) });
 * const { text } = await generateText({ model: agentModel, tools: { docs }, stopWhen: stepCountIs(5), prompt: 'How do I rotate the API keys?' });
 */
export function rlmTool(options: RlmToolOptions): RlmTool {
  const { rlm } = resolveRlm(options.rlm);
  const fixed = options.context;
  return {
    description: options.description ?? defaultDescription(fixed),
    inputSchema: toolInputSchema(fixed === undefined),
    async execute(input, { abortSignal }) {
      const context = fixed ?? input.context ?? '';
      const result = await rlm.run({ context, query: input.query, ...(abortSignal ? { signal: abortSignal } : {}) });
      if (result.answer === undefined) throw runFailure(result, abortSignal);
      return outputOf(result, result.answer);
    },
  };
}

function outputOf(result: RunResult, answer: string): RlmToolOutput {
  const { calls, inputTokens, outputTokens, costUsd } = result.usage.total;
  return { answer, status: result.status, iterations: result.iterations, usage: { calls, inputTokens, outputTokens, costUsd } };
}

const HOW =
  'It reads the material with code and sub-queries, so its size does not matter, but a call takes longer and costs more than a plain answer: use it when the material is too long to read yourself, and ask one self-contained question per call.';

function defaultDescription(fixed: ContextValue | Corpus | undefined): string {
  if (fixed === undefined) {
    return `Answers a question over a large text (a long document, logs, many records, a codebase) passed whole as \`context\`. ${HOW}`;
  }
  return `Answers a question over ${described(fixed)}, which it holds: pass only \`query\`. ${HOW}`;
}

/** What the fixed material is, in a few words, so that the agent knows which questions it answers. */
function described(context: ContextValue | Corpus): string {
  if (isCorpus(context)) return `a corpus of ${context.summary()}`;
  if (typeof context === 'string') return `a text of ${context.length.toLocaleString('en-US')} characters`;
  if (Array.isArray(context)) return `a list of ${context.length.toLocaleString('en-US')} items`;
  return `JSON data of ${(JSON.stringify(context) ?? '').length.toLocaleString('en-US')} characters`;
}
