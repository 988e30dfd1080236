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
  | 'RLM_SANDBOX'
  | 'RLM_REPLAY_MISMATCH'
  | 'RLM_SCHEMA_MISMATCH';

/**
 * Each class has its own marker, registered globally with `Symbol.for`, so that `isInstance`
 * holds for an error made by another copy of this package (two installed versions, a bundled
 * copy, a worker), where `instanceof` would not.
 */
const MARKERS = {
  RlmError: Symbol.for('rlm.error'),
  ProviderError: Symbol.for('rlm.error.provider'),
  BudgetExceededError: Symbol.for('rlm.error.budget-exceeded'),
  CancelledError: Symbol.for('rlm.error.cancelled'),
} as const;

function hasMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/** An error rlm raised on purpose; `code` says what went wrong. */
export class RlmError extends Error {
  readonly code: RlmErrorCode;

  constructor(code: RlmErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RlmError';
    this.code = code;
    Object.defineProperty(this, MARKERS.RlmError, { value: true });
  }

  /** True for any rlm error, even one made by another copy of this package. */
  static isInstance(error: unknown): error is RlmError {
    return hasMarker(error, MARKERS.RlmError);
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
  /** Where the request went. */
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
    Object.defineProperty(this, MARKERS.ProviderError, { value: true });
  }

  /** True for a provider error, even one made by another copy of this package. */
  static override isInstance(error: unknown): error is ProviderError {
    return hasMarker(error, MARKERS.ProviderError);
  }
}

/** Which limit of {@link BudgetLimits} a run reached. */
export type LimitKind = 'calls' | 'tokens' | 'cost' | 'time';

const LIMIT_UNITS: Record<LimitKind, (n: number) => string> = {
  calls: (n) => `${n} calls`,
  tokens: (n) => `${n} tokens`,
  cost: (n) => `$${n}`,
  time: (n) => `${n} ms`,
};

/**
 * A limit of the run was reached: `limit` says which, `max` is the limit as set (calls, tokens,
 * USD or ms) and `spent` what had been used of it when it was reached.
 */
export class BudgetExceededError extends RlmError {
  readonly limit: LimitKind;
  readonly max: number;
  readonly spent: number;

  constructor(limit: LimitKind, max: number, spent: number) {
    super(
      'RLM_BUDGET_EXCEEDED',
      `${limit === 'calls' ? 'call' : limit === 'tokens' ? 'token' : limit} limit reached (${LIMIT_UNITS[limit](max)})`,
    );
    this.name = 'BudgetExceededError';
    this.limit = limit;
    this.max = max;
    this.spent = spent;
    Object.defineProperty(this, MARKERS.BudgetExceededError, { value: true });
  }

  /** True for a limit reached, even by another copy of this package. */
  static override isInstance(error: unknown): error is BudgetExceededError {
    return hasMarker(error, MARKERS.BudgetExceededError);
  }
}

/** The run, or the call, was cancelled: by the caller's signal, or because the run ended. */
export class CancelledError extends RlmError {
  constructor(message = 'cancelled') {
    super('RLM_CANCELLED', message);
    this.name = 'CancelledError';
    Object.defineProperty(this, MARKERS.CancelledError, { value: true });
  }

  /** True for a cancellation, even by another copy of this package. */
  static override isInstance(error: unknown): error is CancelledError {
    return hasMarker(error, MARKERS.CancelledError);
  }
}

/** Throws the signal's reason as a {@link CancelledError} if it has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw asCancelled(signal.reason);
}

/** The reason a signal was aborted for, as an rlm error: its own if it is one, else a cancellation. */
export function asCancelled(reason: unknown): RlmError {
  if (RlmError.isInstance(reason)) return reason;
  return new CancelledError(reason instanceof Error ? reason.message : 'cancelled');
}
