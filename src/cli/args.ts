/** `rlm ask`'s flags and help, and the checking of its arguments: every mistake becomes one clear RLM_USAGE error. */
import { statSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { DEFAULTS } from '../config.ts';
import { DEFAULT_ANTHROPIC_MODEL } from './config.ts';
import { usageError, usd, wholeNumber } from './flags.ts';
import { HELP_FLAG, parseFlags, renderHelp, type Flags } from './options.ts';

export interface AskArgs {
  query: string;
  contexts: string[];
  model?: string | undefined;
  subModel?: string | undefined;
  baseUrl?: string | undefined;
  provider: 'openai' | 'anthropic';
  repl: 'js' | 'python';
  maxDepth?: number | undefined;
  maxIterations?: number | undefined;
  maxCost?: number | undefined;
  maxCalls?: number | undefined;
  maxTokens?: number | undefined;
  timeoutMs?: number | undefined;
  cellTimeoutMs?: number | undefined;
  concurrency?: number | undefined;
  maxOutputChars?: number | undefined;
  memoryLimitMb?: number | undefined;
  trace?: string | undefined;
  /** A trace to go on from: a run that ended without its answer. */
  resume?: string | undefined;
  /** A JSON file of prices per model, added to the built-in table. */
  prices?: string | undefined;
  /** `--cache` (true: the default folder) or `--cache=<dir>`. */
  cache?: string | true | undefined;
  cacheSampled: boolean;
  json: boolean;
  /** A JSON Schema file the answer must match. */
  schema?: string | undefined;
  quiet: boolean;
  /** Each turn's code and output on stderr as the run goes. */
  verbose: boolean;
  /** How a trace keeps a context that is one file: by `path` and hash (default), or `embed`ded. */
  traceContext: 'path' | 'embed';
  stream: boolean;
  help: boolean;
}

const CONTEXT = {
  context: {
    type: 'string',
    short: 'c',
    multiple: true,
    value: '<path|->',
    help: "the input: a text file, - for stdin, or a folder, a quoted glob\n(-c 'docs/**/*.md') or documents (PDF, DOCX, HTML, JSON, JSONL, CSV):\nthose become a list of documents with their paths (.gitignore honoured;\nbinary and over-10-MiB files skipped and listed); repeat it for several",
  },
  resume: {
    type: 'string',
    value: '<trace.jsonl>',
    help: 'go on with a run that ended without its answer (a crash, Ctrl-C, a limit)\nfrom its trace: no recorded reply is asked for again; the query, context,\nmodels and settings come from the trace, limits may be raised; the\nresumed run is appended to the same trace',
  },
} as const satisfies Flags;

const MODEL = {
  model: {
    type: 'string',
    short: 'm',
    value: '<name>',
    help: "root model (env RLM_MODEL; default gpt-5 on OpenAI, else the server's first)",
  },
  'sub-model': {
    type: 'string',
    value: '<name>',
    help: 'model for llm_query sub-calls (env RLM_SUB_MODEL; default: the root model)\na model the endpoint does not list is refused before the run (exit 3)',
  },
  'base-url': { type: 'string', value: '<url>', help: 'OpenAI-compatible endpoint (env RLM_BASE_URL / OPENAI_BASE_URL)' },
  provider: {
    type: 'string',
    value: '<name>',
    default: 'openai',
    choices: ['openai', 'anthropic'],
    help: `openai (any OpenAI-compatible endpoint) or anthropic (the Messages API;\nkey ANTHROPIC_API_KEY, model ${DEFAULT_ANTHROPIC_MODEL} unless --model)`,
  },
  stream: { type: 'boolean', help: 'stream responses from the server' },
} as const satisfies Flags;

const REPL = {
  repl: {
    type: 'string',
    value: '<js|python>',
    default: 'js',
    choices: ['js', 'python'],
    help: "the REPL's language: js (a V8 isolate) or python (the paper's:\nCPython on Pyodide, offline; llm_query blocks, *_batched run concurrently)",
  },
} as const satisfies Flags;

const LIMITS = {
  'max-iterations': {
    type: 'string',
    value: '<n>',
    help: `root turns before a final answer is asked for (default ${DEFAULTS.maxIterations})`,
  },
  'max-depth': {
    type: 'string',
    value: '<n>',
    help: `recursion depth (default ${DEFAULTS.maxDepth}): 1 rlm_query is a plain model call; 2+ child\nRLMs, each with its own REPL; 0 no sub-calls at all`,
  },
  'max-calls': { type: 'string', value: '<n>', help: 'most model calls in the run' },
  'max-tokens': { type: 'string', value: '<n>', help: 'most input + output tokens in the run' },
  'max-cost': { type: 'string', value: '<usd>', help: 'most spend in USD (models need a known price)' },
  prices: {
    type: 'string',
    value: '<file.json>',
    help: 'prices of your models: { "model": { "input": 1.25, "cachedInput": 0.125,\n"output": 10 } } in USD per million tokens',
  },
  timeout: { type: 'string', value: '<ms>', help: 'wall time for the whole run' },
  'cell-timeout': {
    type: 'string',
    value: '<ms>',
    help: `time limit per code cell, awaiting included (default ${DEFAULTS.cellTimeoutMs})`,
  },
  concurrency: { type: 'string', value: '<n>', help: `model requests in flight at once (default ${DEFAULTS.concurrency})` },
  'max-output-chars': {
    type: 'string',
    value: '<n>',
    help: `characters of each cell's output shown to the model (default ${DEFAULTS.maxOutputChars})`,
  },
  'memory-limit': { type: 'string', value: '<MiB>', help: `memory cap of the REPL (default ${DEFAULTS.memoryLimitMb})` },
} as const satisfies Flags;

const CACHE = {
  cache: {
    type: 'boolean',
    value: '[=<dir>]',
    help: 'answer identical sub-calls from an on-disk memo that lasts across runs\n(default folder ~/.cache/rlm; a folder only as --cache=<dir>); not for\ntemperature > 0 unless --cache-sampled is given too',
  },
  // `--cache=<dir>` is read as `--cache --cache-dir <dir>` (see parseAskArgs).
  'cache-dir': { type: 'string' },
  'cache-sampled': { type: 'boolean', help: 'with --cache, memoize sampled calls (temperature > 0) as well' },
} as const satisfies Flags;

const OUTPUT = {
  json: {
    type: 'boolean',
    help: 'print { answer, status, usage, iterations, durationMs } as JSON\n(answer null when the run ended without one; value, with --schema)',
  },
  schema: {
    type: 'string',
    value: '<file.json>',
    help: 'a JSON Schema the answer must match: the model is shown it, and an\nanswer that does not is sent back to be corrected (twice at most)',
  },
  trace: { type: 'string', value: '<file.jsonl>', help: 'write every event of the run, one JSON object a line' },
  'trace-context': {
    type: 'string',
    value: '<path|embed>',
    choices: ['path', 'embed'],
    help: 'how the trace keeps a context that is one file: its path and hash\n(path, default), or the text itself, to replay it elsewhere (embed)',
  },
  verbose: { type: 'boolean', help: "each turn on stderr as it goes: the model's words, its code, the output" },
  quiet: { type: 'boolean', short: 'q', help: 'no progress on stderr' },
  help: HELP_FLAG,
} as const satisfies Flags;

/** Every flag of `rlm ask`. */
export const ASK_OPTIONS = { ...CONTEXT, ...MODEL, ...REPL, ...LIMITS, ...CACHE, ...OUTPUT } as const satisfies Flags;

export const ASK_HELP = renderHelp({
  usage: 'Usage: rlm ask [options] "<query>"',
  about: `Answers the query over a long context with a Recursive Language Model: the context goes into a
sandboxed REPL and the model explores it with code and sub-calls. The query is one argument:
quote it.`,
  sections: [
    { title: 'Context:', flags: CONTEXT },
    { title: 'Model:', flags: MODEL },
    { title: 'REPL:', flags: REPL },
    { title: 'Limits (a run stopped by one prints no answer, unless the model gives one when asked after it):', flags: LIMITS },
    { title: 'Cache:', flags: CACHE },
    { title: 'Output:', flags: OUTPUT },
  ],
  notes: `Progress on stderr: turn, depth, sub-calls done / running / queued / failed, tokens, cost, time.
Keys: OPENAI_API_KEY, or RLM_API_KEY for any base URL. With neither set and no --base-url, rlm
looks for a local server at http://127.0.0.1:11434/v1 (Ollama).
Exit codes: 0 answer, 1 no answer (stdout empty, the reason on stderr), 2 bad usage or input,
3 endpoint failed or model not listed, 130 interrupted.`,
  column: 29,
});

export const CHAT_HELP = renderHelp({
  usage: 'Usage: rlm chat [options] --context <path>',
  about: `A conversation with a Recursive Language Model over a long context, in the terminal. The first
question loads the context into the REPL; each later one reuses it, and every variable the
model's code made, so a follow-up costs only what is new. Type a question and Enter.
At the prompt: /add <path> adds a context (context_1, context_2...), /usage shows the spend,
/exit or Ctrl-D leaves. Ctrl-C while a question runs cancels that question, not the session.
Limits hold for each question. With --trace the session is saved; --resume <trace> reopens it
(its questions are answered again from the trace, paying for nothing twice).`,
  sections: [
    { title: 'Context:', flags: CONTEXT },
    { title: 'Model:', flags: MODEL },
    { title: 'REPL:', flags: REPL },
    { title: 'Limits (for each question):', flags: LIMITS },
    { title: 'Cache:', flags: CACHE },
    { title: 'Output:', flags: { trace: OUTPUT.trace, verbose: OUTPUT.verbose, quiet: OUTPUT.quiet, help: OUTPUT.help } },
  ],
  notes: `Exit codes: 0 the session ended, 2 bad usage or input, 3 endpoint failed or model not listed.`,
  column: 29,
});

/** Parses argv after `ask`. Throws RLM_USAGE errors with a message fit for one line. */
export function parseAskArgs(argv: string[], command: 'ask' | 'chat' = 'ask'): AskArgs {
  // `--cache` takes its folder only as `--cache=<dir>`: a bare `--cache <x>` would swallow the query.
  const expanded = argv.flatMap((arg) => (arg.startsWith('--cache=') ? ['--cache', '--cache-dir', arg.slice('--cache='.length)] : [arg]));
  const parsed = parseFlags(expanded, ASK_OPTIONS, `rlm ${command}`, { positionals: true });
  const v = parsed.values;
  // A chat's questions are typed at its prompt.
  if (command === 'chat') {
    if (parsed.positionals.length > 0 && !v.help)
      throw usageError(`rlm chat takes no query: ask at its prompt ('${parsed.positionals[0]}' is not a flag; see rlm chat --help)`);
    if (v.json) throw usageError('--json is for rlm ask: rlm chat prints each answer as it comes');
  }
  if (!v.help && command === 'ask')
    refuseStrayArguments(parsed.positionals, { contexts: v.context ?? [], cacheFlag: v.cache === true && v['cache-dir'] === undefined });

  const args: AskArgs = {
    query: (parsed.positionals[0] ?? '').trim(),
    contexts: v.context ?? [],
    provider: v.provider,
    repl: v.repl,
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
  args.maxDepth = wholeNumber('--max-depth', v['max-depth'], 0);
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
  if (v.schema !== undefined) args.schema = nonEmpty('--schema', v.schema);
  if (v['cache-dir'] !== undefined) args.cache = nonEmpty('--cache', v['cache-dir']);
  else if (v.cache) args.cache = true;
  if (args.cacheSampled && !args.cache) throw usageError('--cache-sampled goes with --cache');
  if (args.verbose && args.quiet) throw usageError('--verbose and --quiet contradict each other: give one');
  if (v['trace-context'] !== undefined) {
    if (!args.trace) throw usageError('--trace-context goes with --trace <file.jsonl>');
    args.traceContext = v['trace-context'];
  }
  if (v.resume !== undefined) refuseWithResume(args, nonEmpty('--resume', v.resume), argv);
  if (!args.help && args.query === '' && !args.resume && command === 'ask')
    throw usageError('no query given: rlm ask [options] "<question>" (see rlm ask --help)');
  return args;
}

/** Flags that would change what is asked of the models: with --resume they come from the trace. */
const FROM_THE_TRACE = {
  model: 'm',
  'sub-model': undefined,
  repl: undefined,
  'max-depth': undefined,
  'max-iterations': undefined,
  'max-output-chars': undefined,
};

function refuseWithResume(args: AskArgs, trace: string, argv: readonly string[]): void {
  args.resume = trace;
  if (args.query !== '') throw usageError('--resume takes no query: the query comes from the trace');
  if (args.schema !== undefined) throw usageError('--schema comes from the trace with --resume');
  for (const [name, short] of Object.entries(FROM_THE_TRACE)) {
    if (argv.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`) || (short !== undefined && arg === `-${short}`)))
      throw usageError(`--${name} comes from the trace with --resume (its replies were asked with the recorded one)`);
  }
  if (args.trace !== undefined && args.trace !== trace) throw usageError('--resume appends to the trace it resumes: leave out --trace');
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
  const file =
    last === undefined
      ? undefined
      : positionals.find((p) => kindOf(p) === 'file' && (dirname(p) === dirname(last) || extname(p) === extname(last)));
  if (last !== undefined && file !== undefined) {
    throw usageError(
      `'${file}' is a file, not the query: the shell expanded a glob given to -c into several files; quote the glob (-c '${globHint(last, file)}') or repeat -c for each file`,
    );
  }
  if (positionals.length > 1) {
    throw usageError(
      `one query expected, got ${positionals.length} arguments (${positionals.map((p) => `'${p}'`).join(' ')}): quote the query, rlm ask -c <file> "<question>"`,
    );
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
