/**
 * Runs a benchmark: every task instance through every method, several instances at once, each
 * result appended to a JSONL file as soon as it is known. Running again with the same file
 * resumes: instances already scored are skipped. A cost limit for the whole bench stops new
 * instances once spent.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type EventSink, JsonlTrace, refuseUnpricedCostLimit, RlmError, type RlmErrorCode } from 'rlm';
import type { ExecuteRun } from '../distributed/remote-runs.ts';
import type { TaskInstance } from '../tasks/task.ts';
import { scoreAnswer } from '../tasks/scoring.ts';
import { runMethod, type MethodName, type MethodOutcome, type MethodSetup } from './methods.ts';
import { checkResumable, methodSettings, type MethodSettings } from './settings.ts';

/** One line of the results file: one instance through one method (with what a baseline noted: `cut`, `retrieved`, `summarised`). */
export interface BenchRow extends Pick<MethodOutcome, 'cut' | 'retrieved' | 'summarised'> {
  taskId: string;
  family: string;
  targetTokens: number;
  contextChars: number;
  method: MethodName;
  model: string;
  /** What shaped the run beyond the task (models, window, passages, REPL); resuming checks it. */
  settings?: MethodSettings;
  score: number;
  status: string;
  answer?: string;
  truth: string;
  costUsd: number;
  /** Calls whose cost could not be known (no price for the model). */
  unpricedCalls: number;
  inputTokens: number;
  outputTokens: number;
  calls: number;
  durationMs: number;
  /** The run's trace (with `tracesDir`): open it with `rlm view`, or `rlm replay` for RLM runs. */
  trace?: string;
  error?: string;
}

/** What a bench runs, with what, where its results go, and its limits. */
export interface BenchOptions {
  /** The instances, made when needed (a 10M-token one is about 40 MB). */
  tasks: Iterable<TaskInstance>;
  methods: readonly MethodName[];
  setup: Omit<MethodSetup, 'signal' | 'limits'>;
  /** The JSONL file results are appended to, and read back from to resume. */
  resultsPath: string;
  /** Instances in flight at once (each runs its methods one after another). Default 2. */
  concurrency?: number;
  /** Spending limit in USD for the whole bench: no instance starts once it is reached. */
  maxCostUsd?: number;
  /**
   * Write each run's events there as a JSONL trace (`<task>.<method>.jsonl`), with each task's
   * context once beside them (`<task>.context.txt`) for the traces to refer to.
   */
  tracesDir?: string;
  /** Limits on each instance's run. */
  perInstance?: { maxCostUsd?: number; timeoutMs?: number; maxCalls?: number };
  signal?: AbortSignal;
  onRow?: (row: BenchRow) => void;
  /**
   * Where each instance × method runs (default: here, with `runMethod`); `remoteRuns` sends it
   * to `rlm worker` processes. It gets the run's limits and signal, and must pass its events to
   * `setup.onEvent` for `tracesDir`.
   */
  execute?: ExecuteRun;
}

/** What a bench did: its rows, and what it resumed or skipped. */
export interface BenchSummary {
  rows: BenchRow[];
  /** Rows read back from an earlier, interrupted run. */
  resumed: number;
  /** Instance × method runs not started because the bench's cost limit was reached. */
  skippedForBudget: number;
}

/**
 * Runs that did not finish are run again on resume: stopped by Ctrl-C, or ended by an error (the
 * provider failing past its retries, the REPL). Any other ending (an answer, out of iterations,
 * a limit reached) is the method's outcome, scored.
 */
const RUN_AGAIN: ReadonlySet<string> = new Set(['cancelled', 'error']);
/**
 * Errors that every later run would meet too: the endpoint refusing the key or the model, or out
 * of reach; or a run refused as asked for (a worker that cannot read this bench's jobs).
 */
const ENDPOINT_FAILURES: ReadonlySet<string> = new Set(['RLM_AUTH', 'RLM_MODEL_REJECTED', 'RLM_ENDPOINT_UNREACHABLE', 'RLM_USAGE']);

/** The rows of a results file; a cut-off last line (an interrupted write) is ignored. */
export function readResults(path: string): BenchRow[] {
  if (!existsSync(path)) return [];
  const rows: BenchRow[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      rows.push(JSON.parse(line) as BenchRow);
    } catch {
      // the last line of a run stopped mid-write
    }
  }
  return rows;
}

/** The last result of each instance and method that was not cancelled: what a report shows. */
export function latestResults(path: string): BenchRow[] {
  const latest = new Map<string, BenchRow>();
  for (const row of readResults(path)) if (row.status !== 'cancelled') latest.set(`${row.taskId}|${row.method}`, row);
  return [...latest.values()];
}

/**
 * Runs every method on every task, appending each result to `resultsPath` as it comes; results
 * already there for the same settings are kept, not run again, so a bench resumes where it stopped.
 */
export async function runBenchmark(options: BenchOptions): Promise<BenchSummary> {
  const written = readResults(options.resultsPath);
  const earlier = written.filter((row) => !RUN_AGAIN.has(row.status));
  checkResumable(earlier, options.methods, options.setup, options.resultsPath);
  refuseUnpricedBenchLimit(options);
  const done = new Set(earlier.map((row) => `${row.taskId}|${row.method}`));
  const rows = [...earlier];
  // Money spent is spent, by runs to be run again too.
  let spent = written.reduce((sum, row) => sum + row.costUsd, 0);
  let skippedForBudget = 0;
  const tasks = options.tasks[Symbol.iterator]();
  const overBudget = () => options.maxCostUsd !== undefined && spent >= options.maxCostUsd;
  // An endpoint that refuses the key or the model, or cannot be reached, fails every run alike:
  // the first such failure stops the bench, and the runs in flight end as cancelled.
  const halt = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, halt.signal]) : halt.signal;
  let endpointFailure: RlmError | undefined;
  const execute = options.execute ?? runMethod;

  const worker = async (): Promise<void> => {
    for (let next = tasks.next(); !next.done; next = tasks.next()) {
      const task = next.value;
      for (const method of options.methods) {
        if (done.has(`${task.id}|${method}`)) continue;
        if (endpointFailure) return;
        options.signal?.throwIfAborted();
        if (overBudget()) {
          skippedForBudget++;
          continue;
        }
        const left = options.maxCostUsd === undefined ? undefined : options.maxCostUsd - spent;
        const perInstance = options.perInstance?.maxCostUsd;
        const maxCostUsd = left === undefined ? perInstance : Math.min(left, perInstance ?? left);
        const limits = { ...options.perInstance, ...(maxCostUsd === undefined ? {} : { maxCostUsd }) };
        const setup = { ...options.setup, limits, signal };
        const { outcome, trace } = options.tracesDir
          ? await runTraced(method, task, setup, options.tracesDir, execute)
          : { outcome: await execute(method, task, setup), trace: undefined };
        if (outcome.errorCode && ENDPOINT_FAILURES.has(outcome.errorCode)) {
          endpointFailure ??= new RlmError(
            outcome.errorCode as RlmErrorCode,
            `the bench stopped at ${task.id} (${method}): ${outcome.error ?? outcome.errorCode}`,
          );
          halt.abort(endpointFailure);
          return;
        }
        const total = outcome.usage.total;
        // What was left of the bench's limit could not pay for the first request: not run, not scored.
        if (outcome.status === 'budget' && total.calls === 0) {
          skippedForBudget++;
          continue;
        }
        const row: BenchRow = {
          taskId: task.id,
          family: task.family,
          targetTokens: task.targetTokens,
          contextChars: task.context.length,
          method,
          model: options.setup.model.id,
          settings: methodSettings(method, options.setup),
          score: scoreAnswer(task, outcome.answer),
          status: outcome.status,
          ...(outcome.answer === undefined ? {} : { answer: outcome.answer }),
          truth: task.answer,
          costUsd: total.costUsd,
          unpricedCalls: total.unpricedCalls,
          inputTokens: total.inputTokens,
          outputTokens: total.outputTokens,
          calls: total.calls,
          durationMs: Math.round(outcome.durationMs),
          ...(outcome.cut ? { cut: outcome.cut } : {}),
          ...(outcome.retrieved ? { retrieved: outcome.retrieved } : {}),
          ...(outcome.summarised ? { summarised: outcome.summarised } : {}),
          ...(trace ? { trace } : {}),
          ...(outcome.error ? { error: outcome.error } : {}),
        };
        spent += row.costUsd;
        rows.push(row);
        appendFileSync(options.resultsPath, `${JSON.stringify(row)}\n`);
        options.onRow?.(row);
        if (outcome.status === 'cancelled') return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  if (endpointFailure) throw endpointFailure;
  return { rows, resumed: earlier.length, skippedForBudget };
}

/** The bench's limits and each run's are kept from the calls' costs: every model needs a price. */
export function refuseUnpricedBenchLimit(options: Pick<BenchOptions, 'methods' | 'setup' | 'maxCostUsd' | 'perInstance'>): void {
  if (options.maxCostUsd === undefined && options.perInstance?.maxCostUsd === undefined) return;
  const { model, subModel, prices } = options.setup;
  const usesSubModel = options.methods.some((method) => method === 'rlm' || method === 'summary');
  refuseUnpricedCostLimit(usesSubModel && subModel ? [model.id, subModel.id] : [model.id], prices);
}

/** One run with its events written to a trace; the task's context is written once, beside it. */
async function runTraced(
  method: MethodName,
  task: TaskInstance,
  setup: MethodSetup,
  tracesDir: string,
  execute: ExecuteRun,
): Promise<{ outcome: MethodOutcome; trace: string }> {
  const dir = resolve(tracesDir);
  mkdirSync(dir, { recursive: true });
  const contextFile = join(dir, `${task.id}.context.txt`);
  if (!existsSync(contextFile)) {
    // Written whole or not at all: a run stopped mid-write must not leave a short context behind.
    writeFileSync(`${contextFile}.partial`, task.context);
    renameSync(`${contextFile}.partial`, contextFile);
  }
  const path = join(dir, `${task.id}.${method}.jsonl`);
  const trace = new JsonlTrace(path, { context: task.context, contextFile });
  const inner = setup.onEvent;
  const onEvent: EventSink = (event) => {
    trace.onEvent(event);
    inner?.(event);
  };
  try {
    return { outcome: await execute(method, task, { ...setup, onEvent }), trace: path };
  } finally {
    await trace.close();
  }
}
