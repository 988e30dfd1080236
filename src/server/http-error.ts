/**
 * Errors as the server answers them: an HTTP status and OpenAI's error body
 * (`{ error: { message, type, param, code } }`), which the official SDKs turn into their own
 * typed errors (`BadRequestError`, `RateLimitError`...). Every route throws these; one handler
 * writes them, so no route answers an error in another shape.
 */
export type HttpErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'server_error'
  | 'service_unavailable';

/** An error answered with its HTTP status and OpenAI's error body; routes throw it, one handler writes it. */
export class HttpError extends Error {
  readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 503;
  readonly type: HttpErrorType;
  readonly param: string | null;
  readonly code: string | null;
  /** Seconds for a `Retry-After` header (429, 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: HttpError['status'],
    type: HttpErrorType,
    message: string,
    extra: { param?: string; code?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.type = type;
    this.param = extra.param ?? null;
    this.code = extra.code ?? null;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }

  body(): { error: { message: string; type: HttpErrorType; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  headers(): Record<string, string> {
    return this.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/** A parameter the request got wrong: 400, naming it. */
export function badParameter(param: string, message: string): HttpError {
  return new HttpError(400, 'invalid_request_error', message, { param, code: 'invalid_parameter' });
}
