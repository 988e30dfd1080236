/**
 * How a run that stopped on an error is reported, in one place for the RLM and the baselines:
 * they had two mappings that disagreed (a baseline out of time was reported as `budget`, since it
 * looked for an error code nothing throws).
 */
import { BudgetExceededError, RlmError } from './errors.ts';
import type { RunStatus } from './trace/events.ts';

export function statusOfError(error: RlmError): RunStatus {
  if (error.code === 'RLM_CANCELLED') return 'cancelled';
  if (error instanceof BudgetExceededError || error.code === 'RLM_BUDGET_EXCEEDED') {
    return (error as Partial<BudgetExceededError>).limit === 'time' ? 'timeout' : 'budget';
  }
  return 'error';
}
