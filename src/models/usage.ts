/** Token and cost accounting, summed in one place. */
export interface Usage {
  inputTokens: number;
  /** Part of `inputTokens` served from the provider's prompt cache. */
  cachedInputTokens: number;
  /** Part of `inputTokens` written to the provider's prompt cache (Anthropic). */
  cacheWriteInputTokens?: number;
  outputTokens: number;
  /** Cost in USD, when the provider reported it or a price is known; otherwise undefined. */
  costUsd?: number;
  /** The provider reported no usage: the numbers are rlm's upper bounds for the call. */
  estimated?: boolean;
}

/** Usage summed over many calls, with how many had no price and how many were estimated. */
export interface UsageTotals {
  calls: number;
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteInputTokens: number;
  outputTokens: number;
  /** Sum of the costs that were known. */
  costUsd: number;
  /** Calls whose cost could not be known (no price for the model). */
  unpricedCalls: number;
  /** Calls for which the provider reported no usage, booked at their upper bounds. */
  estimatedCalls: number;
}

export function emptyTotals(): UsageTotals {
  return {
    calls: 0,
    inputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteInputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    unpricedCalls: 0,
    estimatedCalls: 0,
  };
}

export function addUsage(totals: UsageTotals, usage: Usage): void {
  totals.calls += 1;
  totals.inputTokens += usage.inputTokens;
  totals.cachedInputTokens += usage.cachedInputTokens;
  totals.cacheWriteInputTokens += usage.cacheWriteInputTokens ?? 0;
  totals.outputTokens += usage.outputTokens;
  if (usage.estimated) totals.estimatedCalls += 1;
  if (usage.costUsd === undefined) totals.unpricedCalls += 1;
  else totals.costUsd += usage.costUsd;
}
