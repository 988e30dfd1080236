/** `rlm ask`: answer a query over a long context. Answer on stdout, progress on stderr. */
import { access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RLM } from '../rlm.ts';
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
  const sources = await expandSources(args.contexts);
  const context = await readContext(sources, io.stdin);
  if (args.trace) await checkWritable(args.trace);
  const endpoint = await resolveEndpoint({
    provider: args.provider,
    baseUrl: args.baseUrl,
    model: args.model,
    subModel: args.subModel,
    env: io.env,
  });
  if (args.provider === 'openai') await refuseUnlistedModels(endpoint);
  if (endpoint.picked && !args.quiet) io.stderr.write(`rlm: model ${endpoint.model} (${endpoint.picked}; --model picks another)\n`);
  const create = await modelMaker(args.provider, endpoint, { stream: args.stream });
  const model = create(endpoint.model);
  const subModel = create(endpoint.subModel);

  // The prices file and the cache are read only by the runs that ask for them.
  const prices = args.prices ? await (await import('./prices-file.ts')).readPrices(args.prices) : undefined;
  const memo = args.cache ? await openMemo(args.cache, io.env) : undefined;
  const single = sources.length === 1 && sources[0] !== '-' ? resolve(sources[0]!) : undefined;
  const traced: JsonlTraceOptions = {
    context,
    ...(single ? { contextFile: single } : {}),
    ...(args.traceContext === 'embed' ? { embedContext: true } : {}),
  };
  const result = await runWithSurfaces({ ...args, priceTable: prices }, io, traced, async (onEvent, signal) => {
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
