/**
 * The caps of the long-running commands (`rlm serve`, `rlm worker`): limits every run they take
 * is held to, which a request or a queued run can lower and never raise.
 */
import type { BudgetLimits } from '../budget.ts';
import { ASK_OPTIONS } from './args.ts';
import { usd, wholeNumber } from './flags.ts';
import type { Flags } from './options.ts';

export const CAP_FLAGS = {
  'max-cost': ASK_OPTIONS['max-cost'],
  'max-calls': ASK_OPTIONS['max-calls'],
  'max-tokens': ASK_OPTIONS['max-tokens'],
  timeout: ASK_OPTIONS.timeout,
} as const satisfies Flags;

/** The caps given, checked (a bad one is a usage error naming its flag); those not given are left out. */
export function readCaps(v: { 'max-cost'?: string; 'max-calls'?: string; 'max-tokens'?: string; timeout?: string }): BudgetLimits {
  const caps: BudgetLimits = {
    maxCostUsd: usd('--max-cost', v['max-cost']),
    maxCalls: wholeNumber('--max-calls', v['max-calls'], 1),
    maxTokens: wholeNumber('--max-tokens', v['max-tokens'], 1),
    timeoutMs: wholeNumber('--timeout', v.timeout, 1),
  };
  return Object.fromEntries(Object.entries(caps).filter(([, value]) => value !== undefined)) as BudgetLimits;
}
