/**
 * Starting and stopping the server: the run manager, the app, an HTTP listener. Stopping is a
 * drain: no new runs (503), the queued ones cancelled, the running ones given a grace period to
 * finish and then cancelled, their clients answered either way, and only then the listener
 * closed. A server bound beyond loopback without a token is refused: anyone who can reach it
 * could spend its keys.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { RlmError } from '../errors.ts';
import { createApp, type McpEndpoint } from './app.ts';
import type { ModelCatalog } from './catalog.ts';
import { allowedHostsFor } from './origin-guard.ts';
import { RunManager } from './run-manager.ts';
import { runsRoutes } from './runs-routes.ts';
import type { Runs } from './runs.ts';
import type { ServerState } from './server-state.ts';
import { webRoutes } from './web-page.ts';

/** The port `rlm serve` listens on unless told another. */
export const DEFAULT_PORT = 8787;
/** The largest request body taken unless told otherwise: 50 MiB, room for a long pasted document. */
export const DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024;

/** How {@link startServer} runs the server; all but the catalog and the trace folder have defaults. */
export interface StartServerOptions {
  catalog: ModelCatalog;
  /** Where each run's JSONL trace is written. */
  traceDir: string;
  /** Default 127.0.0.1. Any other address needs a token. */
  host?: string | undefined;
  /** Default {@link DEFAULT_PORT}; 0 for any free port. */
  port?: number | undefined;
  /** The bearer token every request must carry. */
  token?: string | undefined;
  /** Host names served besides the loopback ones, for a server on loopback behind a proxy that keeps `Host`. */
  allowedHosts?: readonly string[] | undefined;
  /** Who runs the runs: by default this process, up to `maxRunning` at once; or workers, through a queue (`startRedisRuns`). */
  runs?: Runs | undefined;
  /** Runs at once (default 8). */
  maxRunning?: number | undefined;
  /** Runs waiting for a slot before a 429 (default 32). */
  maxQueued?: number | undefined;
  /** Largest request body (default 50 MiB). */
  maxBodyBytes?: number | undefined;
  /** A comment on a chat stream after this long without a byte (default 15 s). */
  keepAliveMs?: number | undefined;
  /** Makes what is served at `/mcp`, given the server's state (its runs); closed when the server stops. */
  mcp?: ((state: ServerState) => McpEndpoint & { close(): Promise<void> }) | undefined;
  log?: ((line: string) => void) | undefined;
}

/** A server that listens: its address, its state, and the ways to stop it. */
export interface RunningServer {
  /** `http://127.0.0.1:8787` (no trailing slash); the OpenAI base URL is this plus `/v1`. */
  readonly url: string;
  readonly state: ServerState;
  /** Stops taking runs, lets running ones finish for up to `graceMs`, cancels the rest, then closes. */
  drain(graceMs: number): Promise<void>;
  /** Cancels every run now and closes. */
  close(): Promise<void>;
}

/**
 * Starts the server and resolves once it listens.
 *
 * @example
 * const server = await startServer({ catalog, traceDir: './runs', port: 0 });
 * const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused' });
 * // ...
 * await server.drain(30_000);
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token)
    throw new RlmError(
      'RLM_USAGE',
      `a server bound to ${host} is reachable from other machines: give it a token (--token or RLM_SERVER_TOKEN)`,
    );
  const manager =
    options.runs ?? new RunManager({ maxRunning: options.maxRunning ?? 8, maxQueued: options.maxQueued ?? 32, traceDir: options.traceDir });
  const state: ServerState = {
    manager,
    catalog: options.catalog,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    token: options.token,
  };
  const mcp = options.mcp?.(state);
  const allowedHosts = allowedHostsFor(host, isLoopback(host), options.allowedHosts);
  const app = createApp(state, { mcp, log: options.log, keepAliveMs: options.keepAliveMs, allowedHosts });
  // Behind the same token, body cap and errors, which createApp put first.
  app.route('/', runsRoutes(state, options.keepAliveMs === undefined ? {} : { keepAliveMs: options.keepAliveMs }));
  app.route('/', webRoutes(state));
  const server = await listen(app.fetch, host, options.port ?? DEFAULT_PORT);
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let stopping: Promise<void> | undefined;
  const drain = (graceMs: number) =>
    (stopping ??= (async () => {
      await manager.drain(graceMs);
      await mcp?.close();
      await closeListener(server);
    })());
  return { url, state, drain, close: () => drain(0) };
}

function listen(fetch: (request: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server as Server)) as Server;
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? `port ${port} is in use (--port picks another)`
          : error.code === 'EADDRNOTAVAIL'
            ? `${hostname} is not an address of this machine`
            : error.message;
      reject(new RlmError('RLM_USAGE', `cannot listen on ${hostname}:${port}: ${why}`));
    });
  });
}

/**
 * Closes the listener once the last responses are out: connections are closed as they fall idle
 * (a keep-alive connection would otherwise hold the process for its timeout); one still busy
 * after 5 s is cut.
 */
async function closeListener(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  const timer = setTimeout(() => server.closeAllConnections(), 5_000);
  await closed;
  clearInterval(idle);
  clearTimeout(timer);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
