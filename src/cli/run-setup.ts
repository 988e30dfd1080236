/**
 * What `rlm ask` and `rlm chat` set up before a run: the context (a file, standard input, or a
 * corpus of files), the endpoint and models, the RLM's options, the trace, and what a resume
 * takes from the trace it goes on from.
 */
import { access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEFAULTS } from '../config.ts';
import type { Corpus } from '../inputs/corpus.ts';
import { isCorpus } from '../inputs/is-corpus.ts';
import type { Model } from '../models/model.ts';
import type { PriceTable } from '../models/prices.ts';
import type { RLMOptions } from '../rlm.ts';
import type { ContextValue } from '../sandboxes/index.ts';
import type { JsonSchema } from '../schema/index.ts';
import type { RunSettings } from '../trace/events.ts';
import type { JsonlTraceOptions } from '../trace/jsonl.ts';
import type { Trace } from '../trace/read-trace.ts';
import type { AskArgs } from './args.ts';
import { modelMaker, refuseUnlistedModels, resolveEndpoint } from './config.ts';
import { expandSources, readContext, readCorpus } from './context-input.ts';
import { usageError } from './flags.ts';
import type { CliIO } from './io.ts';
import { forStream } from './terminal-text.ts';

/** A run ready to start: everything but its event sink and its signal. */
export interface RunSetup {
  /** The context read; undefined for a resume that takes it from its trace. */
  context: ContextValue | Corpus | undefined;
  /** The RLM's options, but `onEvent`. */
  options: RLMOptions;
  resumed: { trace: Trace; settings: RunSettings } | undefined;
  schema: JsonSchema | undefined;
  tracePath: string | undefined;
  traced: JsonlTraceOptions;
  prices: PriceTable | undefined;
  /** Closes what the run opened (the cache). */
  close(): void;
}

export async function setUpRun(args: AskArgs, io: CliIO): Promise<RunSetup> {
  const resumed = args.resume ? await resumable(args.resume) : undefined;
  const memoryLimitMb = args.memoryLimitMb ?? resumed?.settings.memoryLimitMb ?? DEFAULTS.memoryLimitMb;
  const corpus = await readCorpus(args.contexts, { memoryLimitMb });
  if (corpus && !args.quiet) io.stderr.write(`rlm: context: ${forStream(corpus.summary(), io.stderrIsTTY)}\n`);
  const sources = corpus ? [] : await expandSources(args.contexts);
  // A resumed run's context comes from its trace, unless given (its file moved); the files of a
  // corpus the trace names are read again, and said, as when they were first given.
  let context: ContextValue | Corpus | undefined =
    corpus ?? (resumed && sources.length === 0 ? undefined : await readContext(sources, io.stdin));
  if (resumed && context === undefined && 'corpus' in resumed.trace.header.context) {
    context = await (await import('../trace/read-trace.ts')).contextOf(resumed.trace, undefined);
    if (!args.quiet && isCorpus(context))
      io.stderr.write(`rlm: context (as the trace names it): ${forStream(context.summary(), io.stderrIsTTY)}\n`);
  }
  const tracePath = args.resume ?? args.trace;
  if (tracePath) await checkWritable(tracePath);
  const recorded = resumed?.settings;
  // The user's files are read before the endpoint is tried, so that a mistake in one is what is
  // reported; the prices file and the schema are read only by the runs that ask for them.
  const prices = args.prices ? await (await import('./prices-file.ts')).readPrices(args.prices) : undefined;
  const schema = args.schema ? await (await import('../schema/index.ts')).readSchemaFile(args.schema) : undefined;
  const endpoint = await resolveEndpoint({
    provider: args.provider,
    baseUrl: args.baseUrl,
    model: recorded ? recorded.models[0] : args.model,
    subModel: recorded ? (recorded.models[1] ?? recorded.models[0]) : args.subModel,
    env: io.env,
  });
  if (args.provider === 'openai') await refuseUnlistedModels(endpoint);
  if (endpoint.picked && !args.quiet) io.stderr.write(`rlm: model ${endpoint.model} (${endpoint.picked}; --model picks another)\n`);
  const create = await modelMaker(args.provider, endpoint, { stream: args.stream });
  const memo = args.cache ? await openMemo(args.cache, io.env) : undefined;
  const single = sources.length === 1 && sources[0] !== '-' ? resolve(sources[0]!) : undefined;
  const traced: JsonlTraceOptions = {
    context: context ?? '',
    ...(single ? { contextFile: single } : {}),
    ...(args.traceContext === 'embed' ? { embedContext: true } : {}),
    ...(resumed ? { resume: true } : {}),
  };
  const limits = { maxCalls: args.maxCalls, maxTokens: args.maxTokens, maxCostUsd: args.maxCost, timeoutMs: args.timeoutMs };
  const settings: RLMOptions = recorded
    ? { ...recordedOptions(recorded, create), limits: { ...recorded.limits, ...definedOnly(limits) } }
    : {
        model: create(endpoint.model),
        subModel: create(endpoint.subModel),
        maxIterations: args.maxIterations,
        maxOutputChars: args.maxOutputChars,
        repl: args.repl === 'python' ? 'python' : 'javascript',
        maxDepth: args.maxDepth,
        limits,
      };
  return {
    context,
    options: {
      ...(memo ? { memo: { store: memo, includeSampled: args.cacheSampled } } : {}),
      ...(prices ? { prices } : {}),
      cellTimeoutMs: args.cellTimeoutMs ?? recorded?.cellTimeoutMs,
      memoryLimitMb: args.memoryLimitMb ?? recorded?.memoryLimitMb,
      concurrency: args.concurrency ?? recorded?.concurrency,
      ...settings,
    },
    resumed,
    schema,
    tracePath,
    traced,
    prices,
    close: () => memo?.close(),
  };
}

/** The trace to resume and the settings its run was recorded with. */
async function resumable(path: string): Promise<{ trace: Trace; settings: RunSettings }> {
  // Loaded only by a resume, like the trace writer by a run that writes one.
  const { readTrace, recordedStart } = await import('../trace/read-trace.ts');
  const trace = await readTrace(path);
  return { trace, settings: recordedStart(trace).settings };
}

/** The RLM's options as the trace recorded them, so that its requests are asked exactly as before. */
function recordedOptions(settings: RunSettings, create: (id: string) => Model): RLMOptions {
  return {
    model: create(settings.models[0]!),
    modelsByDepth: settings.models.map((id) => create(id)),
    repl: settings.repl ?? 'javascript',
    maxIterations: settings.maxIterations,
    maxDepth: settings.maxDepth,
    maxOutputChars: settings.maxOutputChars,
    compactAt: settings.compactAt,
    ...(settings.contextWindow === undefined ? {} : { contextWindow: settings.contextWindow }),
    ...(settings.maxOutputTokens === undefined ? {} : { maxOutputTokens: settings.maxOutputTokens }),
    ...(settings.maxConcurrentChildren === undefined ? {} : { maxConcurrentChildren: settings.maxConcurrentChildren }),
    ...(settings.systemPrompt === undefined ? {} : { systemPrompt: settings.systemPrompt }),
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function openMemo(cache: string | true, env: NodeJS.ProcessEnv) {
  const [{ MemoStore }, { defaultCacheDir }] = await Promise.all([import('../models/memo.ts'), import('../cache-dir.ts')]);
  return new MemoStore(cache === true ? defaultCacheDir(env) : cache);
}

async function checkWritable(path: string): Promise<void> {
  try {
    await access(dirname(path), constants.W_OK);
  } catch {
    throw usageError(`cannot write the trace to ${path}: its folder does not exist or is not writable`);
  }
}
