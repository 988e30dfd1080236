/**
 * `rlm serve`: the OpenAI-compatible server. Flags are read and checked, the endpoint and its
 * models found, each corpus loaded, all before the server listens, so that a mistake is one line
 * and exit 2 rather than a server that fails its first request. It runs until SIGTERM or Ctrl-C,
 * then drains: no new runs, the running ones given `--grace` seconds, the rest cancelled; a
 * second signal cancels them at once.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Corpus } from '../inputs/corpus.ts';
import type { PriceTable } from '../models/prices.ts';
import type { ServerState } from '../server/server-state.ts';
import { RlmError } from '../errors.ts';
import { ASK_OPTIONS } from './args.ts';
import { modelMaker, refuseUnlistedModels, resolveEndpoint, type ConfigInput } from './config.ts';
import { EXIT } from './exit-codes.ts';
import { existingFolder, httpUrl, usageError, wholeNumber } from './flags.ts';
import type { CliIO } from './io.ts';
import { HELP_FLAG, parseFlags, renderHelp, type Flags } from './options.ts';
import { stopSignal } from './stop-signal.ts';
import { CAP_FLAGS, readCaps } from './cap-flags.ts';

const SERVER = {
  host: { type: 'string', value: '<address>', default: '127.0.0.1', help: 'the address to listen on; any but loopback needs a token' },
  port: { type: 'string', value: '<n>', default: '8787', help: 'the port (0: any free one)' },
  token: {
    type: 'string',
    value: '<secret>',
    help: 'the bearer token every request must carry (env RLM_SERVER_TOKEN);\nrequired when --host is not loopback',
  },
  'allow-host': {
    type: 'string',
    multiple: true,
    value: '<name>',
    help: 'a host name the server also answers to on loopback, as a reverse proxy that\nkeeps the Host header sends it (other names are refused: DNS rebinding);\nrepeat it for several',
  },
  root: {
    type: 'string',
    multiple: true,
    value: '<dir>',
    help: 'a folder the MCP tools at /mcp may read paths under; repeat it for several\n(with none, /mcp answers over text and corpora only: the folders an MCP\nclient declares are on its machine, not this one)',
  },
  corpus: {
    type: 'string',
    multiple: true,
    value: '<name=path>',
    help: 'a folder, file or quoted glob served as the model rlm/<name>, whose\ncontext is its files; repeat it for several',
  },
  redis: {
    type: 'string',
    value: '<url>',
    help: 'put runs on this Redis queue for rlm worker processes (on any machine)\nto run, instead of running them here: redis://host:6379',
  },
  'max-runs': {
    type: 'string',
    value: '<n>',
    default: '8',
    help: 'runs at once (each holds a REPL process); with --redis, set per worker',
  },
  'max-queued': {
    type: 'string',
    value: '<n>',
    default: '32',
    help: 'runs waiting for a slot (with --redis: in the queue, all servers together);\npast that, 429 with Retry-After',
  },
  'max-body': { type: 'string', value: '<size>', default: '50mb', help: 'largest request body (413 past it): 512kb, 50mb, 1gb' },
  grace: { type: 'string', value: '<seconds>', default: '30', help: 'on SIGTERM, how long running runs may take to finish' },
  'trace-dir': { type: 'string', value: '<dir>', help: "where each run's JSONL trace goes (default <cache>/runs)" },
} as const satisfies Flags;

const MODEL = {
  model: ASK_OPTIONS.model,
  'sub-model': ASK_OPTIONS['sub-model'],
  'base-url': ASK_OPTIONS['base-url'],
  provider: ASK_OPTIONS.provider,
  stream: ASK_OPTIONS.stream,
} as const satisfies Flags;

const RUN = {
  repl: ASK_OPTIONS.repl,
  'max-iterations': ASK_OPTIONS['max-iterations'],
  'max-depth': ASK_OPTIONS['max-depth'],
  'cell-timeout': ASK_OPTIONS['cell-timeout'],
  concurrency: ASK_OPTIONS.concurrency,
  'max-output-chars': ASK_OPTIONS['max-output-chars'],
  'memory-limit': ASK_OPTIONS['memory-limit'],
  prices: ASK_OPTIONS.prices,
} as const satisfies Flags;

const CAPS = CAP_FLAGS;

const OUTPUT = {
  quiet: { type: 'boolean', short: 'q', help: 'no log on stderr' },
  help: HELP_FLAG,
} as const satisfies Flags;

const SERVE_OPTIONS = { ...SERVER, ...MODEL, ...RUN, ...CAPS, ...OUTPUT } as const satisfies Flags;

export const SERVE_HELP = renderHelp({
  usage: 'Usage: rlm serve [options]',
  about: `An OpenAI-compatible server over RLM runs: POST /v1/chat/completions (streaming or not) and
GET /v1/models, for chat UIs and SDKs. The model rlm answers over the conversation (earlier
messages, pasted text and attached files become the context; the last message is the question);
rlm/<root-model> picks another root model; rlm/<name> answers over a --corpus. Progress streams as
reasoning, the answer as content. A request may lower the limits in "rlm": { "max_cost_usd",
"max_calls", "max_tokens", "timeout_seconds" }, never raise them past the caps below.
Also: runs as jobs at /v1/runs, a live web page at / (open /?token=<token> once), and the MCP
tools (ask, preview, list_corpora) over Streamable HTTP at /mcp, all behind the same token.`,
  sections: [
    { title: 'Server:', flags: SERVER },
    { title: 'Model:', flags: MODEL },
    { title: 'Every run:', flags: RUN },
    { title: 'Caps on every run (a request can lower them, never raise them):', flags: CAPS },
    { title: 'Output:', flags: OUTPUT },
  ],
  notes: `Point a client at http://127.0.0.1:8787/v1 with the token as its API key.
Keys: OPENAI_API_KEY, or RLM_API_KEY for any base URL (ANTHROPIC_API_KEY with --provider anthropic).
SIGTERM or Ctrl-C: no new runs (503), running ones get --grace seconds, then are cancelled.
Exit codes: 0 stopped, 2 bad usage or input, 3 endpoint failed or model not listed.`,
  column: 29,
});

export async function serve(argv: string[], io: CliIO): Promise<number> {
  const v = parseFlags(argv, SERVE_OPTIONS, 'rlm serve').values;
  if (v.help) {
    io.stdout.write(`${SERVE_HELP}\n`);
    return EXIT.answer;
  }
  const log = v.quiet ? () => {} : (line: string) => io.stderr.write(`rlm serve: ${line}\n`);
  const host = v.host.trim();
  const port = wholeNumber('--port', v.port, 0)!;
  if (port > 65_535) throw usageError(`--port must be at most 65535, got ${port}`);
  const token = v.token ?? (io.env.RLM_SERVER_TOKEN || undefined);
  if (token !== undefined && token.trim() === '') throw usageError('--token needs a value');
  const { isLoopback } = await import('../server/start-server.ts');
  if (!isLoopback(host) && token === undefined)
    throw usageError(`--host ${host} is reachable from other machines: give a token (--token or RLM_SERVER_TOKEN)`);
  const extraHosts = (v['allow-host'] ?? []).map((name) => name.trim().toLowerCase());
  const badHost = extraHosts.find((name) => !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/.test(name));
  if (badHost !== undefined)
    throw usageError(`--allow-host expects a host name without port or scheme (docs.example.com), got '${badHost}'`);
  const maxRunning = wholeNumber('--max-runs', v['max-runs'], 1)!;
  const maxQueued = wholeNumber('--max-queued', v['max-queued'], 0)!;
  const maxBodyBytes = byteSize('--max-body', v['max-body']);
  const graceMs = wholeNumber('--grace', v.grace, 0)! * 1000;
  const limits = readCaps(v);
  const memoryLimitMb = wholeNumber('--memory-limit', v['memory-limit'], 16);
  const corpusPaths = corpusSpecs(v.corpus ?? []);
  const baseUrl = v['base-url'] === undefined ? undefined : httpUrl(v['base-url']);
  const base = {
    repl: v.repl === 'python' ? ('python' as const) : ('javascript' as const),
    maxIterations: wholeNumber('--max-iterations', v['max-iterations'], 1),
    maxDepth: wholeNumber('--max-depth', v['max-depth'], 0),
    maxOutputChars: wholeNumber('--max-output-chars', v['max-output-chars'], 100),
    cellTimeoutMs: wholeNumber('--cell-timeout', v['cell-timeout'], 1),
    concurrency: wholeNumber('--concurrency', v.concurrency, 1),
    memoryLimitMb,
    prices: undefined as PriceTable | undefined,
  };
  const traceDir = await traceFolder(v['trace-dir'], io.env);
  if (v.prices) base.prices = await (await import('./prices-file.ts')).readPrices(v.prices);
  const corpora = await loadCorpora(corpusPaths, memoryLimitMb);

  const redisUrl = v.redis?.trim();
  if (redisUrl !== undefined) (await import('../queue/redis-connection.ts')).checkRedisUrl(redisUrl);
  const model = v.model?.trim() || undefined;
  const subModel = v['sub-model']?.trim() || undefined;
  const { endpoint, createModel } =
    redisUrl === undefined
      ? await endpointModels(v.provider, { provider: v.provider, baseUrl, model, subModel, env: io.env }, v.stream ?? false)
      : await queuedModels(model, subModel);
  const runs =
    redisUrl === undefined
      ? undefined
      : await (
          await import('../queue/redis-runs.ts')
        ).startRedisRuns({
          redisUrl,
          traceDir,
          maxQueued,
          viewOptions: () => catalog.optionsFor({ id: 'rlm' }),
          log,
        });
  const [{ ModelCatalog }, { startServer }] = await Promise.all([import('../server/catalog.ts'), import('../server/start-server.ts')]);
  const catalog = new ModelCatalog({ createModel, rootModel: endpoint.model, subModel: endpoint.subModel, base, caps: limits, corpora });
  // The MCP tools over Streamable HTTP at /mcp, with the same models, corpora, settings and caps.
  const [{ createMcpHttpHandler }, { runThroughManager }, { allowedHostsFor }] = await Promise.all([
    import('../mcp/http.ts'),
    import('../server/mcp-runner.ts'),
    import('../server/origin-guard.ts'),
  ]);
  const roots = await Promise.all((v.root ?? []).map((root) => existingFolder('--root', root, process.cwd())));
  const mcp = (state: ServerState) =>
    createMcpHttpHandler({
      roots,
      remote: true,
      runner: runThroughManager(state.manager, (id) => `${server.url}/runs/${id}`),
      corpora: Object.fromEntries(corpusPaths),
      cwd: process.cwd(),
      models: async () => ({ model: createModel(endpoint.model), subModel: createModel(endpoint.subModel) }),
      modelHint: endpoint.model || "the workers' model",
      run: base,
      limits,
      log: (line) => log(`mcp: ${line}`),
      // Off loopback, clients reach the server by names it cannot know; the token guards it there.
      allowedHosts: allowedHostsFor(host, isLoopback(host), extraHosts),
    });
  const server = await startServer({
    catalog,
    traceDir,
    host,
    port,
    token,
    allowedHosts: extraHosts,
    maxRunning,
    maxQueued,
    maxBodyBytes,
    log,
    mcp,
    runs,
  });

  const models = [
    `rlm (${endpoint.model || "the workers' model"})`,
    ...[...corpora].map(([name, corpus]) => `rlm/${name} (${corpus.documents.length} file${corpus.documents.length === 1 ? '' : 's'})`),
  ];
  log(
    `${server.url}/v1 · models ${models.join(', ')} · ${redisUrl === undefined ? `${maxRunning} runs at once` : 'runs on the workers of the Redis queue'}, ${maxQueued} queued · ${token ? 'token required' : 'no token'} · traces in ${traceDir} · runs live at ${server.url}/`,
  );
  await stopSignal();
  const { running, queued } = await server.state.manager.stats();
  log(
    redisUrl === undefined
      ? `stopping: ${running} running get up to ${graceMs / 1000}s to finish, ${queued} queued are cancelled; signal again to cancel now`
      : `stopping: the runs of clients connected here get up to ${graceMs / 1000}s to finish; jobs stay on the queue for the workers and the other servers`,
  );
  const now = () => {
    // With a queue, jobs are the workers' and every server's: only the runs of clients connected here are cancelled.
    for (const run of server.state.manager.list())
      if (redisUrl === undefined || run.request.origin === 'chat' || run.request.origin === 'mcp')
        run.cancel('the server is shutting down');
  };
  process.once('SIGTERM', now);
  process.once('SIGINT', now);
  await server.drain(graceMs);
  process.off('SIGTERM', now);
  process.off('SIGINT', now);
  log('stopped');
  return EXIT.answer;
}

/** The endpoint's models, checked to exist there, as `rlm ask` finds them. */
async function endpointModels(provider: 'openai' | 'anthropic', input: ConfigInput, stream: boolean) {
  const endpoint = await resolveEndpoint(input);
  if (provider === 'openai') await refuseUnlistedModels(endpoint);
  return { endpoint, createModel: await modelMaker(provider, endpoint, { stream }) };
}

/**
 * With a queue, the workers call the models with their own endpoint and keys: the server only
 * names them, and a name left out ('') is the worker's own.
 */
async function queuedModels(model: string | undefined, subModel: string | undefined) {
  const { namedModel } = await import('../queue/named-model.ts');
  return { endpoint: { model: model ?? '', subModel: subModel ?? model ?? '' }, createModel: namedModel };
}

/** `--corpus docs=./handbook` as name and absolute path; a malformed or repeated name is refused. */
function corpusSpecs(specs: readonly string[]): Map<string, string> {
  const paths = new Map<string, string>();
  for (const spec of specs) {
    const at = spec.indexOf('=');
    const name = spec.slice(0, at).trim();
    if (at <= 0 || !/^[\w.-]+$/.test(name) || spec.slice(at + 1).trim() === '')
      throw usageError(`--corpus expects name=path (a name of letters, digits, . _ -), got '${spec}'`);
    if (paths.has(name)) throw usageError(`--corpus ${name} is given twice`);
    paths.set(name, resolve(spec.slice(at + 1).trim()));
  }
  return paths;
}

async function loadCorpora(paths: ReadonlyMap<string, string>, memoryLimitMb: number | undefined): Promise<Map<string, Corpus>> {
  const corpora = new Map<string, Corpus>();
  if (paths.size === 0) return corpora;
  const [{ loadCorpus }, { DEFAULTS }] = await Promise.all([import('../inputs/load-corpus.ts'), import('../config.ts')]);
  // As rlm ask: past a quarter of the REPL's memory (texts are held twice while they load), the files stay on disk.
  const memoryBudgetBytes = ((memoryLimitMb ?? DEFAULTS.memoryLimitMb) * 1024 * 1024) / 4;
  for (const [name, path] of paths) {
    try {
      corpora.set(name, await loadCorpus([path], { memoryBudgetBytes }));
    } catch (error) {
      if (!RlmError.isInstance(error)) throw error;
      throw new RlmError('RLM_INPUT', `--corpus ${name}: ${error.message}`);
    }
  }
  return corpora;
}

async function traceFolder(flag: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  const { defaultCacheDir } = await import('../cache-dir.ts');
  const dir = flag === undefined ? resolve(defaultCacheDir(env), 'runs') : resolve(flag);
  await mkdir(dir, { recursive: true }).catch(() => {
    throw usageError(`cannot write traces to ${dir}: the folder cannot be made`);
  });
  return dir;
}

/** `50mb`, `512kb`, `1gb`, `1048576` (bytes); k, m and g are powers of 1024. */
function byteSize(flag: string, raw: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(raw);
  if (!match) throw usageError(`${flag} expects a size such as 512kb, 50mb or 1gb, got '${raw}'`);
  const unit = (match[2] ?? 'b').toLowerCase()[0]!;
  const bytes = Math.floor(Number(match[1]) * { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit as 'b' | 'k' | 'm' | 'g']);
  if (bytes < 1) throw usageError(`${flag} must be at least 1 byte, got '${raw}'`);
  return bytes;
}
