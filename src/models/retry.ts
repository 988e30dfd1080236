/**
 * Retries 429s, 5xx answers and network failures with exponential backoff and full jitter,
 * waiting at least as long as the server's `Retry-After` asks.
 */
import { asCancelled, ProviderError, throwIfAborted } from '../errors.ts';
import { wrapModel, type Model } from './model.ts';

/** How failed calls are retried. */
export interface RetryOptions {
  /** Attempts after the first (default 4). */
  maxRetries?: number;
  /** First backoff step in ms (default 500); each retry doubles it. */
  baseDelayMs?: number;
  /** Longest wait between attempts in ms (default 30 s); a longer Retry-After is still honoured. */
  maxDelayMs?: number;
  /** Called before each wait, e.g. to show "retrying in 2.0 s". */
  onRetry?: (info: { attempt: number; delayMs: number; error: ProviderError }) => void;
}

/**
 * The model, retrying 429s, 5xx answers, malformed replies and network failures with exponential
 * backoff and full jitter, never sooner than the server's `Retry-After`.
 *
 * @example
 * const model = withRetry(createOpenAIModel({ model: 'gpt-5-mini' }), { maxRetries: 6 });
 */
export function withRetry(model: Model, options: RetryOptions = {}): Model {
  const maxRetries = options.maxRetries ?? 4;
  const base = options.baseDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 30_000;
  return wrapModel(model, (inner) => async (request) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await inner.generate(request);
      } catch (error) {
        if (!ProviderError.isInstance(error) || !error.retryable || attempt >= maxRetries) throw error;
        throwIfAborted(request.signal);
        const backoff = Math.random() * Math.min(cap, base * 2 ** attempt);
        const delayMs = Math.max(backoff, error.retryAfterMs ?? 0);
        options.onRetry?.({ attempt: attempt + 1, delayMs, error });
        await sleep(delayMs, request.signal);
      }
    }
  });
}

/** Waits `ms`, or rejects as cancelled as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(asCancelled(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(asCancelled(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
