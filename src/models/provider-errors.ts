/**
 * What a failed model call means, in one place for every provider: an HTTP status becomes a stable
 * code (`RLM_AUTH`, `RLM_MODEL_REJECTED`, `RLM_PROVIDER`), a request that never got an answer
 * becomes `RLM_ENDPOINT_UNREACHABLE`, a body that cannot be read a retryable `RLM_PROVIDER`, and an
 * aborted signal a `CancelledError`. Each provider only reads its own errors' shape (the official
 * SDKs' here, the AI SDK's in ai-sdk.ts) and hands the facts to these functions, so a 429 means
 * the same to a run whichever provider answered it.
 */
import { CancelledError, ProviderError, RlmError } from '../errors.ts';

/** An error class, as the SDKs export them. */
type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * The error classes an official SDK exports: `OpenAI.APIError`, `Anthropic.APIError`... Both SDK
 * classes carry them as statics, so a client's own constructor is a valid `SdkErrors`, whichever
 * copy of the SDK made it.
 */
export interface SdkErrors {
  APIError: ErrorClass;
  APIConnectionError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
  APIUserAbortError: ErrorClass;
}

/** What an HTTP error answer tells: enough to choose a code and say what happened in one line. */
export interface HttpFailure {
  /** The answer's HTTP status. */
  status: number;
  /** The server's own message, one line. */
  detail: string;
  /** The answer's headers, read for `Retry-After`. */
  headers?: Headers | undefined;
  /** The provider's own error, kept as the cause of a retryable one. */
  cause?: unknown;
}

/**
 * A 400 that refuses the model's name (OpenRouter: "x is not a valid model ID"), told from other
 * 400s about the model ("This model's maximum context length is...", "...not supported by the
 * model"): a refused name ends a run, a prompt too long is the model code's to handle.
 */
const MODEL_NAME_REFUSED =
  /not a valid model|invalid model|unknown model|model[^.]{0,80}\b(does not exist|not found|not exist)|no such model/i;

/**
 * The one status-to-code mapping. 401/403: the key was refused (`RLM_AUTH`, final). 404, or a 400
 * refusing the model's name: `RLM_MODEL_REJECTED` (final). 2xx: the body could not be read (see
 * {@link malformed}). Anything else is `RLM_PROVIDER`, retryable for 408, 409, 429 and 5xx (529 is
 * Anthropic's "overloaded"), with the delay `Retry-After` asks for.
 */
export function fromHttpStatus(failure: HttpFailure, url: string, modelId: string): ProviderError {
  const { status, detail } = failure;
  if (status >= 200 && status < 300) return malformed(url, detail);
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
  const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
  const delay = retryAfterMs(failure.headers);
  return new ProviderError('RLM_PROVIDER', `${url} answered ${status}: ${detail}`, {
    status,
    retryable,
    ...(delay === undefined ? {} : { retryAfterMs: delay }),
    url,
    cause: failure.cause,
  });
}

/** A request that got no answer at all: refused connection, unknown host, reset socket. Retryable. */
export function unreachable(url: string, cause: unknown): ProviderError {
  const why = describeCause(cause);
  return new ProviderError('RLM_ENDPOINT_UNREACHABLE', `cannot reach ${url}${why ? ` (${why})` : ''}`, { retryable: true, url, cause });
}

/** A request that got an answer but no time to finish it. Retryable. */
export function timedOut(url: string, cause: unknown): ProviderError {
  return new ProviderError('RLM_PROVIDER', `request to ${url} timed out`, { retryable: true, url, cause });
}

/** An answer whose body cannot be read as the API's. Retryable: the next answer may be whole. */
export function malformed(url: string, detail: string): ProviderError {
  return new ProviderError('RLM_PROVIDER', `malformed response from ${url}: ${firstLine(detail)}`, { retryable: true, url });
}

/** The error for a call its signal ended: the signal's reason if that is an rlm error, else a {@link CancelledError}. */
export function cancelled(signal: AbortSignal | undefined): RlmError {
  const reason: unknown = signal?.reason;
  return RlmError.isInstance(reason) ? reason : new CancelledError();
}

/** Maps an official SDK's errors (OpenAI's and Anthropic's share their shape) and the network's. */
export function toRlmError(sdk: SdkErrors, error: unknown, url: string, modelId: string, signal?: AbortSignal): RlmError {
  if (RlmError.isInstance(error)) return error;
  if (error instanceof sdk.APIUserAbortError || signal?.aborted) return cancelled(signal);
  // The timeout error is a kind of connection error: ask about it first.
  if (error instanceof sdk.APIConnectionTimeoutError) return timedOut(url, error);
  if (error instanceof sdk.APIConnectionError) return unreachable(url, error);
  if (error instanceof sdk.APIError) {
    const apiError = error as ApiErrorShape;
    const detail = serverMessage(apiError);
    if (apiError.status === undefined)
      return new ProviderError('RLM_PROVIDER', `${url} answered an error: ${detail}`, { retryable: true, url, cause: error });
    return fromHttpStatus({ status: apiError.status, detail, headers: apiError.headers, cause: error }, url, modelId);
  }
  // The SDKs throw plain errors (a SyntaxError...) for bodies they cannot parse.
  return malformed(url, error instanceof Error ? error.message : String(error));
}

/** What an SDK's `APIError` carries besides its message. */
interface ApiErrorShape extends Error {
  status?: number;
  headers?: Headers;
  error?: unknown;
}

function serverMessage(error: ApiErrorShape): string {
  // OpenAI: { error: { message } } arrives as `error`; Anthropic: { type, error: { message } }.
  const body = error.error as { message?: unknown; error?: { message?: unknown } } | undefined;
  const text =
    typeof body?.message === 'string' ? body.message : typeof body?.error?.message === 'string' ? body.error.message : error.message;
  return firstLine(text);
}

/** The first line of a message, at most 300 characters: errors are read in one line. */
export function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 300);
}

function describeCause(cause: unknown): string {
  let current = cause;
  // undici nests the socket error (ECONNREFUSED...) under `cause`.
  for (let i = 0; i < 4 && current instanceof Error; i++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return cause instanceof Error ? firstLine(cause.message) : '';
}

/** Reads `retry-after-ms` or `retry-after` (seconds, or an HTTP date) into milliseconds. */
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
