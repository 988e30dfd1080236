/**
 * `rlm bench run`: the paper's comparison for your own models. Tasks, sizes and methods through
 * the same provider, written as per-run JSONL, a Markdown table and an SVG chart, and resumed
 * when run again with the same output folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scoreChart } from '../benchmark/chart.ts';
import { estimateBench } from '../benchmark/estimate.ts';
import { METHODS, type MethodName, type MethodSetup } from '../benchmark/methods.ts';
import { compactTokens, markdownReport } from '../benchmark/report.ts';
import { RETRIEVAL_DEFAULTS } from '../benchmark/retrieval.ts';
import {
  latestResults,
  readResults,
  refuseUnpricedBenchLimit,
  runBenchmark,
  type BenchOptions,
  type BenchRow,
  type BenchSummary,
} from '../benchmark/runner.ts';
import { checkResumable } from '../benchmark/settings.ts';
import { remoteRuns, workerModel, type ExecuteRun } from '../distributed/remote-runs.ts';
import { contextWindowOf, type PriceTable } from 'rlm';
import { formatTokens } from '../tasks/index.ts';
import {
  EXIT,
  HELP_FLAG,
  modelMaker,
  parseFlags,
  readPrices,
  resolveEndpoint,
  usageError,
  usd,
  wholeNumber,
  type CliIO,
  type EndpointConfig as Endpoint,
  type Flags,
} from 'rlm/cli-kit';
import { lockOutput } from './out-lock.ts';
import { connectWorkers, REDIS_CONCURRENCY, redisUrl, workerModels } from './redis-run.ts';
import { contextSizes, instanceCount, instancesOf, TASK_OPTIONS, taskChoice, type TaskChoice } from './task-choice.ts';
import { tokens } from './token-flag.ts';

/** The flags of `rlm bench run` besides those that choose the tasks. */
export const RUN_ONLY_OPTIONS = {
  methods: { type: 'string', value: '<list>', help: `${METHODS.join(', ')} (default: all)` },
  model: {
    type: 'string',
    short: 'm',
    value: '<name>',
    help: 'root model, and the base model of the baselines (env RLM_MODEL;\ndefault gpt-5 on OpenAI)',
  },
  'sub-model': {
    type: 'string',
    value: '<name>',
    help: "model for sub-calls and summary's notes (env RLM_SUB_MODEL; default:\nthe root model)",
  },
  'base-url': { type: 'string', value: '<url>', help: 'the endpoint (default: OpenAI, or a local server when no key is set)' },
  provider: {
    type: 'string',
    value: '<openai|anthropic>',
    choices: ['openai', 'anthropic'],
    help: 'the wire format: OpenAI-compatible or the Anthropic Messages API\n(env ANTHROPIC_API_KEY; default openai)',
  },
  redis: {
    type: 'string',
    value: '<url>',
    help: 'run the instances on the `rlm worker` processes of this Redis\n(redis://host:port): they hold the key and the endpoint, so give\n--model here, not --base-url or --provider; no --traces',
  },
  repl: { type: 'string', value: '<js|python>', default: 'js', choices: ['js', 'python'], help: "the RLM's REPL" },
  window: {
    type: 'string',
    value: '<tokens>',
    help: "the base model's window for direct, summary and retrieval\n(default: the model's known window)",
  },
  'top-k': {
    type: 'string',
    value: '<n>',
    default: String(RETRIEVAL_DEFAULTS.topK),
    help: 'retrieval: passages shown at most, fewer if the window is full',
  },
  passage: { type: 'string', value: '<tokens>', default: String(RETRIEVAL_DEFAULTS.chunkTokens), help: 'retrieval: passage size' },
  concurrency: { type: 'string', value: '<n>', help: `instances in flight at once (default 2; with --redis ${REDIS_CONCURRENCY})` },
  'max-cost': { type: 'string', value: '<usd>', help: 'spending limit for the whole bench: no instance starts once reached' },
  'instance-cost': { type: 'string', value: '<usd>', help: "limit on each instance's run" },
  prices: {
    type: 'string',
    value: '<file.json>',
    help: 'prices of models rlm does not know, per million tokens:\n{ "model": { "input": 1.25, "cachedInput": 0.125, "output": 10 } }',
  },
  out: {
    type: 'string',
    value: '<dir>',
    default: 'rlm-bench',
    help: 'where results.jsonl, report.md and chart.svg go;\nrun again with the same folder to resume',
  },
  traces: { type: 'boolean', help: "write each run's trace to <out>/traces (open one with rlm view)" },
  'dry-run': { type: 'boolean', help: 'print the plan and the estimate, and run nothing' },
  quiet: { type: 'boolean', short: 'q', help: 'print only the report: no plan, no line per result' },
} as const satisfies Flags;

/** Every flag of `rlm bench run`. */
export const RUN_OPTIONS = { ...TASK_OPTIONS, ...RUN_ONLY_OPTIONS, help: HELP_FLAG } as const satisfies Flags;

/** What the flags ask for, every value checked before anything is resolved or run. */
interface RunPlan {
  choice: TaskChoice;
  methods: MethodName[];
  provider: 'openai' | 'anthropic';
  repl: 'javascript' | 'python';
  limits: Pick<BenchOptions, 'maxCostUsd' | 'perInstance'>;
  prices: PriceTable | undefined;
  retrieval: { topK: number; chunkTokens: number };
  window: number | undefined;
  concurrency: number;
  out: string;
  /** The Redis of the workers the runs go to, or undefined to run them here. */
  redis: string | undefined;
}

/** The models a bench runs, by name. */
type ModelNames = Pick<Endpoint, 'model' | 'subModel'>;

type RunValues = ReturnType<typeof parseRunArgs>;

function parseRunArgs(argv: string[]) {
  return parseFlags(argv, RUN_OPTIONS, 'rlm bench').values;
}

export async function benchRun(argv: string[], io: CliIO, help: string): Promise<number> {
  const values = parseRunArgs(argv);
  if (values.help) {
    io.stdout.write(`${help}\n`);
    return EXIT.answer;
  }
  const plan = await planOf(values);
  try {
    mkdirSync(plan.out, { recursive: true });
  } catch (error) {
    throw usageError(`cannot use ${plan.out} for results: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  // One bench at a time in a folder; a dry run writes nothing and needs no lock.
  const release = values['dry-run'] ? undefined : lockOutput(plan.out);
  try {
    const { models, setup } = await modelsOf(plan, values, io);
    const resultsPath = join(plan.out, 'results.jsonl');
    // Before the plan: results of other settings in --out, or a cost limit on a model without a
    // price, are usage errors, not surprises later.
    checkResumable(readResults(resultsPath), plan.methods, setup, resultsPath);
    refuseUnpricedBenchLimit({ methods: plan.methods, setup, ...plan.limits });
    // The workers' Redis out of reach is a usage error too; a dry run needs no workers.
    const workers = plan.redis && !values['dry-run'] ? await connectWorkers(plan.redis) : undefined;
    try {
      const say = (text: string) => values.quiet || io.stderr.write(`${text}\n`);
      // A dry run's plan is what it was asked for: on stdout, even with --quiet.
      printPlan(plan, models, setup, values['dry-run'] ? (text) => io.stdout.write(`${text}\n`) : say);
      if (values['dry-run']) return EXIT.answer;
      const execute = workers ? remoteRuns(workers) : undefined;
      return await runAndReport(plan, setup, resultsPath, values.traces === true, say, io, execute);
    } finally {
      await workers?.close();
    }
  } finally {
    release?.();
  }
}

async function planOf(values: RunValues): Promise<RunPlan> {
  const choice = taskChoice(values);
  const methods = (values.methods ?? METHODS.join(',')).split(',').map((m) => m.trim());
  for (const method of methods)
    if (!(METHODS as readonly string[]).includes(method))
      throw usageError(`--methods: unknown method '${method}' (methods: ${METHODS.join(', ')})`);
  const maxCostUsd = usd('--max-cost', values['max-cost']);
  const instanceCost = usd('--instance-cost', values['instance-cost']);
  return {
    choice,
    methods: methods as MethodName[],
    provider: values.provider ?? 'openai',
    repl: values.repl === 'python' ? 'python' : 'javascript',
    limits: {
      ...(maxCostUsd === undefined ? {} : { maxCostUsd }),
      ...(instanceCost === undefined ? {} : { perInstance: { maxCostUsd: instanceCost } }),
    },
    prices: values.prices === undefined ? undefined : await readPrices(values.prices),
    retrieval: {
      topK: wholeNumber('--top-k', values['top-k'], 1)!,
      // A plain number of tokens (at least 50), or a size like 1k.
      chunkTokens: /^\d+$/.test(values.passage) ? wholeNumber('--passage', values.passage, 50)! : tokens('--passage', values.passage)!,
    },
    window: tokens('--window', values.window),
    concurrency: wholeNumber('--concurrency', values.concurrency ?? String(values.redis ? REDIS_CONCURRENCY : 2), 1)!,
    out: resolve(values.out),
    redis: values.redis === undefined ? undefined : redisUrl(values.redis),
  };
}

/** The models' names and the setup: on the endpoint resolved here, or, with --redis, on the workers'. */
async function modelsOf(plan: RunPlan, values: RunValues, io: CliIO): Promise<{ models: ModelNames; setup: MethodSetup }> {
  // The workers hold the endpoint and the key: a bench on them needs only the models' names.
  if (plan.redis) {
    const models = workerModels(values, io.env);
    return { models, setup: workerSetup(plan, models) };
  }
  const endpoint = await resolveEndpoint({
    provider: plan.provider,
    baseUrl: values['base-url'],
    model: values.model,
    subModel: values['sub-model'],
    env: io.env,
  });
  return { models: endpoint, setup: await setupOf(plan, endpoint) };
}

async function setupOf(plan: RunPlan, endpoint: Endpoint): Promise<MethodSetup> {
  const create = await modelMaker(plan.provider, endpoint);
  return {
    model: create(endpoint.model),
    subModel: create(endpoint.subModel),
    repl: plan.repl,
    windowTokens: plan.window ?? contextWindowOf(endpoint.model),
    retrieval: plan.retrieval,
    ...(plan.prices ? { prices: plan.prices } : {}),
  };
}

/** The setup of a bench on workers: models known by name, made on the workers. */
function workerSetup(plan: RunPlan, models: ModelNames): MethodSetup {
  return {
    model: workerModel(models.model),
    subModel: workerModel(models.subModel),
    repl: plan.repl,
    windowTokens: plan.window ?? contextWindowOf(models.model),
    retrieval: plan.retrieval,
    ...(plan.prices ? { prices: plan.prices } : {}),
  };
}

function printPlan(plan: RunPlan, endpoint: ModelNames, setup: MethodSetup, print: (text: string) => void): void {
  const { choice, methods, limits } = plan;
  const estimate = estimateBench({
    contexts: contextSizes(choice),
    methods,
    model: endpoint.model,
    subModel: endpoint.subModel,
    windowTokens: setup.windowTokens!,
    ...(plan.prices ? { prices: plan.prices } : {}),
  });
  const subModel = endpoint.subModel !== endpoint.model ? ` and ${endpoint.subModel} for sub-calls` : '';
  print(
    `rlm bench: ${instanceCount(choice) * methods.length} runs (${choice.families.join(', ')} at ${choice.sizes.map(formatTokens).join(', ')}; ${choice.instances} each; ${methods.join(', ')}) with ${endpoint.model}${subModel}.`,
  );
  const cost =
    estimate.costUsd === undefined
      ? 'cost unknown (no price for a model: give one with --prices)'
      : `about $${estimate.costUsd.toFixed(2)}`;
  const stop = limits.maxCostUsd === undefined ? '' : `; the bench stops starting instances at $${limits.maxCostUsd}`;
  print(`  Estimate (rough): about ${compactTokens(estimate.inputTokens)} input tokens, ${cost}${stop}.`);
  if (plan.redis) print(`  On the rlm workers of ${plan.redis}, ${plan.concurrency} instances at once.`);
}

async function runAndReport(
  plan: RunPlan,
  setup: MethodSetup,
  resultsPath: string,
  traces: boolean,
  say: (text: string) => void,
  io: CliIO,
  execute?: ExecuteRun,
): Promise<number> {
  // What the bench has spent, resumed runs included: beside each result, against --max-cost.
  let spent = readResults(resultsPath).reduce((sum, row) => sum + row.costUsd, 0);
  const onRow = (row: BenchRow) => {
    spent += row.costUsd;
    const cost = row.unpricedCalls ? 'cost unknown' : `$${row.costUsd.toFixed(4)} (bench $${spent.toFixed(2)})`;
    say(
      `  ${row.taskId} · ${row.method}: score ${row.score.toFixed(2)} · ${row.status} · ${cost} · ${(row.durationMs / 1000).toFixed(1)} s${row.cut ? ' · context cut' : ''}${row.error ? ` · ${row.error.split('\n')[0]}` : ''}`,
    );
  };
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let summary: BenchSummary | undefined;
  try {
    summary = await runBenchmark({
      tasks: instancesOf(plan.choice),
      methods: plan.methods,
      setup,
      resultsPath,
      ...(traces ? { tracesDir: join(plan.out, 'traces') } : {}),
      concurrency: plan.concurrency,
      ...plan.limits,
      signal: controller.signal,
      onRow,
      ...(execute ? { execute } : {}),
    });
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
  const reportPath = join(plan.out, 'report.md');
  const chartPath = join(plan.out, 'chart.svg');
  // Ctrl-C ends the runs in flight as cancelled (or, between runs, throws): either way the bench
  // was interrupted. What finished is reported; the cancelled runs are run again on resume.
  if (controller.signal.aborted || !summary) {
    const finished = latestResults(resultsPath);
    writeFileSync(reportPath, markdownReport(finished));
    writeFileSync(chartPath, scoreChart(finished));
    say(
      `rlm bench: interrupted; the ${finished.length} results so far are in ${reportPath} and ${chartPath}; run the same command again to resume from ${resultsPath}`,
    );
    return EXIT.interrupted;
  }
  writeFileSync(reportPath, markdownReport(summary.rows));
  writeFileSync(chartPath, scoreChart(summary.rows));
  if (summary.resumed) say(`  ${summary.resumed} results were already in ${resultsPath} and were not run again.`);
  const failed = summary.rows.filter((row) => row.status === 'error').length;
  if (failed)
    say(
      `  ${failed} runs ended in an error (the provider or the REPL failed; see ${resultsPath}): run the same command again to run them again.`,
    );
  if (summary.skippedForBudget)
    say(
      `  ${summary.skippedForBudget} run${summary.skippedForBudget === 1 ? ' was' : 's were'} not started: the bench's cost limit was reached.`,
    );
  say(`rlm bench: wrote ${resultsPath}, ${reportPath} and ${chartPath}`);
  io.stdout.write(markdownReport(summary.rows));
  return EXIT.answer;
}
