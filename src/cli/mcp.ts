/**
 * `rlm mcp`: rlm as an MCP server over stdio, for coding agents (Claude Code, Cursor...) to call
 * `ask` over inputs too large for their own context. Standard output is the protocol: nothing
 * else is ever written there; the log goes to stderr. The server ends when its client closes
 * standard input, cancelling the runs still going.
 */
import { mkdir, stat } from 'node:fs/promises';
import { Console } from 'node:console';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { looksLikeGlob } from '../inputs/sources.ts';
import type { EndpointModels, RlmMcpOptions } from '../mcp/options.ts';
import { ASK_OPTIONS } from './args.ts';
import { modelMaker, refuseUnlistedModels, resolveEndpoint } from './config.ts';
import { EXIT } from './exit-codes.ts';
import { existingFolder, httpUrl, usageError, usd, wholeNumber } from './flags.ts';
import type { CliIO } from './io.ts';
import { HELP_FLAG, parseFlags, renderHelp, type Flags } from './options.ts';

const INPUTS = {
  root: {
    type: 'string',
    multiple: true,
    value: '<dir>',
    help: 'a folder ask may read, besides the roots the client declares; repeat it\nfor several (with neither, the folder rlm mcp runs in)',
  },
  corpus: {
    type: 'string',
    multiple: true,
    value: '<name=path>',
    help: 'a named corpus (a folder, a file or a quoted glob) clients ask over by\nname, readable whatever the roots; repeat it for several',
  },
} as const satisfies Flags;

const MODEL = {
  model: ASK_OPTIONS.model,
  'sub-model': { ...ASK_OPTIONS['sub-model'], help: 'model for llm_query sub-calls (env RLM_SUB_MODEL; default: the root model)' },
  'base-url': ASK_OPTIONS['base-url'],
  provider: ASK_OPTIONS.provider,
  stream: ASK_OPTIONS.stream,
} as const satisfies Flags;

const RUN = {
  'max-runs': {
    type: 'string',
    value: '<n>',
    default: '8',
    help: 'asks running at once (each holds a REPL process); more wait for a slot,\nand past four times as many waiting an ask is refused',
  },
  repl: ASK_OPTIONS.repl,
  'max-iterations': ASK_OPTIONS['max-iterations'],
  'max-depth': ASK_OPTIONS['max-depth'],
  'max-calls': ASK_OPTIONS['max-calls'],
  'max-tokens': ASK_OPTIONS['max-tokens'],
  'max-cost': ASK_OPTIONS['max-cost'],
  prices: ASK_OPTIONS.prices,
  timeout: ASK_OPTIONS.timeout,
  'cell-timeout': ASK_OPTIONS['cell-timeout'],
  concurrency: ASK_OPTIONS.concurrency,
  'max-output-chars': ASK_OPTIONS['max-output-chars'],
  'memory-limit': ASK_OPTIONS['memory-limit'],
} as const satisfies Flags;

const OUTPUT = {
  'trace-dir': { type: 'string', value: '<dir>', help: 'write one JSONL trace per ask into this folder (rlm view, rlm replay)' },
  quiet: { type: 'boolean', short: 'q', help: 'no log on stderr' },
  help: HELP_FLAG,
} as const satisfies Flags;

/** Every flag of `rlm mcp` (`rlm serve` may take the same for its /mcp). */
export const MCP_OPTIONS = { ...INPUTS, ...MODEL, ...RUN, ...OUTPUT } as const satisfies Flags;

export const MCP_HELP = renderHelp({
  usage: 'Usage: rlm mcp [options]',
  about: `Serves rlm over MCP on stdio, for coding agents: the tool ask answers a question over files,
folders or globs within the allowed roots, over text, or over a named corpus; preview shows what
paths would load; list_corpora lists the corpora. Progress goes out as MCP progress
notifications; cancelling a call cancels its run. Standard output is the protocol; the log goes to
stderr. (rlm serve offers the same server over Streamable HTTP, at /mcp.)
With no key and no endpoint configured, a client that supports MCP sampling serves the runs with
its own model. For example, in Claude Code: claude mcp add rlm -- npx rlm mcp`,
  sections: [
    { title: 'Inputs:', flags: INPUTS },
    { title: 'Model:', flags: MODEL },
    { title: 'Every run (a call can lower the limits, never raise them):', flags: RUN },
    { title: 'Output:', flags: OUTPUT },
  ],
  notes: `Keys: OPENAI_API_KEY, or RLM_API_KEY for any base URL (ANTHROPIC_API_KEY with --provider anthropic).
With neither set and no --base-url, rlm looks for a local server at http://127.0.0.1:11434/v1
(Ollama), then falls back to the client's model by MCP sampling.`,
  column: 29,
});

/** Runs the MCP server over stdio until the client closes standard input. */
export async function mcp(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlags(argv, MCP_OPTIONS, 'rlm mcp');
  if (parsed.values.help) {
    io.stdout.write(`${MCP_HELP}\n`);
    return EXIT.answer;
  }
  const options = await mcpOptions(parsed.values, io);
  // Anything printed with console.log would corrupt the protocol: it goes to stderr instead.
  const restoreConsole = io.stdout === process.stdout ? consoleToStderr() : () => {};
  const [{ serveStdio, StdioServerTransport }, { createRlmMcpServer }] = await Promise.all([
    import('@modelcontextprotocol/server/stdio'),
    import('../mcp/server.ts'),
  ]);
  const closed = new Promise<void>((done) => {
    io.stdin.once('end', done);
    io.stdin.once('close', done);
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
  const transport = new StdioServerTransport(io.stdin as Readable, io.stdout as Writable);
  const running = new Set<Promise<void>>();
  const track = () => {
    let end!: () => void;
    const call = new Promise<void>((done) => (end = done));
    running.add(call);
    return () => (running.delete(call), end());
  };
  const handle = serveStdio(() => createRlmMcpServer(options, track), {
    transport,
    onerror: (error) => options.log(`protocol error: ${error.message}`),
  });
  options.log(`serving on stdio; roots: ${options.roots.length > 0 ? options.roots.join(', ') : "the client's, else the working folder"}`);
  void options.models().then(
    () => {},
    (error: Error) => options.log(`${error.message.split(';')[0]}; a client that can sample will serve the runs with its own model`),
  );
  await closed;
  // Closing the connection aborts the calls in flight, and so cancels their runs.
  await handle.close();
  // The runs end (their REPLs closed) before the command returns, as long as they take to stop.
  const grace = new Promise((done) => setTimeout(done, 10_000).unref());
  await Promise.race([Promise.allSettled([...running]), grace]);
  restoreConsole();
  options.log('the client closed the connection; stopped');
  return EXIT.answer;
}

export type McpValues = ReturnType<typeof parseFlags<typeof MCP_OPTIONS>>['values'];

/**
 * The server's options from its flags: every value checked, the roots and corpora found on disk.
 * Also what `rlm serve` can build its `/mcp` handler's options from.
 */
export async function mcpOptions(v: McpValues, io: CliIO): Promise<RlmMcpOptions> {
  const cwd = process.cwd();
  const log = v.quiet ? () => {} : (line: string) => io.stderr.write(`rlm mcp: ${line}\n`);
  const roots = await Promise.all((v.root ?? []).map((root) => existingFolder('--root', root, cwd)));
  const corpora: Record<string, string> = {};
  for (const spec of v.corpus ?? []) {
    const at = spec.indexOf('=');
    const name = spec.slice(0, at).trim();
    if (at <= 0 || !/^[\w.-]+$/.test(name) || spec.slice(at + 1).trim() === '')
      throw usageError(`--corpus expects name=path (a name of letters, digits, . _ -), got '${spec}'`);
    if (name in corpora) throw usageError(`--corpus ${name} is given twice`);
    const path = spec.slice(at + 1).trim();
    const found = await stat(resolve(cwd, path)).then(
      () => true,
      () => looksLikeGlob(path),
    );
    if (!found) throw usageError(`--corpus ${name}=${path}: no such file or folder`);
    corpora[name] = resolve(cwd, path);
  }
  const traceDir = v['trace-dir'] === undefined ? undefined : resolve(cwd, v['trace-dir']);
  if (traceDir)
    await mkdir(traceDir, { recursive: true }).catch(() => {
      throw usageError(`cannot write traces to ${traceDir}: the folder cannot be made`);
    });
  const baseUrl = v['base-url'] === undefined ? undefined : httpUrl(v['base-url']);
  const prices = v.prices ? await (await import('./prices-file.ts')).readPrices(v.prices) : undefined;
  const provider = v.provider;
  const model = v.model?.trim() || undefined;
  const subModel = v['sub-model']?.trim() || undefined;
  let resolved: Promise<EndpointModels> | undefined;
  const models = async (): Promise<EndpointModels> => {
    const endpoint = await resolveEndpoint({ provider, baseUrl, model, subModel, env: io.env });
    if (provider === 'openai') await refuseUnlistedModels(endpoint);
    const create = await modelMaker(provider, endpoint, { stream: v.stream ?? false });
    log(`model ${endpoint.model}${endpoint.subModel !== endpoint.model ? `, sub-model ${endpoint.subModel}` : ''} at ${endpoint.baseURL}`);
    return { model: create(endpoint.model), subModel: create(endpoint.subModel) };
  };
  return {
    roots,
    corpora,
    cwd,
    // Found once; a failure is tried again at the next ask (a local server may have started since).
    models: () => {
      resolved ??= models().catch((error: unknown) => {
        resolved = undefined;
        throw error;
      });
      return resolved;
    },
    modelHint: model,
    maxRuns: wholeNumber('--max-runs', v['max-runs'], 1),
    run: {
      repl: v.repl === 'python' ? 'python' : 'javascript',
      maxIterations: wholeNumber('--max-iterations', v['max-iterations'], 1),
      maxDepth: wholeNumber('--max-depth', v['max-depth'], 0),
      maxOutputChars: wholeNumber('--max-output-chars', v['max-output-chars'], 100),
      cellTimeoutMs: wholeNumber('--cell-timeout', v['cell-timeout'], 1),
      memoryLimitMb: wholeNumber('--memory-limit', v['memory-limit'], 16),
      concurrency: wholeNumber('--concurrency', v.concurrency, 1),
      prices,
    },
    limits: {
      maxCalls: wholeNumber('--max-calls', v['max-calls'], 1),
      maxTokens: wholeNumber('--max-tokens', v['max-tokens'], 1),
      maxCostUsd: usd('--max-cost', v['max-cost']),
      timeoutMs: wholeNumber('--timeout', v.timeout, 1),
    },
    traceDir,
    log,
  };
}

/** Points the console at stderr while the server runs; returns how to put it back. */
function consoleToStderr(): () => void {
  const original = globalThis.console;
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
  return () => {
    globalThis.console = original;
  };
}
