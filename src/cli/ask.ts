/** `rlm ask`: answer a query over a long context. Answer on stdout, progress on stderr. */
import { access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RlmError } from '../errors.ts';
import type { Model } from '../models/model.ts';
import { RLM, type RLMOptions } from '../rlm.ts';
import type { RunSettings } from '../trace/events.ts';
import type { Trace } from '../trace/read-trace.ts';
import type { JsonlTraceOptions } from '../trace/jsonl.ts';
import { ASK_HELP, parseAskArgs } from './args.ts';
import { modelMaker, refuseUnlistedModels, resolveEndpoint } from './config.ts';
import { expandSources, readContext } from './context-input.ts';
import { EXIT } from './exit-codes.ts';
import { usageError } from './flags.ts';
import type { CliIO } from './io.ts';
import { report } from './run-report.ts';
import { runWithSurfaces } from './run-surfaces.ts';

export async function ask(argv: string[], io: CliIO): Promise<number> {
  const args = parseAskArgs(argv);
  if (args.help) {
    io.stdout.write(`${ASK_HELP}\n`);
    return EXIT.answer;
  }
  const resumed = args.resume ? await resumable(args.resume) : undefined;
  const sources = await expandSources(args.contexts);
  // A resumed run's context comes from its trace, unless given (its file moved).
  const context = resumed && sources.length === 0 ? undefined : await readContext(sources, io.stdin);
  const tracePath = args.resume ?? args.trace;
  if (tracePath) await checkWritable(tracePath);
  const recorded = resumed?.settings;
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

  // The prices file and the cache are read only by the runs that ask for them.
  const prices = args.prices ? await (await import('./prices-file.ts')).readPrices(args.prices) : undefined;
  const memo = args.cache ? await openMemo(args.cache, io.env) : undefined;
  const schema = args.schema ? await (await import('../schema/index.ts')).readSchemaFile(args.schema) : undefined;
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
  const result = await runWithSurfaces({ ...args, trace: tracePath, priceTable: prices }, io, traced, async (onEvent, signal) => {
    const rlm = new RLM({
      ...(memo ? { memo: { store: memo, includeSampled: args.cacheSampled } } : {}),
      ...(prices ? { prices } : {}),
      cellTimeoutMs: args.cellTimeoutMs ?? recorded?.cellTimeoutMs,
      memoryLimitMb: args.memoryLimitMb ?? recorded?.memoryLimitMb,
      concurrency: args.concurrency ?? recorded?.concurrency,
      ...settings,
      onEvent,
    });
    try {
      if (resumed)
        return await rlm.resume(resumed.trace, { signal, ...(context === undefined ? {} : { context }), ...(schema ? { schema } : {}) });
      return await rlm.run({ context: context!, query: args.query, signal, schema });
    } finally {
      memo?.close();
    }
  });
  const code = report(result, args, io);
  if (result.answer === undefined && tracePath && result.status !== 'error')
    io.stderr.write(`rlm: to go on from where it stopped: rlm ask --resume ${tracePath} (with higher limits if one stopped it)\n`);
  return code;
}

/** The trace to resume and the settings its run was recorded with. */
async function resumable(path: string): Promise<{ trace: Trace; settings: RunSettings }> {
  // Loaded only by a resume, like the trace writer by a run that writes one.
  const trace = await (await import('../trace/read-trace.ts')).readTrace(path);
  const start = [...(trace.earlier ?? []), ...trace.events].find((e) => e.type === 'run-start' && e.depth === 0);
  const settings = start?.type === 'run-start' && start.method === undefined ? start.settings : undefined;
  if (!settings) throw new RlmError('RLM_INPUT', `${path} has no RLM run to resume (no root run-start with its settings)`);
  return { trace, settings };
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
