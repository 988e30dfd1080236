/**
 * How a run ended, and the one mapping from the error that ended it to that status, shared by the
 * RLM and the benchmark's baselines (two mappings once disagreed: a baseline out of time was
 * reported as `budget`).
 */
import { BudgetExceededError, type RlmError } from './errors.ts';

/**
 * - `done`: answered.
 * - `max_iterations`: out of turns; answered only if the last request got a final answer.
 * - `budget`: a call, token or cost limit was reached; `timeout`: the time limit.
 * - `cancelled`: the caller's signal aborted the run.
 * - `error`: a provider, sandbox or usage error ended it.
 */
export type RunStatus = 'done' | 'max_iterations' | 'budget' | 'timeout' | 'cancelled' | 'error';

/** The status of a run that `error` ended. */
export function statusOf(error: RlmError): RunStatus {
  if (error.code === 'RLM_CANCELLED') return 'cancelled';
  if (BudgetExceededError.isInstance(error)) return error.limit === 'time' ? 'timeout' : 'budget';
  if (error.code === 'RLM_BUDGET_EXCEEDED') return 'budget';
  return 'error';
}
