/**
 * A real server for the runs API and the web page's tests: the runs and page routers mounted on a
 * Hono app that answers errors as the server does, listening on 127.0.0.1, over a scripted model
 * server; plus a small reader of Server-Sent Events, as a client of the API would write one.
 */
import { serve, type ServerType } from '@hono/node-server';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { createOpenAIModel } from '../../src/index.ts';
import { loadCorpus } from '../../src/inputs/load-corpus.ts';
import { ModelCatalog } from '../../src/server/catalog.ts';
import { HttpError } from '../../src/server/http-error.ts';
import { RunManager } from '../../src/server/run-manager.ts';
import { runsRoutes, type RunsRoutesOptions } from '../../src/server/runs-routes.ts';
import type { ServerState } from '../../src/server/server-state.ts';
import { webRoutes } from '../../src/server/web-page.ts';
import { startScriptedServer, type Script, type ScriptedModelServer } from '../../src/testing/index.ts';

export interface RunsServer {
  url: string;
  state: ServerState;
  traceDir: string;
  model: ScriptedModelServer;
  close(): Promise<void>;
}

export interface RunsServerOptions extends RunsRoutesOptions {
  maxRunning?: number;
  maxQueued?: number;
  /** A trace folder to start from (with traces of "earlier processes"). */
  traceDir?: string;
  token?: string;
}

/** Starts the model server and the runs server; `rlm/docs` is a corpus model over two small files. */
export async function startRunsServer(script: Script, options: RunsServerOptions = {}): Promise<RunsServer> {
  const model = await startScriptedServer({ script });
  const traceDir = options.traceDir ?? (await mkdtemp(join(tmpdir(), 'rlm-runs-api-')));
  const docs = await mkdtemp(join(tmpdir(), 'rlm-runs-docs-'));
  await mkdir(join(docs, 'guide'), { recursive: true });
  await writeFile(join(docs, 'guide', 'a.md'), '# A\nThe first guide.');
  await writeFile(join(docs, 'b.txt'), 'The second document.');
  const corpus = await loadCorpus([docs]);
  const catalog = new ModelCatalog({
    createModel: (id) => createOpenAIModel({ model: id, baseURL: model.url, apiKey: 'k' }),
    rootModel: 'root',
    subModel: 'sub',
    base: {},
    caps: { maxCalls: 50 },
    corpora: new Map([['docs', corpus]]),
  });
  const manager = new RunManager({ maxRunning: options.maxRunning ?? 4, maxQueued: options.maxQueued ?? 4, traceDir });
  const state: ServerState = { manager, catalog, maxBodyBytes: 10 * 1024 * 1024, token: options.token };
  const app = new Hono();
  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json(error.body(), error.status, error.headers());
    return c.json({ error: { message: String(error), type: 'server_error', param: null, code: null } }, 500);
  });
  if (options.token) {
    // As the server's auth: every API route needs the token; the pages carry no data and do not.
    app.use('/v1/*', async (c, next) => {
      if (c.req.header('authorization') !== `Bearer ${options.token}`)
        return c.json({ error: { message: 'missing or wrong token', type: 'authentication_error', param: null, code: null } }, 401);
      return next();
    });
  }
  app.route('/', runsRoutes(state, options));
  app.route('/', webRoutes(state));
  const server: ServerType = await new Promise((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    traceDir,
    model,
    async close() {
      await manager.drain(0);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await model.close();
    },
  };
}

/** One Server-Sent Event as a client sees it; `comment` for a line starting with ':'. */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads an SSE body event by event (a comment counts as one), until the stream ends. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event: SseEvent = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) event.comment = line.slice(1).trim();
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id' || field === 'event') event[field] = value;
        if (field === 'data') event.data = event.data === undefined ? value : `${event.data}\n${value}`;
      }
      yield event;
    }
  }
}

/** A promise and its resolve, to hold a scripted model until the test lets it answer. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export async function postRun(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
