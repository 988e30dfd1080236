/**
 * `rlm worker`: takes runs from a Redis queue that `rlm serve --redis` (or `rlm bench run
 * --redis`) fills, and runs them with this machine's model endpoint, keys and prices. Any number
 * of workers and servers may share one Redis. Flags are checked, the endpoint found and Redis
 * reached before the first job, so that a mistake is one line and exit 2. SIGTERM or Ctrl-C
 * drains: no new jobs, the running ones get `--grace` seconds, then are handed back to the queue,
 * where another worker resumes them from their logs; a second signal hands them back at once.
 */
import type { Corpus } from '../inputs/corpus.ts';
import type { Model } from '../models/model.ts';
import type { PriceTable } from '../models/prices.ts';
import { RlmError } from '../errors.ts';
import type { StoredRun } from '../queue/stored-run.ts';
import { ASK_OPTIONS } from './args.ts';
import { modelMaker, refuseUnlistedModels, resolveEndpoint } from './config.ts';
import { EXIT } from './exit-codes.ts';
import { existingFolder, httpUrl, usageError, wholeNumber } from './flags.ts';
import type { CliIO } from './io.ts';
import { HELP_FLAG, parseFlags, renderHelp, type Flags } from './options.ts';
import { stopSignal } from './stop-signal.ts';
import { CAP_FLAGS, readCaps } from './cap-flags.ts';

const QUEUE = {
  redis: { type: 'string', value: '<url>', help: 'the Redis the servers queue runs on: redis://host:6379 (rediss:// for TLS)' },
  concurrency: { type: 'string', value: '<n>', default: '4', help: 'runs at once (each holds a REPL process)' },
  'max-requests': {
    type: 'string',
    value: '<n>',
    help: "model requests in flight at once over all this worker's runs, to keep\nwithin a provider's rate limit (default: no cap beyond each run's own)",
  },
  root: {
    type: 'string',
    multiple: true,
    value: '<dir>',
    help: "a folder the corpora of runs may be read from (a server's --corpus must\nbe at the same path here); repeat it for several (default: the working folder)",
  },
  grace: {
    type: 'string',
    value: '<seconds>',
    default: '30',
    help: 'on SIGTERM, how long running runs may take before they are handed back',
  },
  'lock-timeout': {
    type: 'string',
    value: '<seconds>',
    default: '30',
    help: "how soon another worker takes over this one's runs if it dies",
  },
} as const satisfies Flags;

const MODEL = {
  model: ASK_OPTIONS.model,
  'sub-model': ASK_OPTIONS['sub-model'],
  'base-url': ASK_OPTIONS['base-url'],
  provider: ASK_OPTIONS.provider,
  stream: ASK_OPTIONS.stream,
  prices: ASK_OPTIONS.prices,
} as const satisfies Flags;

const CAPS = CAP_FLAGS;

const OUTPUT = {
  quiet: { type: 'boolean', short: 'q', help: 'no log on stderr' },
  help: HELP_FLAG,
} as const satisfies Flags;

const WORKER_OPTIONS = { ...QUEUE, ...MODEL, ...CAPS, ...OUTPUT } as const satisfies Flags;

export const WORKER_HELP = renderHelp({
  usage: 'Usage: rlm worker --redis <url> [options]',
  about: `Runs the runs that rlm serve --redis puts on a Redis queue, and the instances of
rlm bench run --redis, with this machine's endpoint and keys. Start as many as you like, on as
many machines; servers and workers find each other through Redis alone. A run whose worker dies
is taken over by another and resumed from its log in Redis, paying again for nothing it had
already been answered. The server decides the run (question, context, models by name, settings,
limits); the worker, how to reach the provider, and its caps can only lower the limits.`,
  sections: [
    { title: 'Queue:', flags: QUEUE },
    { title: 'Model (unset: as rlm ask finds them; a run may name its own):', flags: MODEL },
    { title: "Caps on every run taken here (a bench instance keeps the bench's own limits):", flags: CAPS },
    { title: 'Output:', flags: OUTPUT },
  ],
  notes: `Keys: OPENAI_API_KEY, or RLM_API_KEY for any base URL (ANTHROPIC_API_KEY with --provider anthropic).
SIGTERM or Ctrl-C: no new runs; running ones get --grace seconds, then go back to the queue.
Exit codes: 0 stopped, 2 bad usage or Redis unreachable, 3 endpoint failed or model not listed.`,
  column: 29,
});

export async function worker(argv: string[], io: CliIO): Promise<number> {
  const v = parseFlags(argv, WORKER_OPTIONS, 'rlm worker').values;
  if (v.help) {
    io.stdout.write(`${WORKER_HELP}\n`);
    return EXIT.answer;
  }
  const log = v.quiet ? () => {} : (line: string) => io.stderr.write(`rlm worker: ${line}\n`);
  if (v.redis === undefined || v.redis.trim() === '')
    throw usageError('rlm worker needs --redis <url>: the Redis that rlm serve --redis queues runs on');
  const { checkRedisUrl } = await import('../queue/redis-connection.ts');
  checkRedisUrl(v.redis.trim());
  const concurrency = wholeNumber('--concurrency', v.concurrency, 1)!;
  const maxRequests = wholeNumber('--max-requests', v['max-requests'], 1);
  const graceMs = wholeNumber('--grace', v.grace, 0)! * 1000;
  const lockMs = wholeNumber('--lock-timeout', v['lock-timeout'], 1)! * 1000;
  const limits = readCaps(v);
  const roots = await Promise.all((v.root ?? []).map((root) => existingFolder('--root', root, process.cwd())));
  const baseUrl = v['base-url'] === undefined ? undefined : httpUrl(v['base-url']);
  const prices: PriceTable | undefined = v.prices ? await (await import('./prices-file.ts')).readPrices(v.prices) : undefined;

  const endpoint = await resolveEndpoint({
    provider: v.provider,
    baseUrl,
    model: v.model?.trim() || undefined,
    subModel: v['sub-model']?.trim() || undefined,
    env: io.env,
  });
  if (v.provider === 'openai') await refuseUnlistedModels(endpoint);
  const make = await modelMaker(v.provider, endpoint, { stream: v.stream ?? false });
  const createModel = maxRequests === undefined ? make : await sharedCap(make, maxRequests);

  const [{ startQueueWorker }, { lowerLimits }, { allowedRoots }] = await Promise.all([
    import('../queue/queue-worker.ts'),
    import('../queue/stored-run.ts'),
    import('../mcp/roots.ts'),
  ]);
  const allowed = await allowedRoots([], roots, process.cwd());
  const queueWorker = await startQueueWorker({
    redisUrl: v.redis.trim(),
    concurrency,
    lockMs,
    log,
    optionsFor: (run, models) => ({
      ...run.settings,
      model: createModel(models.root ?? endpoint.model),
      subModel: createModel(models.sub ?? endpoint.subModel),
      limits: lowerLimits(run.limits, limits),
      ...(prices ? { prices } : {}),
    }),
    corpusOf: (run) => corpusOf(run, allowed),
    handlers: {
      bench: async () => {
        const { runBenchJob } = await benchWorker();
        return (data, signal) => runBenchJob(data, { createModel, prices, signal });
      },
    },
  });
  log(
    `model ${endpoint.model}${endpoint.subModel === endpoint.model ? '' : `, sub-model ${endpoint.subModel}`} · ${concurrency} runs at once`,
  );

  await stopSignal();
  log(`stopping: running runs get up to ${graceMs / 1000}s to finish, then go back to the queue; signal again to hand them back now`);
  const now = () => queueWorker.handBackNow();
  process.once('SIGTERM', now);
  process.once('SIGINT', now);
  await queueWorker.close(graceMs);
  process.off('SIGTERM', now);
  process.off('SIGINT', now);
  log('stopped');
  return EXIT.answer;
}

/** Every model made shares one cap on requests in flight, across the runs of this worker. */
async function sharedCap(make: (id: string) => Model, limit: number): Promise<(id: string) => Model> {
  const [{ Limiter }, { wrapModel }] = await Promise.all([import('../models/limiter.ts'), import('../models/model.ts')]);
  const limiter = new Limiter(limit);
  return (id) => wrapModel(make(id), (inner) => (request) => limiter.run(() => inner.generate(request), request.signal));
}

/** The run's corpus, from folders this worker may read, checked against the server's. */
async function corpusOf(run: StoredRun, roots: readonly string[]): Promise<Corpus> {
  if (!('corpus' in run.context)) throw new RlmError('RLM_INPUT', 'the run has no corpus');
  const { corpus: origin, documents } = run.context;
  const [{ confineSources, OutsideRootsError }, { loadCorpus }, { documentsHash }] = await Promise.all([
    import('../mcp/roots.ts'),
    import('../inputs/load-corpus.ts'),
    import('../trace/jsonl.ts'),
  ]);
  try {
    await confineSources(origin.sources, origin.cwd, roots);
  } catch (error) {
    if (error instanceof OutsideRootsError)
      throw new RlmError('RLM_INPUT', `this worker may not read ${origin.sources.join(', ')}: start it with --root naming the folder`);
    throw error;
  }
  const corpus = await loadCorpus(origin.sources, { cwd: origin.cwd, maxFileBytes: origin.maxFileBytes, onDisk: origin.onDisk });
  if (documentsHash(corpus) !== documents)
    throw new RlmError(
      'RLM_INPUT',
      `the files of ${origin.sources.join(', ')} on this worker differ from the server's (added, removed or resized): give both the same folder`,
    );
  return corpus;
}

type BenchWorker = {
  runBenchJob(
    data: unknown,
    ctx: { createModel(id: string): Model; prices: PriceTable | undefined; signal: AbortSignal },
  ): Promise<unknown>;
};

async function benchWorker(): Promise<BenchWorker> {
  try {
    return (await import('rlm-bench/worker' as string)) as BenchWorker;
  } catch (error) {
    if (
      (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' ||
      (error as { code?: string }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED'
    )
      throw new RlmError('RLM_USAGE', 'this worker has no rlm-bench to run bench instances with: npm install rlm-bench');
    throw error;
  }
}
