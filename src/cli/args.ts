/** Parsing and checking `rlm ask` arguments; every mistake becomes one clear RLM_USAGE error. */
import { statSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { negativeValuesAttached, usageError, usd, wholeNumber } from './flags.ts';

export interface AskArgs {
  query: string;
  contexts: string[];
  model?: string;
  subModel?: string;
  baseUrl?: string;
  provider: 'openai' | 'anthropic';
  repl: 'js' | 'python';
  maxDepth: number;
  maxIterations?: number;
  maxCost?: number;
  maxCalls?: number;
  maxTokens?: number;
  timeoutMs?: number;
  cellTimeoutMs?: number;
  concurrency?: number;
  maxOutputChars?: number;
  memoryLimitMb?: number;
  trace?: string;
  /** A JSON file of prices per model, added to the built-in table. */
  prices?: string;
  /** `--cache` (true: the default folder) or `--cache=<dir>`. */
  cache?: string | true;
  cacheSampled: boolean;
  json: boolean;
  quiet: boolean;
  /** Each turn's code and output on stderr as the run goes. */
  verbose: boolean;
  /** How a trace keeps a context that is one file: by `path` and hash (default), or `embed`ded. */
  traceContext: 'path' | 'embed';
  stream: boolean;
  help: boolean;
}

export const ASK_OPTIONS = {
  context: { type: 'string', short: 'c', multiple: true },
  model: { type: 'string', short: 'm' },
  'sub-model': { type: 'string' },
  'base-url': { type: 'string' },
  provider: { type: 'string' },
  repl: { type: 'string' },
  'max-depth': { type: 'string' },
  'max-iterations': { type: 'string' },
  'max-cost': { type: 'string' },
  'max-calls': { type: 'string' },
  'max-tokens': { type: 'string' },
  timeout: { type: 'string' },
  'cell-timeout': { type: 'string' },
  concurrency: { type: 'string' },
  'max-output-chars': { type: 'string' },
  'memory-limit': { type: 'string' },
  trace: { type: 'string' },
  prices: { type: 'string' },
  cache: { type: 'boolean' },
  'cache-dir': { type: 'string' },
  'cache-sampled': { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean' },
  'trace-context': { type: 'string' },
  stream: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses argv after `ask`. Throws RLM_USAGE errors with a message fit for one line. */
export function parseAskArgs(argv: string[]): AskArgs {
  let parsed;
  try {
    // `--cache` takes its folder only as `--cache=<dir>`: a bare `--cache <x>` would swallow the query.
    const args = argv.flatMap((arg) => (arg.startsWith('--cache=') ? ['--cache', '--cache-dir', arg.slice('--cache='.length)] : [arg]));
    parsed = parseArgs({ args: negativeValuesAttached(args, ASK_OPTIONS), options: ASK_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(describeParseError(error));
  }
  const v = parsed.values;
  const provider = v.provider ?? 'openai';
  if (provider !== 'openai' && provider !== 'anthropic') throw usageError(`--provider must be openai or anthropic, got '${provider}'`);
  const repl = v.repl ?? 'js';
  if (repl !== 'js' && repl !== 'python') throw usageError(`--repl must be js or python, got '${repl}'`);
  const maxDepth = wholeNumber('--max-depth', v['max-depth'], 0) ?? 1;

  if (!v.help) refuseStrayArguments(parsed.positionals, { contexts: v.context ?? [], cacheFlag: v.cache === true && v['cache-dir'] === undefined });

  const args: AskArgs = {
    query: (parsed.positionals[0] ?? '').trim(),
    contexts: v.context ?? [],
    provider,
    repl,
    maxDepth,
    cacheSampled: v['cache-sampled'] ?? false,
    json: v.json ?? false,
    quiet: v.quiet ?? false,
    verbose: v.verbose ?? false,
    traceContext: 'path',
    stream: v.stream ?? false,
    help: v.help ?? false,
  };
  if (v.model !== undefined) args.model = nonEmpty('--model', v.model);
  if (v['sub-model'] !== undefined) args.subModel = nonEmpty('--sub-model', v['sub-model']);
  if (v['base-url'] !== undefined) args.baseUrl = url('--base-url', v['base-url']);
  args.maxIterations = wholeNumber('--max-iterations', v['max-iterations'], 1);
  args.maxCost = usd('--max-cost', v['max-cost']);
  args.maxCalls = wholeNumber('--max-calls', v['max-calls'], 1);
  args.maxTokens = wholeNumber('--max-tokens', v['max-tokens'], 1);
  args.timeoutMs = wholeNumber('--timeout', v.timeout, 1);
  args.cellTimeoutMs = wholeNumber('--cell-timeout', v['cell-timeout'], 1);
  args.concurrency = wholeNumber('--concurrency', v.concurrency, 1);
  args.maxOutputChars = wholeNumber('--max-output-chars', v['max-output-chars'], 100);
  args.memoryLimitMb = wholeNumber('--memory-limit', v['memory-limit'], 16);
  if (v.trace !== undefined) args.trace = nonEmpty('--trace', v.trace);
  if (v.prices !== undefined) args.prices = nonEmpty('--prices', v.prices);
  if (v['cache-dir'] !== undefined) args.cache = nonEmpty('--cache', v['cache-dir']);
  else if (v.cache) args.cache = true;
  if (args.cacheSampled && !args.cache) throw usageError('--cache-sampled goes with --cache');
  if (args.verbose && args.quiet) throw usageError('--verbose and --quiet contradict each other: give one');
  if (v['trace-context'] !== undefined) {
    const how = v['trace-context'];
    if (how !== 'path' && how !== 'embed') throw usageError(`--trace-context must be path or embed, got '${how}'`);
    if (!args.trace) throw usageError('--trace-context goes with --trace <file.jsonl>');
    args.traceContext = how;
  }
  if (!args.help && args.query === '') throw usageError('no query given: rlm ask [options] "<question>" (see rlm ask --help)');
  return args;
}

/**
 * One query, quoted. A word beyond it is a mistake whose cause the shell hid: an unquoted query,
 * a glob given to -c that the shell expanded into several files (the second becomes the query),
 * or `--cache DIR` (the folder becomes the query and the default cache is used).
 */
function refuseStrayArguments(positionals: readonly string[], given: { contexts: readonly string[]; cacheFlag: boolean }): void {
  const folder = positionals.find((p) => kindOf(p) === 'folder');
  const cacheDir = folder ?? (positionals.length > 1 ? positionals[0] : undefined);
  if (given.cacheFlag && cacheDir !== undefined) {
    throw usageError(`'${cacheDir}' after --cache is taken as the query: use --cache=${cacheDir} for a cache folder`);
  }
  const last = given.contexts.at(-1);
  const file = last === undefined ? undefined : positionals.find((p) => kindOf(p) === 'file' && (dirname(p) === dirname(last) || extname(p) === extname(last)));
  if (last !== undefined && file !== undefined) {
    throw usageError(`'${file}' is a file, not the query: the shell expanded a glob given to -c into several files; quote the glob (-c '${globHint(last, file)}') or repeat -c for each file`);
  }
  if (positionals.length > 1) {
    throw usageError(`one query expected, got ${positionals.length} arguments (${positionals.map((p) => `'${p}'`).join(' ')}): quote the query, rlm ask -c <file> "<question>"`);
  }
}

function kindOf(path: string): 'file' | 'folder' | undefined {
  try {
    const stat = statSync(path);
    return stat.isDirectory() ? 'folder' : stat.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** `g/a.md` and `g/b.md` suggest `g/*.md`. */
function globHint(first: string, second: string): string {
  const folder = dirname(first) === dirname(second) && dirname(first) !== '.' ? `${dirname(first)}/` : '';
  const ext = extname(first) === extname(second) ? extname(first) : '';
  return `${folder}*${ext}`;
}

function describeParseError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const message = e.message ?? String(error);
  const option = /'(-[^']*)'/.exec(message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? ''} (see rlm ask --help)`.replace('  ', ' ');
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return option ? `option ${option} needs a value` : message.split('\n')[0]!;
  }
  return message.split('\n')[0]!;
}

function nonEmpty(flag: string, raw: string): string {
  if (raw.trim() === '') throw usageError(`${flag} needs a value`);
  return raw.trim();
}

function url(flag: string, raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error();
    return raw.replace(/\/+$/, '');
  } catch {
    throw usageError(`${flag} expects an http(s) URL, got '${raw}'`);
  }
}
