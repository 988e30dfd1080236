/**
 * The methods a benchmark compares, all through the same providers: `rlm` (the paper's RLM),
 * `rlm-no-subcalls` (the REPL alone: depth 0), and three baselines — `direct` (the base model
 * with the context in its prompt, cut to its window and marked so), `summary` (an iterative
 * summarising agent) and `retrieval` (BM25 top-k passages to the base model).
 */
import { type EventSink, type Model, type PriceTable, RLM, type RunStatus, type UsageReport } from 'rlm';
import type { TaskInstance } from '../tasks/task.ts';
import { runDirect } from './direct.ts';
import { runRetrieval } from './retrieval.ts';
import { runSummary } from './summary.ts';

/** The methods a bench compares: the RLM, the RLM without sub-calls, and the paper's baselines. */
export const METHODS = ['rlm', 'rlm-no-subcalls', 'direct', 'summary', 'retrieval'] as const;
/** One of {@link METHODS}. */
export type MethodName = (typeof METHODS)[number];

/** The models and settings a method runs with. */
export interface MethodSetup {
  model: Model;
  /** Sub-calls of `rlm`, and the note-taker of `summary` (default: `model`). */
  subModel?: Model;
  repl?: 'javascript' | 'python';
  prices?: PriceTable;
  /** Context window of the base model in tokens, for the baselines (default: the model's known window). */
  windowTokens?: number;
  /** `retrieval`: passage size in tokens (default 1,000) and how many to show at most (default 20). */
  retrieval?: { chunkTokens?: number; topK?: number };
  /** Limits for one instance's run. */
  limits?: { maxCostUsd?: number; timeoutMs?: number; maxCalls?: number };
  onEvent?: EventSink;
  signal?: AbortSignal;
}

/** How one method did on one task: its answer, status, usage and time, and what shaped the run. */
export interface MethodOutcome {
  answer: string | undefined;
  status: RunStatus;
  usage: UsageReport;
  durationMs: number;
  /** `direct`: the context was cut to fit the window (characters shown, of all). */
  cut?: { shownChars: number; totalChars: number };
  /** `retrieval`: passages shown, of all. */
  retrieved?: { passages: number; of: number };
  /** `summary`: the parts the context was read in. */
  summarised?: { parts: number };
  error?: string;
  /** The error's code (`RLM_AUTH`, `RLM_PROVIDER`...): whether the endpoint failed rather than the method. */
  errorCode?: string;
}

/** Runs one method on one task. Never throws for the run's own failure: that is in the outcome's status. */
export function runMethod(method: MethodName, task: TaskInstance, setup: MethodSetup): Promise<MethodOutcome> {
  switch (method) {
    case 'direct':
      return runDirect(task, setup);
    case 'summary':
      return runSummary(task, setup);
    case 'retrieval':
      return runRetrieval(task, setup);
    case 'rlm':
    case 'rlm-no-subcalls':
      return runRlm(task, setup, method === 'rlm-no-subcalls' ? 0 : 1);
  }
}

async function runRlm(task: TaskInstance, setup: MethodSetup, maxDepth: number): Promise<MethodOutcome> {
  const rlm = new RLM({
    model: setup.model,
    ...(setup.subModel ? { subModel: setup.subModel } : {}),
    repl: setup.repl ?? 'javascript',
    maxDepth,
    ...(setup.prices ? { prices: setup.prices } : {}),
    ...(setup.limits ? { limits: setup.limits } : {}),
    ...(setup.onEvent ? { onEvent: setup.onEvent } : {}),
  });
  const result = await rlm.run({ context: task.context, query: task.query, ...(setup.signal ? { signal: setup.signal } : {}) });
  return {
    answer: result.answer,
    status: result.status,
    usage: result.usage,
    durationMs: result.durationMs,
    ...(result.error ? { error: result.error.message, errorCode: result.error.code } : {}),
  };
}
