/**
 * A real HTTP server on 127.0.0.1 that speaks OpenAI Chat Completions (streaming and not) and
 * Anthropic Messages (`/v1/messages`, not streamed), and answers from a script: a function of the
 * request. It can add latency, fail on demand (any status, 429 with Retry-After, hang, malformed
 * JSON, a cut connection) and records every request it answers, with its headers and timings.
 * Made for rlm's tests, and exported for users' own tests of code built on rlm.
 *
 * @example
 * const server = await startScriptedServer({ script: (req) => req.model === 'root' ? '```repl\nFINAL(42)\n```' : 'ok' });
 * const model = createOpenAIModel({ model: 'root', baseURL: server.url });
 * // ... run, then inspect server.requests and server.maxInFlight
 * await server.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A message as the script sees it: its text, whichever wire it came through. */
export interface ScriptedMessage {
  /** `system`, `user` or `assistant`. */
  role: string;
  /** The message's text (text parts joined). */
  content: string;
}

/** Which API a request came through: OpenAI Chat Completions or Anthropic Messages. */
export type Wire = 'openai' | 'anthropic';

/** What a script is asked to answer. */
export interface ScriptedRequest {
  /** 0-based order of arrival. */
  index: number;
  /** Which API the request came through. */
  wire: Wire;
  /** The model the request names. */
  model: string;
  /** The conversation, the system prompt first if there is one (Anthropic's `system` included). */
  messages: ScriptedMessage[];
  /** Whether the client asked for a streamed answer. */
  stream: boolean;
  /** The system message, if any. */
  system: string | undefined;
  /** The last user message's text. */
  lastUser: string;
  /** The parsed JSON body as sent. */
  body: Record<string, unknown>;
}

/**
 * A failure to answer with instead of a reply: an HTTP error (`status`, the error body's
 * `message` and `code`, a `Retry-After` header in seconds), `'hang'` (never answer), `'malformed'`
 * (a 200 whose JSON body is cut short) or `'disconnect'` (close the socket without an answer).
 */
export type ScriptedFailure =
  { status: number; message?: string; retryAfterSeconds?: number; code?: string } | 'hang' | 'malformed' | 'disconnect';

/** A reply with more than its text: usage to report, latency, a failure, a finish reason. */
export interface ScriptedAnswer {
  /** The reply's text (default empty). */
  content?: string;
  /** Token counts to report; by default about one token per four characters. */
  usage?: { promptTokens?: number; completionTokens?: number; cachedTokens?: number; cacheWriteTokens?: number; cost?: number };
  /** Extra latency for this answer, in ms. */
  delayMs?: number;
  /** Fail instead of answering. */
  fail?: ScriptedFailure;
  /** The finish reason to report, in OpenAI's words (default `stop`, or `length` when cut at the request's cap). */
  finishReason?: string;
  /** Report no usage at all, as some local servers do (OpenAI wire only). */
  noUsage?: boolean;
  /**
   * Call tools instead of (or besides) answering, as an agent's model does: sent as OpenAI
   * `tool_calls` with finish reason `tool_calls` (OpenAI wire only).
   */
  toolCalls?: { id?: string; name: string; arguments: unknown }[];
}

/** A reply: its text alone, or a {@link ScriptedAnswer}. */
export type ScriptedReply = string | ScriptedAnswer;
/** What the server answers each request with. */
export type Script = (request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>;

/** How {@link startScriptedServer} answers. */
export interface ScriptedServerOptions {
  /** The reply to each request. */
  script: Script;
  /** Latency added to every answer, in ms. */
  latencyMs?: number;
  /**
   * If given, `/v1/models` lists them and requests for any other model get a 404 "model not
   * found", as real servers do; if not, any model name is answered and there is no list.
   */
  models?: readonly string[];
  /** If given, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

/** A request the server answered (or is answering), as it arrived. */
export interface RecordedRequest {
  /** 0-based order of arrival. */
  index: number;
  /** As in {@link ScriptedRequest}. */
  wire: Wire;
  /** As in {@link ScriptedRequest}. */
  model: string;
  /** As in {@link ScriptedRequest}. */
  messages: ScriptedMessage[];
  /** As in {@link ScriptedRequest}. */
  stream: boolean;
  /** The request's headers, names in lower case: what a client sent besides the body. */
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body as sent. */
  body: Record<string, unknown>;
  /** performance.now() when the request arrived and when its answer was complete. */
  receivedAt: number;
  respondedAt?: number;
  /** The status answered, once answered. */
  status?: number;
  /** What the answer reported; prompt_tokens counts every input token, cached and written ones included. */
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens: number; cache_write_tokens: number; cost?: number };
}

/** A running scripted server: its URLs, what it was asked, how many requests it served at once. */
export class ScriptedModelServer {
  /** Base URL to give an OpenAI-compatible client, ending in `/v1`. */
  readonly url: string;
  /** Base URL to give the Anthropic SDK (which adds `/v1/messages` itself). */
  readonly anthropicUrl: string;
  /** Every request answered so far, in order of arrival (refused keys and unknown routes aside). */
  readonly requests: RecordedRequest[] = [];
  #inFlight = 0;
  #maxInFlight = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  /** @internal use {@link startScriptedServer} */
  constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
    this.anthropicUrl = url.replace(/\/v1$/, '');
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Requests being answered right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most requests that were ever being answered at once. */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** @internal */
  enter(): void {
    this.#inFlight++;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
  }

  /** @internal */
  leave(): void {
    this.#inFlight--;
  }

  /** Stops the server, cutting any request still hanging. */
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** Starts a scripted server on a free port of 127.0.0.1; `close()` it when done. */
export async function startScriptedServer(options: ScriptedServerOptions): Promise<ScriptedModelServer> {
  const http = createServer((req, res) => {
    handle(server, options, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `script failed: ${String(error)}`, type: 'server_error' } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  // Requests can only arrive after listen(), by when `server` is set.
  const server = new ScriptedModelServer(http, `http://127.0.0.1:${port}/v1`);
  return server;
}

async function handle(
  server: ScriptedModelServer,
  options: ScriptedServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const wire: Wire = path === '/v1/messages' ? 'anthropic' : 'openai';
  // Anthropic's SDKs have sent the key as x-api-key, and lately as a bearer token too.
  const key = (wire === 'anthropic' ? req.headers['x-api-key'] : undefined) ?? req.headers.authorization?.replace(/^Bearer /, '');
  if (options.apiKey !== undefined && key !== options.apiKey) {
    return sendError(res, wire, 401, { message: 'Incorrect API key provided', type: 'authentication_error', code: 'invalid_api_key' });
  }
  // Without `models` it answers any model name, a set it cannot list: no list, as servers without one.
  if (req.method === 'GET' && path === '/v1/models' && options.models) {
    return sendJson(res, 200, { object: 'list', data: options.models.map((id) => ({ id, object: 'model', owned_by: 'scripted' })) });
  }
  if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/v1/messages')) {
    return sendError(res, wire, 404, { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' });
  }

  const raw = await readBody(req);
  const body = JSON.parse(raw) as Record<string, unknown>;
  const messages = ((body.messages as ScriptedMessage[] | undefined) ?? []).map((m) => ({ role: m.role, content: contentText(m.content) }));
  // Anthropic keeps the system prompt apart; scripts see it as the first message, as in OpenAI's.
  if (wire === 'anthropic' && body.system !== undefined) messages.unshift({ role: 'system', content: contentText(body.system) });
  const record: RecordedRequest = {
    index: server.requests.length,
    wire,
    model: String(body.model ?? ''),
    messages,
    stream: body.stream === true,
    headers: req.headers,
    body,
    receivedAt: performance.now(),
  };
  server.requests.push(record);
  server.enter();
  res.on('close', () => {
    record.respondedAt ??= performance.now();
    server.leave();
  });

  if (options.models && !options.models.includes(record.model)) {
    record.status = 404;
    return sendError(res, wire, 404, {
      message: `The model \`${record.model}\` does not exist or you do not have access to it.`,
      type: wire === 'anthropic' ? 'not_found_error' : 'invalid_request_error',
      code: 'model_not_found',
    });
  }

  const request: ScriptedRequest = {
    index: record.index,
    wire,
    model: record.model,
    messages,
    stream: record.stream,
    system: messages.find((m) => m.role === 'system')?.content,
    lastUser: [...messages].reverse().find((m) => m.role === 'user')?.content ?? '',
    body,
  };
  const reply = await options.script(request);
  const answer: ScriptedAnswer = typeof reply === 'string' ? { content: reply } : reply;
  const delay = (options.latencyMs ?? 0) + (answer.delayMs ?? 0);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

  const fail = answer.fail;
  if (fail === 'hang') return; // the socket stays open until the client gives up or the server closes
  if (fail === 'disconnect') return void req.socket.destroy();
  if (fail === 'malformed') {
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end('{"id": "chatcmpl-broken", "choices": [ {"message": ');
  }
  if (fail) {
    record.status = fail.status;
    const headers: Record<string, string> = {};
    if (fail.retryAfterSeconds !== undefined) headers['retry-after'] = String(fail.retryAfterSeconds);
    return sendError(
      res,
      wire,
      fail.status,
      { message: fail.message ?? `scripted failure ${fail.status}`, type: 'scripted', code: fail.code ?? null },
      headers,
    );
  }

  // Like a real provider, never more output than the request's cap: the reply is cut there.
  const cap = outputCap(body);
  let content = answer.content ?? '';
  let completionTokens = answer.usage?.completionTokens ?? Math.ceil(content.length / 4);
  let finish = answer.finishReason;
  if (cap !== undefined && completionTokens > cap) {
    content = content.slice(0, Math.floor(content.length * (cap / completionTokens)));
    completionTokens = cap;
    finish = 'length';
  }
  const promptChars = messages.reduce((n, m) => n + m.content.length, 0);
  const usage = {
    prompt_tokens: answer.usage?.promptTokens ?? Math.ceil(promptChars / 4),
    completion_tokens: completionTokens,
    cached_tokens: answer.usage?.cachedTokens ?? 0,
    cache_write_tokens: answer.usage?.cacheWriteTokens ?? 0,
    ...(answer.usage?.cost === undefined ? {} : { cost: answer.usage.cost }),
  };
  record.usage = usage;
  record.status = 200;
  if (wire === 'anthropic') {
    return sendJson(res, 200, {
      id: `msg_scripted_${record.index}`,
      type: 'message',
      role: 'assistant',
      model: record.model,
      content: [{ type: 'text', text: content }],
      stop_reason: finish === 'length' ? 'max_tokens' : 'end_turn',
      stop_sequence: null,
      usage: {
        // Anthropic counts cache reads and writes apart from input_tokens.
        input_tokens: Math.max(0, usage.prompt_tokens - usage.cached_tokens - usage.cache_write_tokens),
        cache_read_input_tokens: usage.cached_tokens,
        cache_creation_input_tokens: usage.cache_write_tokens,
        output_tokens: usage.completion_tokens,
      },
    });
  }
  const wireUsage = {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens_details: { cached_tokens: usage.cached_tokens },
    ...(usage.cost === undefined ? {} : { cost: usage.cost }),
  };
  const id = `chatcmpl-scripted-${record.index}`;
  const created = Math.floor(Date.now() / 1000);
  const toolCalls = answer.toolCalls?.map((call, i) => ({
    id: call.id ?? `call_scripted_${record.index}_${i}`,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  }));
  const finishReason = finish ?? (toolCalls?.length ? 'tool_calls' : 'stop');
  if (!record.stream) {
    const message = {
      role: 'assistant',
      content: toolCalls?.length && !content ? null : content,
      ...(toolCalls?.length ? { tool_calls: toolCalls } : {}),
    };
    return sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: record.model,
      choices: [{ index: 0, message, finish_reason: finishReason }],
      ...(answer.noUsage ? {} : { usage: wireUsage }),
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: record.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  res.write(chunk({ role: 'assistant', content: '' }, null));
  for (let i = 0; i < content.length; i += 64) res.write(chunk({ content: content.slice(i, i + 64) }, null));
  for (const [index, call] of (toolCalls ?? []).entries()) res.write(chunk({ tool_calls: [{ index, ...call }] }, null));
  res.write(chunk({}, finishReason));
  const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
  if (includeUsage && !answer.noUsage)
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: record.model, choices: [], usage: wireUsage })}\n\n`,
    );
  res.end('data: [DONE]\n\n');
}

function sendError(
  res: ServerResponse,
  wire: Wire,
  status: number,
  error: { message: string; type: string; code?: string | null },
  headers: Record<string, string> = {},
): void {
  const body =
    wire === 'anthropic'
      ? { type: 'error', error: { type: error.type, message: error.message } }
      : { error: { ...error, code: error.code ?? null } };
  sendJson(res, status, body, headers);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part: { text?: string }) => part.text ?? '').join('');
  return '';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The output cap a request names: OpenAI's max_completion_tokens or max_tokens, Anthropic's max_tokens. */
function outputCap(body: Record<string, unknown>): number | undefined {
  const cap = body.max_completion_tokens ?? body.max_tokens;
  return typeof cap === 'number' && cap >= 0 ? cap : undefined;
}
