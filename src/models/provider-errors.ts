/**
 * Errors of the official SDKs (OpenAI's and Anthropic's share their shape) and of the network,
 * as errors with a stable code and a one-line message that names the endpoint.
 */
import { CancelledError, ProviderError, RlmError } from '../errors.ts';

type ErrorClass = abstract new (...args: any[]) => Error;

/** The error classes an SDK exports: `OpenAI.APIError`, `Anthropic.APIError`... */
export interface SdkErrors {
  APIError: ErrorClass;
  APIConnectionError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
  APIUserAbortError: ErrorClass;
}

interface ApiErrorShape extends Error {
  status?: number;
  headers?: Headers;
  error?: unknown;
}

/**
 * A 400 that refuses the model's name (OpenRouter: "x is not a valid model ID"), told from other
 * 400s about the model ("This model's maximum context length is...", "...not supported by the
 * model"): a refused name ends a run, a prompt too long is the model code's to handle.
 */
const MODEL_NAME_REFUSED = /not a valid model|invalid model|unknown model|model[^.]{0,80}\b(does not exist|not found|not exist)|no such model/i;

export function malformed(url: string, detail: string): ProviderError {
  return new ProviderError('RLM_PROVIDER', `malformed response from ${url}: ${detail}`, { retryable: true, url });
}

/** Maps SDK and network failures to errors with a stable code and a one-line message. */
export function toRlmError(sdk: SdkErrors, error: unknown, url: string, modelId: string, signal?: AbortSignal): RlmError {
  if (RlmError.isInstance(error)) return error;
  if (error instanceof sdk.APIUserAbortError || signal?.aborted) {
    const reason: unknown = signal?.reason;
    return RlmError.isInstance(reason) ? reason : new CancelledError();
  }
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return new ProviderError('RLM_PROVIDER', `request to ${url} timed out`, { retryable: true, url, cause: error });
  }
  if (error instanceof sdk.APIConnectionError) {
    const cause = describeCause(error.cause);
    return new ProviderError('RLM_ENDPOINT_UNREACHABLE', `cannot reach ${url}${cause ? ` (${cause})` : ''}`, {
      retryable: true,
      url,
      cause: error,
    });
  }
  if (error instanceof sdk.APIError) {
    const apiError = error as ApiErrorShape;
    const status = apiError.status;
    const detail = serverMessage(apiError);
    if (status === 401 || status === 403) {
      return new ProviderError('RLM_AUTH', `${url} refused the API key (${status}): ${detail}`, { status, retryable: false, url });
    }
    if (status === 404 || (status === 400 && MODEL_NAME_REFUSED.test(detail))) {
      return new ProviderError('RLM_MODEL_REJECTED', `${url} rejected model "${modelId}" (${status}): ${detail}`, {
        status,
        retryable: false,
        url,
      });
    }
    // 529 is Anthropic's "overloaded".
    const retryable = status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
    return new ProviderError('RLM_PROVIDER', `${url} answered ${status ?? 'an error'}: ${detail}`, {
      status,
      retryable,
      retryAfterMs: retryAfterMs(apiError.headers),
      url,
      cause: error,
    });
  }
  // The SDKs throw plain errors for bodies they cannot parse; a retry may get a good one.
  const message = error instanceof Error ? error.message : String(error);
  return malformed(url, message.split('\n')[0] ?? message);
}

function serverMessage(error: ApiErrorShape): string {
  // OpenAI: { error: { message } } arrives as `error`; Anthropic: { type, error: { message } }.
  const body = error.error as { message?: unknown; error?: { message?: unknown } } | undefined;
  const text = typeof body?.message === 'string' ? body.message : typeof body?.error?.message === 'string' ? body.error.message : error.message;
  return text.split('\n')[0]?.slice(0, 300) ?? '';
}

function describeCause(cause: unknown): string {
  let current = cause;
  // undici nests the socket error (ECONNREFUSED...) under `cause`.
  for (let i = 0; i < 4 && current instanceof Error; i++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return cause instanceof Error ? cause.message : '';
}

/** Reads `retry-after-ms` or `retry-after` (seconds, or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
