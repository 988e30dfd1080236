/**
 * Every error rlm raises on purpose is an {@link RlmError} with a stable `code`. Callers branch on
 * the code (the CLI maps codes to exit codes in one place), never on message text.
 */
export type RlmErrorCode =
  | 'RLM_USAGE'
  | 'RLM_INPUT'
  | 'RLM_MISSING_KEY'
  | 'RLM_NO_MODEL'
  | 'RLM_ENDPOINT_UNREACHABLE'
  | 'RLM_MODEL_REJECTED'
  | 'RLM_AUTH'
  | 'RLM_PROVIDER'
  | 'RLM_BUDGET_EXCEEDED'
  | 'RLM_MAX_ITERATIONS'
  | 'RLM_CANCELLED'
  | 'RLM_TIMEOUT'
  | 'RLM_SANDBOX'
  | 'RLM_REPLAY_MISMATCH';

const MARKER = Symbol.for('rlm.error');

export class RlmError extends Error {
  readonly code: RlmErrorCode;
  readonly [MARKER] = true;

  constructor(code: RlmErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RlmError';
    this.code = code;
  }

  /** True for any rlm error, even one made by another copy of this package. */
  static isInstance(error: unknown): error is RlmError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** A provider answered with an error, or could not be reached. */
export class ProviderError extends RlmError {
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** Whether trying again later may succeed (429, 5xx, network failures). */
  readonly retryable: boolean;
  /** How long the server asked us to wait before retrying, from `Retry-After`. */
  readonly retryAfterMs: number | undefined;
  readonly url: string;

  constructor(
    code: RlmErrorCode,
    message: string,
    fields: { status?: number; retryable: boolean; retryAfterMs?: number; url: string; cause?: unknown },
  ) {
    super(code, message, { cause: fields.cause });
    this.name = 'ProviderError';
    this.status = fields.status;
    this.retryable = fields.retryable;
    this.retryAfterMs = fields.retryAfterMs;
    this.url = fields.url;
  }
}

export class BudgetExceededError extends RlmError {
  readonly limit: string;
  constructor(limit: string, message: string) {
    super('RLM_BUDGET_EXCEEDED', message);
    this.name = 'BudgetExceededError';
    this.limit = limit;
  }
}

export class CancelledError extends RlmError {
  constructor(message = 'cancelled') {
    super('RLM_CANCELLED', message);
    this.name = 'CancelledError';
  }
}

/** Throws the signal's reason as a {@link CancelledError} if it has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw asCancelled(signal.reason);
}

export function asCancelled(reason: unknown): RlmError {
  if (RlmError.isInstance(reason)) return reason;
  return new CancelledError(reason instanceof Error ? reason.message : 'cancelled');
}
