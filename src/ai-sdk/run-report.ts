/**
 * A run's result in the AI SDK's terms: the usage of the whole recursion tree, the facts a caller
 * may want beside the text (`providerMetadata.rlm`).
 */
import type { JSONObject, LanguageModelV4Usage } from '@ai-sdk/provider';
import type { RunResult } from '../rlm.ts';

/** Every call of the tree (root turns, sub-calls, child RLMs) summed, as the AI SDK counts usage. */
export function usageOf(result: RunResult): LanguageModelV4Usage {
  const { inputTokens, cachedInputTokens, cacheWriteInputTokens, outputTokens } = result.usage.total;
  return {
    inputTokens: {
      total: inputTokens,
      noCache: Math.max(0, inputTokens - cachedInputTokens - cacheWriteInputTokens),
      cacheRead: cachedInputTokens,
      cacheWrite: cacheWriteInputTokens,
    },
    outputTokens: { total: outputTokens, text: undefined, reasoning: undefined },
  };
}

/** What `providerMetadata.rlm` holds: how the run ended and what it cost. */
export function runMetadata(result: RunResult): JSONObject {
  const { calls, costUsd, unpricedCalls } = result.usage.total;
  return {
    status: result.status,
    iterations: result.iterations,
    durationMs: Math.round(result.durationMs),
    calls,
    costUsd,
    // A cost is only the whole cost when every call had a price.
    unpricedCalls,
    ...(result.error ? { error: { code: result.error.code, message: result.error.message } } : {}),
  };
}
