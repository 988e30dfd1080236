/**
 * The server's HTTP application: every route behind the same gate and the same errors. In order:
 * the guard against other sites' pages (403 for a foreign `Origin` or, on loopback, a `Host` that
 * is not a loopback name; 415 for a body that is not JSON: see origin-guard.ts), the bearer token (401), the cap on a request's body, counted as it arrives when the client does
 * not say its length (413), then the routes. Whatever a route throws is answered in OpenAI's
 * error shape by one handler: an HttpError as it says, a full queue as 429 with Retry-After, a
 * server shutting down as 503, malformed JSON as 400, anything else as 500 with one line (the
 * details go to the log, never a stack trace to the client). An unknown route is a 404 in the same
 * shape.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { RlmError } from '../errors.ts';
import { bearerAuth } from './auth.ts';
import { chatCompletionsRoutes } from './chat-completions.ts';
import { HttpError } from './http-error.ts';
import { LOOPBACK_HOSTS, originGuard } from './origin-guard.ts';
import { ServerBusyError, ServerDrainingError } from './run-manager.ts';
import type { ServerState } from './server-state.ts';

/** Seconds a client is told to wait before trying a server that is shutting down (a restart, most likely). */
const DRAINING_RETRY_AFTER_SECONDS = 5;

/** A Streamable HTTP MCP endpoint, as `src/mcp/http.ts` makes one. */
export interface McpEndpoint {
  handle(request: Request): Promise<Response>;
}

/** What {@link createApp} adds to the server's routes. */
export interface AppOptions {
  /** Served at `/mcp`, behind the same token. */
  mcp?: McpEndpoint | undefined;
  /** A comment on a chat stream after this long without a byte, so proxies keep it open (default 15 s). */
  keepAliveMs?: number | undefined;
  /**
   * The `Host` names served (DNS-rebinding protection): default the loopback names, for a server on
   * loopback; `'any'` for one reached by other names (it has a token then).
   */
  allowedHosts?: readonly string[] | 'any' | undefined;
  /** Where an unexpected error's details go (default: nowhere). */
  log?: ((line: string) => void) | undefined;
}

/**
 * The server's routes over `state`.
 *
 * @example
 * const app = createApp(state);
 * serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 8000 });
 */
export function createApp(state: ServerState, options: AppOptions = {}): Hono {
  const app = new Hono();
  const started = Math.floor(Date.now() / 1000);
  app.onError((error, c) => {
    const http = toHttpError(error);
    if (http.status === 500) options.log?.(`error on ${c.req.method} ${c.req.path}: ${describe(error)}`);
    return c.json(http.body(), http.status, http.headers());
  });
  app.notFound((c) => {
    const error = new HttpError(404, 'not_found_error', `no route ${c.req.method} ${c.req.path}`, { code: 'unknown_route' });
    return c.json(error.body(), 404);
  });
  app.use('*', originGuard(options.allowedHosts ?? LOOPBACK_HOSTS));
  app.use('*', bearerAuth(state.token));
  app.use(
    '*',
    bodyLimit({
      maxSize: state.maxBodyBytes,
      onError: () => {
        throw new HttpError(413, 'request_too_large', `the request body is over this server's limit of ${sizeText(state.maxBodyBytes)}`, {
          code: 'request_too_large',
        });
      },
    }),
  );

  app.get('/v1/health', async (c) => c.json({ status: state.manager.draining ? 'draining' : 'ok', ...(await state.manager.stats()) }));
  const modelObject = (id: string) => ({ id, object: 'model', created: started, owned_by: 'rlm' });
  app.get('/v1/models', (c) => c.json({ object: 'list', data: state.catalog.list().map((model) => modelObject(model.id)) }));
  // A model's id may hold a slash (rlm/docs), sent as it is or as %2F: the rest of the path is the id.
  app.get('/v1/models/*', (c) => c.json(modelObject(state.catalog.resolve(modelIdOf(c.req.path.slice('/v1/models/'.length))).id)));
  app.route('/', chatCompletionsRoutes(state, { keepAliveMs: options.keepAliveMs }));
  const mcp = options.mcp;
  if (mcp) app.all('/mcp', (c) => mcp.handle(c.req.raw));
  return app;
}

/** Any error a route throws, as the HttpError the client is answered with. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof ServerBusyError)
    return new HttpError(429, 'rate_limit_error', error.message, { code: 'rlm_busy', retryAfterSeconds: error.retryAfterSeconds });
  if (error instanceof ServerDrainingError)
    return new HttpError(503, 'service_unavailable', error.message, {
      code: 'rlm_draining',
      retryAfterSeconds: DRAINING_RETRY_AFTER_SECONDS,
    });
  if (RlmError.isInstance(error) && (error.code === 'RLM_INPUT' || error.code === 'RLM_USAGE'))
    return new HttpError(400, 'invalid_request_error', firstLine(error.message), { code: error.code });
  if (error instanceof HTTPException && error.status < 500) {
    const status = ([400, 401, 404, 405, 409, 413, 429] as const).find((s) => s === error.status) ?? 400;
    return new HttpError(status, 'invalid_request_error', firstLine(error.message || `HTTP ${error.status}`));
  }
  return new HttpError(500, 'server_error', 'the server failed to answer this request (its log says why)', { code: 'internal_error' });
}

/** A model id from the path, percent-decoded; malformed escapes (`%E0%A4%A`) are a 400, not a 500. */
function modelIdOf(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'invalid_request_error', 'the model id in the path is not validly percent-encoded', {
      param: 'model',
      code: 'invalid_parameter',
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${firstLine(error.message)}` : String(error);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!;
}

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
