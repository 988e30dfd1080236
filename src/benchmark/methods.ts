/**
 * The methods a benchmark compares, all through the same providers: `rlm` (the paper's RLM),
 * `rlm-no-subcalls` (the REPL alone: depth 0), and `direct` (the base model given the context in
 * its prompt, cut to its window and marked so).
 */
import { Budget, type UsageReport } from '../budget.ts';
import { RlmError } from '../errors.ts';
import { withMeter } from '../models/meter.ts';
import type { Model } from '../models/model.ts';
import type { PriceTable } from '../models/prices.ts';
import { contextWindowOf } from '../models/windows.ts';
import { RLM } from '../rlm.ts';
import type { TaskInstance } from '../tasks/task.ts';
import { CHARS_PER_TOKEN } from '../tasks/task.ts';
import type { EventSink, RunStatus } from '../trace/events.ts';

export const METHODS = ['rlm', 'rlm-no-subcalls', 'direct'] as const;
export type MethodName = (typeof METHODS)[number];

export interface MethodSetup {
  model: Model;
  subModel?: Model;
  repl?: 'javascript' | 'python';
  prices?: PriceTable;
  /** Context window of the base model in tokens, for `direct` (default: the model's known window). */
  windowTokens?: number;
  /** Limits for one instance's run. */
  limits?: { maxCostUsd?: number; timeoutMs?: number; maxCalls?: number };
  onEvent?: EventSink;
  signal?: AbortSignal;
}

export interface MethodOutcome {
  answer: string | undefined;
  status: RunStatus;
  usage: UsageReport;
  durationMs: number;
  /** For `direct`: the context was cut to fit the window (characters shown, of all). */
  cut?: { shownChars: number; totalChars: number };
  error?: string;
}

export async function runMethod(method: MethodName, task: TaskInstance, setup: MethodSetup): Promise<MethodOutcome> {
  if (method === 'direct') return runDirect(task, setup);
  const rlm = new RLM({
    model: setup.model,
    ...(setup.subModel ? { subModel: setup.subModel } : {}),
    repl: setup.repl ?? 'javascript',
    maxDepth: method === 'rlm-no-subcalls' ? 0 : 1,
    ...(setup.prices ? { prices: setup.prices } : {}),
    ...(setup.limits ? { limits: setup.limits } : {}),
    ...(setup.onEvent ? { onEvent: setup.onEvent } : {}),
  });
  const result = await rlm.run({ context: task.context, query: task.query, ...(setup.signal ? { signal: setup.signal } : {}) });
  return { answer: result.answer, status: result.status, usage: result.usage, durationMs: result.durationMs, ...(result.error ? { error: result.error.message } : {}) };
}

/** Room kept in the window for the instructions, the query and the answer. */
const DIRECT_RESERVE_TOKENS = 2_000;

/**
 * The base model with the context in its prompt. A context larger than the window is cut (its
 * head kept) and the prompt says so, as the paper's base-model rows do.
 */
async function runDirect(task: TaskInstance, setup: MethodSetup): Promise<MethodOutcome> {
  const started = performance.now();
  const budget = new Budget(setup.limits ?? {});
  const model = withMeter(setup.model, { budget, depth: 0, ...(setup.prices ? { prices: setup.prices } : {}) });
  const window = setup.windowTokens ?? contextWindowOf(setup.model.id);
  const room = Math.max(0, (window - DIRECT_RESERVE_TOKENS) * CHARS_PER_TOKEN);
  const cut = task.context.length > room;
  const shown = cut ? task.context.slice(0, room) : task.context;
  const note = cut
    ? `\n\n[The context was cut to fit your window: only the first ${shown.length.toLocaleString('en-US')} of ${task.context.length.toLocaleString('en-US')} characters are shown.]`
    : '';
  const prompt = `Answer the query from the context.\n\nContext:\n${shown}${note}\n\nQuery: ${task.query}`;
  const outcome = (status: RunStatus, answer: string | undefined, error?: string): MethodOutcome => ({
    answer,
    status,
    usage: budget.usage(),
    durationMs: performance.now() - started,
    ...(cut ? { cut: { shownChars: shown.length, totalChars: task.context.length } } : {}),
    ...(error ? { error } : {}),
  });
  try {
    const reply = await model.generate({ messages: [{ role: 'user', content: prompt }], ...(setup.signal ? { signal: setup.signal } : {}) });
    return outcome('done', reply.text.trim());
  } catch (error) {
    if (!RlmError.isInstance(error)) throw error;
    return outcome(error.code === 'RLM_CANCELLED' ? 'cancelled' : error.code === 'RLM_BUDGET_EXCEEDED' ? 'budget' : 'error', undefined, error.message);
  }
}
