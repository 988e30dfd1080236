/**
 * A bench run's outcome as it comes back from a worker, and the outcome of a run that never came
 * back. A worker of another version could answer with another shape: checked here, so that a
 * row is never written from half an outcome.
 */
import { RlmError, type RunStatus, type UsageReport, type UsageTotals } from 'rlm';
import type { MethodOutcome } from '../benchmark/methods.ts';

const STATUSES: readonly RunStatus[] = ['done', 'max_iterations', 'budget', 'timeout', 'cancelled', 'error'];
const TOTALS: ReadonlyArray<keyof UsageTotals> = ['calls', 'inputTokens', 'outputTokens', 'costUsd', 'unpricedCalls'];

/** The outcome a worker answered with, its status and usage checked; anything else is one RLM_USAGE error. */
export function parseOutcome(value: unknown): MethodOutcome {
  const outcome = value as Partial<MethodOutcome> | null;
  const total = outcome?.usage?.total as Record<string, unknown> | undefined;
  const fits =
    typeof outcome === 'object' &&
    outcome !== null &&
    STATUSES.includes(outcome.status as RunStatus) &&
    (outcome.answer === undefined || typeof outcome.answer === 'string') &&
    typeof outcome.durationMs === 'number' &&
    typeof total === 'object' &&
    TOTALS.every((key) => typeof total[key] === 'number');
  if (!fits)
    throw new RlmError(
      'RLM_USAGE',
      'a worker answered a bench job with something other than a run of it (is its rlm-bench another version?)',
    );
  return outcome as MethodOutcome;
}

/**
 * A run that ended without an outcome: withdrawn (`cancelled`), or failed on the worker or on
 * the way (`error`, with the error's code when it has one). Nothing is known of what it spent.
 */
export function outcomeWithout(status: 'cancelled' | 'error', error?: unknown): MethodOutcome {
  const code = RlmError.isInstance(error) ? error.code : undefined;
  return {
    answer: undefined,
    status,
    usage: emptyUsage(),
    durationMs: 0,
    ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
    ...(code ? { errorCode: code } : {}),
  };
}

function emptyUsage(): UsageReport {
  const total: UsageTotals = {
    calls: 0,
    inputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteInputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    unpricedCalls: 0,
    estimatedCalls: 0,
  };
  return {
    total,
    byModel: {},
    byDepth: {},
    iterationsByDepth: {},
    memo: { hits: 0, savedInputTokens: 0, savedOutputTokens: 0, savedCostUsd: 0 },
  };
}
