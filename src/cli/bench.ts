/**
 * `rlm bench run`: the paper's comparison for your own models — tasks, sizes and methods through
 * the same providers — written as per-instance JSONL, a Markdown table and an SVG chart; resumed
 * when run again with the same output folder. `rlm bench export`: the task instances as JSONL
 * (context, query, ground truth and how to score it), so that any system can be run on exactly the
 * same tasks. Both deterministic by seed.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { scoreChart } from '../benchmark/chart.ts';
import { estimateBench } from '../benchmark/estimate.ts';
import { METHODS, type MethodName } from '../benchmark/methods.ts';
import { RETRIEVAL_DEFAULTS } from '../benchmark/retrieval.ts';
import { compactTokens, markdownReport } from '../benchmark/report.ts';
import { latestResults, readResults, refuseUnpricedBenchLimit, runBenchmark } from '../benchmark/runner.ts';
import { checkResumable } from '../benchmark/settings.ts';
import { createAnthropicModel } from '../models/anthropic.ts';
import { createOpenAIModel } from '../models/openai.ts';
import { contextWindowOf } from '../models/windows.ts';
import { codeBaseTokens, formatTokens, generateTask, OWN_PACKAGE_ROOT, parseTokens, TASK_FAMILIES, type TaskFamily, type TaskInstance, type TaskOptions } from '../tasks/index.ts';
import { usageError } from './args.ts';
import { resolveEndpoint } from './config.ts';
import { EXIT } from './exit-codes.ts';
import type { CliIO } from './main.ts';
import { benchReport } from './bench-report.ts';
import { lockOutput } from './out-lock.ts';
import { readPrices } from './prices-file.ts';

const HELP = `Usage: rlm bench run [options]      score methods on generated tasks with your models
       rlm bench export [options]   write the tasks as JSONL, to run other systems on them
       rlm bench report <results>... [--out <dir>]
                                    one table and chart from one or more benches (their --out
                                    folders or results.jsonl): several models side by side

Tasks (both):
      --tasks <list>     families, comma-separated: ${TASK_FAMILIES.join(', ')} (default: all)
      --sizes <list>     target sizes in tokens, e.g. 8k,32k,131k,1m (default: 8k,32k,131k)
  -n, --instances <n>    instances per family and size (default 5)
      --seed <n>         the seed; the same seed gives the same tasks (default 1)
      --code <dir>       codeqa: the package tree to ask about, any folder of JavaScript or
                         TypeScript (default: rlm's own package folder); a tree smaller than
                         a size is given whole

run:
      --methods <list>   ${METHODS.join(', ')} (default: all)
  -m, --model <name>     root model, and the base model of the baselines (env RLM_MODEL;
                         default gpt-5 on OpenAI)
      --sub-model <name> model for sub-calls and summary's notes (env RLM_SUB_MODEL; default:
                         the root model)
      --base-url <url>   the endpoint (default: OpenAI, or a local server when no key is set)
      --provider <openai|anthropic>  the wire format: OpenAI-compatible (default) or the
                         Anthropic Messages API (env ANTHROPIC_API_KEY)
      --repl <js|python> the RLM's REPL (default js)
      --window <tokens>  the base model's window for direct, summary and retrieval
                         (default: the model's known window)
      --top-k <n>        retrieval: passages shown at most (default 20, fewer if the window is full)
      --passage <tokens> retrieval: passage size (default 1000)
      --concurrency <n>  instances in flight at once (default 2)
      --max-cost <usd>   spending limit for the whole bench: no instance starts once reached
      --instance-cost <usd>  limit on each instance's run
      --prices <file.json>   prices of models rlm does not know, per million tokens:
                         { "model": { "input": 1.25, "cachedInput": 0.125, "output": 10 } }
      --out <dir>        where results.jsonl, report.md and chart.svg go (default ./rlm-bench);
                         run again with the same folder to resume
      --traces           write each run's trace to <out>/traces (open one with rlm view)
      --dry-run          print the plan and the estimate, and run nothing
  -q, --quiet            print only the report: no plan, no line per result

export:
  -o, --output <file>    write there instead of stdout
  JSONL, one object a line: { id, family, targetTokens, seed, query, context, answer, score, options? }

report:
      --out <dir>        also write report.md and chart.svg there (the table goes to stdout)

  -h, --help             this help (also after run, export or report)`;

/** The flags that choose tasks, shared by `run` and `export`. */
const TASK_OPTIONS = {
  tasks: { type: 'string' },
  sizes: { type: 'string' },
  instances: { type: 'string', short: 'n' },
  seed: { type: 'string' },
  code: { type: 'string' },
} as const;

/** Every flag of `rlm bench export`; the help names each one. */
export const EXPORT_OPTIONS = {
  ...TASK_OPTIONS,
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Every flag of `rlm bench run`; the help names each one. */
export const RUN_OPTIONS = {
  ...TASK_OPTIONS,
  methods: { type: 'string' },
  model: { type: 'string', short: 'm' },
  'sub-model': { type: 'string' },
  'base-url': { type: 'string' },
  provider: { type: 'string' },
  repl: { type: 'string' },
  window: { type: 'string' },
  'top-k': { type: 'string' },
  passage: { type: 'string' },
  traces: { type: 'boolean' },
  concurrency: { type: 'string' },
  'max-cost': { type: 'string' },
  'instance-cost': { type: 'string' },
  prices: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function bench(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'run') return benchRun(rest, io);
  if (sub === 'report') return benchReport(rest, io, HELP);
  if (sub !== 'export') throw usageError(`unknown bench command '${sub}' (rlm bench run, rlm bench export, rlm bench report; see rlm bench --help)`);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: EXPORT_OPTIONS,
      strict: true,
    }));
  } catch (error) {
    throw usageError(`${(error as Error).message.split('\n')[0]} (see rlm bench --help)`);
  }
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const choice = taskChoice(values);
  const { families, sizes, instances } = choice;

  const out = values.output ? createWriteStream('', { fd: openOutput(values.output) }) : io.stdout;
  // One instance in memory at a time: a 10M-token line is about 40 MB.
  for (const task of instancesOf(choice)) {
    if (!out.write(`${JSON.stringify(task)}\n`)) await once(out, 'drain');
  }
  if (values.output) {
    out.end();
    await once(out, 'finish');
    io.stderr.write(`rlm: wrote ${families.length * sizes.length * instances} tasks to ${values.output}\n`);
  }
  return 0;
}

interface TaskChoice {
  families: TaskFamily[];
  sizes: number[];
  instances: number;
  seed: number;
  options: TaskOptions;
}

function taskChoice(values: { tasks?: string; sizes?: string; instances?: string; seed?: string; code?: string }): TaskChoice {
  const families = (values.tasks ?? TASK_FAMILIES.join(',')).split(',').map((name) => name.trim());
  for (const family of families) {
    if (!(TASK_FAMILIES as readonly string[]).includes(family)) throw usageError(`--tasks: unknown task '${family}' (tasks: ${TASK_FAMILIES.join(', ')})`);
  }
  const sizes = (values.sizes ?? '8k,32k,131k').split(',').map((size) => {
    try {
      return parseTokens(size);
    } catch (error) {
      throw usageError(`--sizes: ${(error as Error).message}`);
    }
  });
  const choice: TaskChoice = {
    families: families as TaskFamily[],
    sizes,
    instances: wholeNumber('--instances', values.instances, 5, 1),
    seed: wholeNumber('--seed', values.seed, 1, 0),
    options: values.code === undefined ? {} : { codeRoot: resolve(values.code) },
  };
  // A code base that cannot be read or asked about is a usage error now, not midway.
  if (choice.families.includes('codeqa')) taskOf(choice, 'codeqa', choice.sizes[0]!, 0);
  return choice;
}

/** One instance; a code base the questions cannot be asked of is the user's input to fix. */
function taskOf(choice: TaskChoice, family: TaskFamily, size: number, index: number): TaskInstance {
  try {
    return generateTask(family, size, index, choice.seed, choice.options);
  } catch (error) {
    if (family !== 'codeqa') throw error;
    throw usageError(`--code: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Each instance's context in tokens, for the estimate: a codeqa context is at most its whole code base. */
function contextSizes(choice: TaskChoice): number[] {
  const codeTokens = choice.families.includes('codeqa') ? codeBaseTokens(choice.options.codeRoot ?? OWN_PACKAGE_ROOT) : Infinity;
  return choice.families.flatMap((family) => choice.sizes.flatMap((size) => Array<number>(choice.instances).fill(family === 'codeqa' ? Math.min(size, codeTokens) : size)));
}

/** Every instance, made one at a time when the runner asks for it. */
function* instancesOf(choice: TaskChoice): Generator<TaskInstance> {
  for (const family of choice.families) for (const size of choice.sizes) for (let index = 0; index < choice.instances; index++) yield taskOf(choice, family, size, index);
}

async function benchRun(argv: string[], io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: RUN_OPTIONS,
      strict: true,
    }));
  } catch (error) {
    throw usageError(`${(error as Error).message.split('\n')[0]} (see rlm bench --help)`);
  }
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const choice = taskChoice(values);
  const methods = (values.methods ?? METHODS.join(',')).split(',').map((m) => m.trim());
  for (const method of methods) if (!(METHODS as readonly string[]).includes(method)) throw usageError(`--methods: unknown method '${method}' (methods: ${METHODS.join(', ')})`);
  const provider = values.provider ?? 'openai';
  if (provider !== 'openai' && provider !== 'anthropic') throw usageError(`--provider must be openai or anthropic, got '${provider}'`);
  const repl = values.repl ?? 'js';
  if (repl !== 'js' && repl !== 'python') throw usageError(`--repl must be js or python, got '${repl}'`);
  const maxCost = amount('--max-cost', values['max-cost']);
  const instanceCost = amount('--instance-cost', values['instance-cost']);
  const limits = { ...(maxCost === undefined ? {} : { maxCostUsd: maxCost }), ...(instanceCost === undefined ? {} : { perInstance: { maxCostUsd: instanceCost } }) };
  const prices = values.prices === undefined ? undefined : await readPrices(values.prices);
  const retrieval = {
    topK: wholeNumber('--top-k', values['top-k'], RETRIEVAL_DEFAULTS.topK, 1),
    chunkTokens: values.passage === undefined || /^\d+$/.test(values.passage) ? wholeNumber('--passage', values.passage, RETRIEVAL_DEFAULTS.chunkTokens, 50) : parseWindow('--passage', values.passage),
  };
  const givenWindow = values.window === undefined ? undefined : parseWindow('--window', values.window);
  const out = resolve(values.out ?? 'rlm-bench');
  try {
    mkdirSync(out, { recursive: true });
  } catch (error) {
    throw usageError(`cannot use ${out} for results: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  // One bench at a time in a folder; a dry run writes nothing and needs no lock.
  const release = values['dry-run'] ? undefined : lockOutput(out);
  try {
    const endpoint = await resolveEndpoint({ provider, baseUrl: values['base-url'], model: values.model, subModel: values['sub-model'], env: io.env });
    const create = (name: string) =>
      provider === 'anthropic'
        ? createAnthropicModel({ baseURL: endpoint.baseURL, apiKey: endpoint.apiKey ?? '', model: name })
        : createOpenAIModel({ baseURL: endpoint.baseURL, apiKey: endpoint.apiKey, model: name });
    const model = create(endpoint.model);
    const subModel = create(endpoint.subModel);
    const windowTokens = givenWindow ?? contextWindowOf(endpoint.model);

    const setup = { model, subModel, repl: repl === 'python' ? ('python' as const) : ('javascript' as const), windowTokens, retrieval, ...(prices ? { prices } : {}) };
    const resultsPath = join(out, 'results.jsonl');
    // Before the plan: results of other settings in --out, or a cost limit on a model without a
    // price, are usage errors, not surprises later.
    checkResumable(readResults(resultsPath), methods as MethodName[], setup, resultsPath);
    refuseUnpricedBenchLimit({ methods: methods as MethodName[], setup, ...limits });

    const say = (text: string) => values.quiet || io.stderr.write(`${text}\n`);
    // A dry run's plan is what it was asked for: on stdout, even with --quiet.
    const plan = values['dry-run'] ? (text: string) => io.stdout.write(`${text}\n`) : say;
    const runs = choice.families.length * choice.sizes.length * choice.instances * methods.length;
    const estimate = estimateBench({ contexts: contextSizes(choice), methods: methods as MethodName[], model: endpoint.model, subModel: endpoint.subModel, windowTokens, ...(prices ? { prices } : {}) });
    plan(`rlm bench: ${runs} runs (${choice.families.join(', ')} at ${choice.sizes.map(formatTokens).join(', ')}; ${choice.instances} each; ${methods.join(', ')}) with ${endpoint.model}${endpoint.subModel !== endpoint.model ? ` and ${endpoint.subModel} for sub-calls` : ''}.`);
    plan(
      `  Estimate (rough): about ${compactTokens(estimate.inputTokens)} input tokens, ${estimate.costUsd === undefined ? 'cost unknown (no price for a model: give one with --prices)' : `about $${estimate.costUsd.toFixed(2)}`}${maxCost === undefined ? '' : `; the bench stops starting instances at $${maxCost}`}.`,
    );
    if (values['dry-run']) return EXIT.answer;
    // What the bench has spent, resumed runs included: beside each result, against --max-cost.
    let spent = readResults(resultsPath).reduce((sum, row) => sum + row.costUsd, 0);
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    let summary;
    try {
      summary = await runBenchmark({
        tasks: instancesOf(choice),
        methods: methods as MethodName[],
        setup,
        resultsPath,
        ...(values.traces ? { tracesDir: join(out, 'traces') } : {}),
        concurrency: wholeNumber('--concurrency', values.concurrency, 2, 1),
        ...limits,
        signal: controller.signal,
        onRow: (row) => {
          spent += row.costUsd;
          const cost = row.unpricedCalls ? 'cost unknown' : `$${row.costUsd.toFixed(4)} (bench $${spent.toFixed(2)})`;
          say(`  ${row.taskId} · ${row.method}: score ${row.score.toFixed(2)} · ${row.status} · ${cost} · ${(row.durationMs / 1000).toFixed(1)} s${row.cut ? ' · context cut' : ''}${row.error ? ` · ${row.error.split('\n')[0]}` : ''}`);
        },
      });
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      process.off('SIGINT', onSigint);
    }
    const reportPath = join(out, 'report.md');
    const chartPath = join(out, 'chart.svg');
    // Ctrl-C ends the runs in flight as cancelled (or, between runs, throws): either way the bench
    // was interrupted. What finished is reported; the cancelled runs are run again on resume.
    if (controller.signal.aborted || !summary) {
      const finished = latestResults(resultsPath);
      writeFileSync(reportPath, markdownReport(finished));
      writeFileSync(chartPath, scoreChart(finished));
      say(`rlm bench: interrupted; the ${finished.length} results so far are in ${reportPath} and ${chartPath}; run the same command again to resume from ${resultsPath}`);
      return EXIT.interrupted;
    }
    writeFileSync(reportPath, markdownReport(summary.rows));
    writeFileSync(chartPath, scoreChart(summary.rows));
    if (summary.resumed) say(`  ${summary.resumed} results were already in ${resultsPath} and were not run again.`);
    const failed = summary.rows.filter((row) => row.status === 'error').length;
    if (failed) say(`  ${failed} runs ended in an error (the provider or the REPL failed; see ${resultsPath}): run the same command again to run them again.`);
    if (summary.skippedForBudget) say(`  ${summary.skippedForBudget} runs were not started: the bench's cost limit was reached.`);
    say(`rlm bench: wrote ${resultsPath}, ${reportPath} and ${chartPath}`);
    io.stdout.write(markdownReport(summary.rows));
    return EXIT.answer;
  } finally {
    release?.();
  }
}

function amount(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw.replace(/^\$/, ''));
  if (!Number.isFinite(value) || value <= 0) throw usageError(`${flag} expects an amount in USD above 0, got '${raw}'`);
  return value;
}

function parseWindow(flag: string, raw: string): number {
  try {
    return parseTokens(raw);
  } catch (error) {
    throw usageError(`${flag}: ${(error as Error).message}`);
  }
}

/** Opens the output file now, so that a bad path is a usage error before any work. */
function openOutput(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (error) {
    throw usageError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function wholeNumber(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw usageError(`${flag} expects a whole number of at least ${min}, got '${raw}'`);
  return value;
}
