/** `rlm ask`: answer a query over a long context. Answer on stdout, progress on stderr. */
import { access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { defaultCacheDir } from '../cache-dir.ts';
import { MemoStore } from '../models/memo.ts';
import type { PriceTable } from '../models/prices.ts';
import { RLM, type RunResult } from '../rlm.ts';
import type { EventSink } from '../trace/events.ts';
import { JsonlTrace, type JsonlTraceOptions } from '../trace/jsonl.ts';
import { parseAskArgs, type AskArgs } from './args.ts';
import { usageError } from './flags.ts';
import { DEFAULT_ANTHROPIC_MODEL, modelMaker, refuseUnlistedModels, resolveEndpoint } from './config.ts';
import { expandSources, readContext } from './context-input.ts';
import { EXIT } from './exit-codes.ts';
import { Progress } from './progress.ts';
import { turnLog } from './turn-log.ts';
import { routeWarnings } from './warnings.ts';
import type { CliIO } from './io.ts';
import { readPrices } from './prices-file.ts';
import { report } from './run-report.ts';
import { forStream } from './terminal-text.ts';

export const ASK_HELP = `Usage: rlm ask [options] "<query>"

Answers the query over a long context with a Recursive Language Model: the context goes into a
sandboxed REPL and the model explores it with code and sub-calls. The query is one argument:
quote it.

Context:
  -c, --context <file|->     the input; repeat it to pass several files as a list; - reads stdin;
                             a quoted glob (-c 'notes/*.md') is its files, in name order
Model:
  -m, --model <name>         root model (env RLM_MODEL; default gpt-5 on OpenAI, else the server's first)
      --sub-model <name>     model for llm_query sub-calls (env RLM_SUB_MODEL; default: the root model)
                             a model the endpoint does not list is refused before the run (exit 3)
      --base-url <url>       OpenAI-compatible endpoint (env RLM_BASE_URL / OPENAI_BASE_URL)
      --provider <name>      openai (default: any OpenAI-compatible endpoint) or anthropic (Messages API;
                             key ANTHROPIC_API_KEY, default model ${DEFAULT_ANTHROPIC_MODEL})
      --stream               stream responses from the server
REPL:
      --repl <js|python>     the REPL's language: js (default, a V8 isolate) or python (the paper's:
                             CPython on Pyodide, offline; llm_query blocks, *_batched run concurrently)
Limits (a run stopped by one prints no answer, unless the model gives one when asked after it):
      --max-iterations <n>   root turns before a final answer is asked for (default 30)
      --max-depth <n>        recursion depth: 1 (default) rlm_query is a plain model call; 2+ child
                             RLMs, each with its own REPL; 0 no sub-calls at all
      --max-calls <n>        most model calls in the run
      --max-tokens <n>       most input + output tokens in the run
      --max-cost <usd>       most spend in USD (models need a known price)
      --prices <file.json>   prices of your models: { "model": { "input": 1.25, "cachedInput": 0.125,
                             "output": 10 } } in USD per million tokens
      --timeout <ms>         wall time for the whole run
      --cell-timeout <ms>    time limit per code cell, awaiting included (default 60000)
      --concurrency <n>      model requests in flight at once (default 16)
      --max-output-chars <n> characters of each cell's output shown to the model (default 20000)
      --memory-limit <MiB>   memory cap of the REPL (default 1024)
Cache:
      --cache[=<dir>]        answer identical sub-calls from an on-disk memo that lasts across runs
                             (default folder ~/.cache/rlm; a folder only as --cache=<dir>); not for
      --cache-sampled        temperature > 0 unless this is given too
Output:
      --json                 print { answer, status, usage, iterations, durationMs } as JSON
                             (answer null when the run ended without one)
      --trace <file.jsonl>   write every event of the run, one JSON object a line
      --trace-context <path|embed>
                             how the trace keeps a context that is one file: its path and hash
                             (path, default), or the text itself, to replay it elsewhere (embed)
      --verbose              each turn on stderr as it goes: the model's words, its code, the output
  -q, --quiet                no progress on stderr
  -h, --help                 this help

Progress on stderr: turn, depth, sub-calls done / running / queued / failed, tokens, cost, time.
Keys: OPENAI_API_KEY, or RLM_API_KEY for any base URL. With neither set and no --base-url, rlm
looks for a local server at http://127.0.0.1:11434/v1 (Ollama).
Exit codes: 0 answer, 1 no answer (stdout empty, the reason on stderr), 2 bad usage or input,
3 endpoint failed or model not listed, 130 interrupted.`;

export async function ask(argv: string[], io: CliIO): Promise<number> {
  const args = parseAskArgs(argv);
  if (args.help) {
    io.stdout.write(`${ASK_HELP}\n`);
    return EXIT.answer;
  }
  const sources = await expandSources(args.contexts);
  const context = await readContext(sources, io.stdin);
  if (args.trace) await checkWritable(args.trace);
  const endpoint = await resolveEndpoint({ provider: args.provider, baseUrl: args.baseUrl, model: args.model, subModel: args.subModel, env: io.env });
  if (args.provider === 'openai') await refuseUnlistedModels(endpoint);
  if (endpoint.picked && !args.quiet) io.stderr.write(`rlm: model ${endpoint.model} (${endpoint.picked}; --model picks another)\n`);
  const create = await modelMaker(args.provider, endpoint, { stream: args.stream });
  const model = create(endpoint.model);
  const subModel = create(endpoint.subModel);

  const prices = args.prices ? await readPrices(args.prices) : undefined;
  const memo = args.cache ? new MemoStore(args.cache === true ? defaultCacheDir(io.env) : args.cache) : undefined;
  const single = sources.length === 1 && sources[0] !== '-' ? resolve(sources[0]!) : undefined;
  const traced: JsonlTraceOptions = { context, ...(single ? { contextFile: single } : {}), ...(args.traceContext === 'embed' ? { embedContext: true } : {}) };
  const result = await runWithSurfaces({ ...args, ...(prices ? { priceTable: prices } : {}) }, io, traced, async (onEvent, signal) => {
    const rlm = new RLM({
      ...(memo ? { memo: { store: memo, includeSampled: args.cacheSampled } } : {}),
      ...(prices ? { prices } : {}),
      model,
      subModel,
      maxIterations: args.maxIterations,
      maxOutputChars: args.maxOutputChars,
      cellTimeoutMs: args.cellTimeoutMs,
      memoryLimitMb: args.memoryLimitMb,
      repl: args.repl === 'python' ? 'python' : 'javascript',
      concurrency: args.concurrency,
      maxDepth: args.maxDepth,
      limits: { maxCalls: args.maxCalls, maxTokens: args.maxTokens, maxCostUsd: args.maxCost, timeoutMs: args.timeoutMs },
      onEvent,
    });
    try {
      return await rlm.run({ context, query: args.query, signal });
    } finally {
      memo?.close();
    }
  });
  return report(result, args, io);
}

/** Runs with progress, turns (--verbose), trace and Ctrl-C wired up; shared by `ask` and `demo`. */
export async function runWithSurfaces(
  args: Pick<AskArgs, 'quiet' | 'trace' | 'maxIterations'> & { verbose?: boolean; priceTable?: PriceTable },
  io: CliIO,
  traced: JsonlTraceOptions,
  run: (onEvent: EventSink, signal: AbortSignal) => Promise<RunResult>,
): Promise<RunResult> {
  const sinks: EventSink[] = [];
  const progress = args.quiet
    ? undefined
    : new Progress({
        stream: io.stderr,
        interactive: io.stderrIsTTY,
        maxIterations: args.maxIterations ?? 30,
        columns: () => (io.stderr as { columns?: number }).columns,
        ...(args.priceTable ? { prices: args.priceTable } : {}),
      });
  const print = (text: string) => (progress ? progress.print(text) : io.stderr.write(`${forStream(text, io.stderrIsTTY)}\n`));
  if (args.verbose) sinks.push(turnLog({ write: print }));
  if (progress) sinks.push(progress.onEvent);
  const trace = args.trace ? new JsonlTrace(args.trace, traced) : undefined;
  if (trace) sinks.push(trace.onEvent);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  const restoreWarnings = routeWarnings(print);
  try {
    return await run((event) => sinks.forEach((sink) => sink(event)), controller.signal);
  } finally {
    restoreWarnings();
    process.removeListener('SIGINT', interrupt);
    progress?.stop();
    await trace?.close();
  }
}

async function checkWritable(path: string): Promise<void> {
  try {
    await access(dirname(path), constants.W_OK);
  } catch {
    throw usageError(`cannot write the trace to ${path}: its folder does not exist or is not writable`);
  }
}
