/**
 * A run that ended without an answer, as an error for an AI SDK caller: `generateText` rejects
 * with it, a stream ends with it, an agent's tool call fails with it. Text is never made up.
 */
import { RlmError } from '../errors.ts';
import type { RunResult } from '../rlm.ts';

const MARKER = Symbol.for('rlm.error.no-answer');

/**
 * The code is the run's own (`RLM_BUDGET_EXCEEDED`, `RLM_MAX_ITERATIONS`, `RLM_PROVIDER`...), the
 * message says the status and why, and `result` is the whole run: status, usage, turns.
 *
 * @example
 * try {
 *   await generateText({ model: rlmModel({ rlm }), prompt });
 * } catch (error) {
 *   if (NoAnswerError.isInstance(error)) console.error(error.result.status, error.result.usage.total.costUsd);
 * }
 */
export class NoAnswerError extends RlmError {
  readonly result: RunResult;

  constructor(result: RunResult) {
    const reason = result.error?.message ?? 'the model gave no final answer';
    super(result.error?.code ?? 'RLM_MAX_ITERATIONS', `the RLM ended without an answer (status ${result.status}): ${reason}`);
    this.name = 'NoAnswerError';
    this.result = result;
    Object.defineProperty(this, MARKER, { value: true });
  }

  /** True for this error, even one made by another copy of rlm. */
  static override isInstance(error: unknown): error is NoAnswerError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** Why a run gave no answer: the caller's own abort reason when its signal cancelled the run (as an aborted `fetch` rejects), else a {@link NoAnswerError}. */
export function runFailure(result: RunResult, signal: AbortSignal | undefined): unknown {
  if (result.status === 'cancelled' && signal?.aborted) return signal.reason;
  return new NoAnswerError(result);
}
