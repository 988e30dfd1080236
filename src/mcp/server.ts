/**
 * The rlm MCP server: one `McpServer` per connection (stdio) or session (HTTP), with its tools
 * (`ask`, `preview`, `list_corpora`) and what it knows of its client: the roots the client
 * declares (asked for when a tool needs them, asked again after `roots/list_changed`) and whether
 * the client can sample.
 */
import { CLIENT_INFO_META_KEY, fromJsonSchema, McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { readFileSync } from 'node:fs';
import { runAsk, type AskInput } from './ask-tool.ts';
import { runListCorpora, runPreview } from './inspect-tools.ts';
import type { RlmMcpOptions } from './options.ts';
import { allowedRoots, rootFolders } from './roots.ts';
import type { SampleFn, SamplingAnswer } from './sampling-model.ts';

/** How long a sampling request may take the client (its model writing a long reply included). */
const SAMPLING_TIMEOUT_MS = 10 * 60_000;
const ROOTS_TIMEOUT_MS = 10_000;

/** Told when a tool call begins; the function it returns, when the call ends (to wait for runs, to keep a busy session). */
export type CallTracker = () => () => void;

/** A new server for one connection or session. */
export function createRlmMcpServer(options: RlmMcpOptions, track: CallTracker = () => () => {}): McpServer {
  const server = new McpServer(
    { name: 'rlm', title: 'rlm: Recursive Language Models', version: version() },
    { capabilities: { tools: {} }, instructions: instructions(options) },
  );
  const roots = new ClientRoots(server, options);
  server.server.setNotificationHandler('notifications/roots/list_changed', () => roots.invalidate());

  server.registerTool(
    'ask',
    {
      title: 'Ask rlm over large inputs',
      description: askDescription(options),
      inputSchema: fromJsonSchema<AskInput>(askSchema(options)),
      annotations: { readOnlyHint: true, openWorldHint: true, idempotentHint: false },
    },
    async (input, ctx) => {
      const end = track();
      try {
        return await runAsk(
          input,
          {
            signal: ctx.mcpReq.signal,
            progressToken: ctx.mcpReq._meta?.progressToken,
            notify: (params) => ctx.mcpReq.notify({ method: 'notifications/progress', params }),
            roots: () => roots.allowed(ctx),
            sample: sampler(server, ctx),
            client: clientName(server, ctx),
          },
          options,
        );
      } finally {
        end();
      }
    },
  );

  server.registerTool(
    'preview',
    {
      title: 'Preview what rlm would read',
      description:
        'Lists what `ask` would load for these paths, without calling any model (free, fast): the files with their sizes and kinds, the total and an estimate of its tokens, what would be skipped and why (.gitignore, binary, over 10 MiB, links leaving the folder), and the allowed roots. Use it to check a folder or glob before an ask, or to decide whether the input is small enough to read yourself.',
      inputSchema: fromJsonSchema<{ paths: string[] }>({
        type: 'object',
        properties: { paths: PATHS_SCHEMA },
        required: ['paths'],
        additionalProperties: false,
      }),
      annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
    },
    async (input, ctx) => runPreview(input.paths, await roots.allowed(ctx), ctx.mcpReq.signal),
  );

  server.registerTool(
    'list_corpora',
    {
      title: 'List the named corpora',
      description:
        'Lists the corpora this server offers by name (set by its operator with --corpus name=path), with their document counts and sizes: pass a name as `corpus` to `ask`. No model is called.',
      inputSchema: fromJsonSchema<Record<string, never>>({ type: 'object', properties: {}, additionalProperties: false }),
      annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
    },
    async (_input, ctx) => runListCorpora(options, ctx.mcpReq.signal),
  );
  return server;
}

/** The client's declared roots, asked for once and again after the client says they changed. */
class ClientRoots {
  readonly #server: McpServer;
  readonly #options: RlmMcpOptions;
  #declared: Promise<string[]> | undefined;

  constructor(server: McpServer, options: RlmMcpOptions) {
    this.#server = server;
    this.#options = options;
  }

  invalidate(): void {
    this.#declared = undefined;
  }

  /** The allowed roots for a call: the client's, then `--root`s; the working directory if neither (a remote client: `--root`s only). */
  async allowed(ctx: ServerContext): Promise<string[]> {
    if (this.#options.remote) return allowedRoots([], this.#options.roots, undefined);
    return allowedRoots(await this.#declaredRoots(ctx), this.#options.roots, this.#options.cwd);
  }

  #declaredRoots(ctx: ServerContext): Promise<string[]> {
    // The 2026-07-28 revision has no server-to-client requests: a client of that era names its files in the call.
    if (!this.#server.server.getClientCapabilities()?.roots || ctx.mcpReq.envelope !== undefined) return Promise.resolve([]);
    this.#declared ??= this.#server.server
      // Shared by the calls that wait for it: no one call's signal may cancel it for the others.
      .listRoots(undefined, { relatedRequestId: ctx.mcpReq.id, timeout: ROOTS_TIMEOUT_MS })
      .then(({ roots }) => rootFolders(roots))
      .catch((error: unknown) => {
        this.#declared = undefined;
        this.#options.log(
          `the client declares roots but did not list them (${(error as Error).message}); using --root or the working folder`,
        );
        return [];
      });
    return this.#declared;
  }
}

/** Sampling through the client, related to the tool call; undefined when the client cannot sample. */
function sampler(server: McpServer, ctx: ServerContext): SampleFn | undefined {
  if (!server.server.getClientCapabilities()?.sampling || ctx.mcpReq.envelope !== undefined) return undefined;
  return async (params, signal) =>
    (await server.server.createMessage(params, {
      relatedRequestId: ctx.mcpReq.id,
      timeout: SAMPLING_TIMEOUT_MS,
      resetTimeoutOnProgress: true,
      ...(signal ? { signal } : {}),
    })) as SamplingAnswer;
}

function clientName(server: McpServer, ctx: ServerContext): string {
  // A 2026-07-28 request names its client in its envelope; a 2025 connection, once at initialize.
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const info = (envelope?.[CLIENT_INFO_META_KEY] as { name?: string; version?: string } | undefined) ?? server.server.getClientVersion();
  return info?.name ? `${info.name}${info.version ? ` ${info.version}` : ''}` : 'a client';
}

const PATHS_SCHEMA = {
  type: 'array',
  minItems: 1,
  maxItems: 100,
  items: { type: 'string', minLength: 1 },
  description:
    "Files, folders or glob patterns ('src/**/*.ts'), absolute or relative to the first allowed root; they must stay within the allowed roots. Folders honour .gitignore; binary files and files over 10 MiB are skipped (and reported). PDF, DOCX, HTML, JSON, JSONL and CSV are read as documents.",
};

function askSchema(options: RlmMcpOptions): Record<string, unknown> {
  const corpora = Object.keys(options.corpora);
  return {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 1, description: 'The question, self-contained: the model answering it sees only the inputs.' },
      paths: PATHS_SCHEMA,
      text: { type: 'string', minLength: 1, description: 'The input as text, when you already hold it (a long log you fetched...).' },
      ...(corpora.length > 0
        ? { corpus: { type: 'string', enum: corpora, description: 'A named corpus of this server (see list_corpora).' } }
        : {}),
      limits: {
        type: 'object',
        description: "Lower limits for this run; they can only lower the server's own, never raise them.",
        properties: {
          maxCostUsd: { type: 'number', exclusiveMinimum: 0, description: 'Most spend in USD (needs a model with a known price).' },
          maxCalls: { type: 'integer', minimum: 1, description: 'Most model calls, root turns and sub-calls together.' },
          timeoutSeconds: { type: 'number', exclusiveMinimum: 0, description: 'Wall time for the run.' },
        },
        additionalProperties: false,
      },
    },
    required: ['query'],
    additionalProperties: false,
  };
}

function askDescription(options: RlmMcpOptions): string {
  const corpora = Object.keys(options.corpora);
  const { maxCostUsd, maxCalls, timeoutMs, maxTokens } = options.limits;
  const limits = [
    maxCostUsd === undefined ? undefined : `$${maxCostUsd}`,
    maxCalls === undefined ? undefined : `${maxCalls} model calls`,
    maxTokens === undefined ? undefined : `${maxTokens} tokens`,
    timeoutMs === undefined ? undefined : `${timeoutMs / 1000} s`,
  ].filter(Boolean);
  return [
    'Answers a question over inputs too large for your own context — a whole code base or folder, many documents, long logs, a book — with a Recursive Language Model: the inputs are loaded into a sandboxed REPL, where a model explores them with code and sub-calls to other models, and hands back one answer. Use it when reading the material yourself would not fit or would flood your context (e.g. "where is the invoice total computed, and which callers round it?" over ["src"], or "list every error code and what raises it" over ["logs/**/*.log"]). For a file or two you can read, read them instead.',
    `Give the question in \`query\` and exactly one input: \`paths\` (files, folders, globs within the allowed roots; call \`preview\` to see what they would load)${
      corpora.length > 0 ? `, \`text\`, or \`corpus\` (one of: ${corpora.join(', ')})` : ', or `text`'
    }.`,
    `Cost and time: a run makes many model calls (a root turn per step, often dozens of sub-calls) and takes from seconds to minutes; it is paid on the server's configured model, or served by your own model through MCP sampling when the server has no key. \`limits\` lowers the server's limits for this run${limits.length > 0 ? ` (the server's: ${limits.join(', ')})` : ' (the server sets none)'}. Progress comes as notifications; cancelling the call stops the run.`,
    'Returns the answer as text, then one line of status, calls, tokens, cost and what was read; structuredContent has { answer, status, usage, iterations, durationMs, context }. A run that ends without an answer (a limit, a cancel, an error) is an error result saying why.',
  ].join('\n\n');
}

function instructions(options: RlmMcpOptions): string {
  return `rlm answers questions over inputs too large for your context (code bases, document folders, long logs) with a Recursive Language Model. Use \`ask\` with a question and paths (within the allowed roots), text${
    Object.keys(options.corpora).length > 0 ? ', or a named corpus (list_corpora)' : ''
  }; \`preview\` shows what paths would load, for free. Each ask makes many model calls.`;
}

let cachedVersion: string | undefined;
function version(): string {
  cachedVersion ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cachedVersion;
}
