/**
 * A real server for the runs API and the web page's tests: `rlm serve`'s server on 127.0.0.1 over
 * a scripted model server; plus a small reader of Server-Sent Events, as a client of the API would write one.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAIModel, JsonlTrace, RLM } from '../../src/index.ts';
import { loadCorpus } from '../../src/inputs/load-corpus.ts';
import { ModelCatalog } from '../../src/server/catalog.ts';
import type { ServerState } from '../../src/server/server-state.ts';
import { startServer } from '../../src/server/start-server.ts';
import { byTurn, repl, startScriptedServer, type Script, type ScriptedModelServer } from '../../src/testing/index.ts';

export interface RunsServer {
  url: string;
  state: ServerState;
  traceDir: string;
  model: ScriptedModelServer;
  close(): Promise<void>;
}

export interface RunsServerOptions {
  /** The server's keep-alive on event streams, in ms. */
  keepAliveMs?: number;
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
  // The server as `rlm serve` starts it: its token, body cap and errors, the runs API and the pages.
  const server = await startServer({
    catalog,
    traceDir,
    port: 0,
    token: options.token,
    maxRunning: options.maxRunning ?? 4,
    maxQueued: options.maxQueued ?? 4,
    keepAliveMs: options.keepAliveMs,
  });
  return {
    url: server.url,
    state: server.state,
    traceDir,
    model,
    async close() {
      await server.close();
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

/** Records a run's trace as an earlier server process would have left it: `dir/<id>.jsonl`, answered "from before". */
export async function recordPastTrace(dir: string, id: string): Promise<string> {
  const server = await startScriptedServer({ script: byTurn([repl("print('looking')"), repl("FINAL('from before')")]) });
  const path = join(dir, `${id}.jsonl`);
  try {
    const trace = new JsonlTrace(path, { context: 'old context' });
    const model = createOpenAIModel({ model: 'old-root', baseURL: server.url, apiKey: 'k' });
    await new RLM({ model, onEvent: trace.onEvent }).run({ context: 'old context', query: 'an old question' });
    await trace.close();
  } finally {
    await server.close();
  }
  return path;
}
