/**
 * What the baseline methods (`direct`, `summary`, `retrieval`) share: one Budget for the
 * instance, every call metered and reported as events (so a trace of a baseline reads like an
 * RLM's, in `rlm view`), and the outcome shaped as the runner expects.
 */
import { Budget, type CallKind, composeModel, type Model, RlmError, type RunStatus, statusOf } from 'rlm';
import type { TaskInstance } from '../tasks/task.ts';
import type { MethodOutcome, MethodSetup } from './methods.ts';

/** Room kept in the window for the instructions, the query and the answer. */
export const RESERVE_TOKENS = 2_000;

export interface BaselineCalls {
  /** Asks `model` (the base model, or the sub-model for `sub` work) one prompt; returns the reply. */
  ask(prompt: string, kind?: CallKind): Promise<string>;
  /** Anything to record on the row (the context was cut, chunks retrieved...). */
  note(extra: Pick<MethodOutcome, 'cut' | 'retrieved' | 'summarised'>): void;
}

const RUN_ID = 'r0';

export type BaselineName = 'direct' | 'summary' | 'retrieval';

/**
 * Runs one baseline. Its run-start names it (`method`, or `baseline` when the caller does not say
 * which), so that its trace is told from an RLM's: a fixed pipeline has no code to replay.
 */
export async function runBaseline(
  task: TaskInstance,
  setup: MethodSetup,
  body: (calls: BaselineCalls) => Promise<string>,
  method?: BaselineName,
): Promise<MethodOutcome> {
  const started = performance.now();
  const budget = new Budget(setup.limits ?? {});
  const emit = setup.onEvent ?? (() => {});
  let callIds = 0;
  // Limited, retried, booked and reported as the RLM's calls are, in the same order, so that a
  // passing rate limit costs a baseline no more than it costs the RLM, and a call the limits
  // refuse is reported alike.
  const wrap = (model: Model, kind: CallKind, depth: number) =>
    composeModel(model, {
      meter: { budget, depth, ...(setup.prices ? { prices: setup.prices } : {}) },
      events: { emit, depth, kind, nextId: () => callIds++ },
    });
  const root = wrap(setup.model, 'root', 0);
  const sub = wrap(setup.subModel ?? setup.model, 'sub', 1);
  let extra: Pick<MethodOutcome, 'cut' | 'retrieved' | 'summarised'> = {};
  const calls: BaselineCalls = {
    ask: async (prompt, kind = 'root') => {
      const reply = await (kind === 'root' ? root : sub).generate({
        messages: [{ role: 'user', content: prompt }],
        trace: { runId: RUN_ID, from: 0 },
        ...(setup.signal ? { signal: setup.signal } : {}),
      });
      return reply.text;
    },
    note: (more) => (extra = { ...extra, ...more }),
  };
  emit({
    type: 'run-start',
    runId: RUN_ID,
    depth: 0,
    query: task.query,
    contextChars: task.context.length,
    model: setup.model.id,
    subModel: (setup.subModel ?? setup.model).id,
    method: method ?? 'baseline',
  });
  let status: RunStatus = 'done';
  let answer: string | undefined;
  let error: RlmError | undefined;
  try {
    answer = (await body(calls)).trim();
  } catch (caught) {
    if (!RlmError.isInstance(caught)) throw caught;
    status = statusOf(caught);
    error = caught;
  }
  const durationMs = performance.now() - started;
  const usage = budget.usage();
  emit({ type: 'run-end', runId: RUN_ID, depth: 0, status, ...(answer === undefined ? {} : { answer }), iterations: 0, durationMs, usage });
  return { answer, status, usage, durationMs, ...extra, ...(error ? { error: error.message, errorCode: error.code } : {}) };
}
