/**
 * Replay: a model that serves the replies a trace recorded, so a recorded run runs again (same
 * code, same sandbox, same answer) offline, with no provider at all. Requests are matched by
 * their key (model and every message), so concurrent sub-calls find their own replies whatever
 * order they come in; a request the trace does not have fails the replay with a clear error.
 * The user's tools answer from the trace too (replay-tools.ts), unless the real ones are given.
 */
import { RlmError } from '../errors.ts';
import { memoKey } from '../models/memo.ts';
import type { Model } from '../models/model.ts';
import { RLM, type RLMOptions, type RunResult } from '../rlm.ts';
import type { ContextValue } from '../sandboxes/index.ts';
import type { RlmEvent, RunSettings } from './events.ts';
import { contextOf, type Trace } from './read-trace.ts';
import { RecordedReplies } from './recorded-replies.ts';
import { replayTools } from './replay-tools.ts';

export { readTrace, type Trace } from './read-trace.ts';

/**
 * Models that answer from the trace: `(id) => Model`, one shared set of recorded replies.
 * `onMismatch` hears of each request the trace does not have (the error is also thrown).
 */
export function replayModels(events: readonly RlmEvent[], onMismatch?: (error: RlmError) => void): (id: string) => Model {
  const replies = new RecordedReplies(events);
  const make = (id: string): Model => ({
    id,
    url: 'replay',
    withId: make,
    async generate(request) {
      const reply = replies.take(memoKey(id, request));
      if (!reply) {
        const last = request.messages.at(-1)?.content ?? '';
        const error = new RlmError(
          'RLM_REPLAY_MISMATCH',
          `the replayed run asked ${id} something the trace does not have: "${last.slice(0, 120)}"`,
        );
        onMismatch?.(error);
        throw error;
      }
      // A replay is a run of its own: its trace records these replies as its own.
      const { recorded: _, ...own } = reply;
      return own;
    },
  });
  return make;
}

/** A replay's run, and whether its answer is the one the trace recorded. */
export interface ReplayResult {
  result: RunResult;
  /** What the recorded run ended with. */
  recorded: { answer: string | undefined; status: string } | undefined;
  /** Whether the replay gave the recorded answer, with every request and tool call found in the trace. */
  same: boolean;
  /** The first request or tool call the trace did not have: where the replay left the recorded run. */
  divergence?: { code: string; message: string };
}

/** What a replay may be given that the trace does not hold. */
export interface ReplayOptions extends Pick<RLMOptions, 'onEvent'> {
  signal?: AbortSignal;
  /**
   * The user's real tools, run again instead of answering from the trace (their descriptions go
   * into the system prompt, which must match the recorded one for the replies to be found).
   */
  tools?: RLMOptions['tools'];
  /** The system prompt, when the recorded run replaced the built-in one and the trace does not have it. */
  systemPrompt?: string;
  /**
   * The run's context, for a trace that refers to a context file that is not where it was
   * (checked against the recorded hash).
   */
  context?: ContextValue;
}

type RunStart = Extract<RlmEvent, { type: 'run-start' }> & { t: number };

/**
 * Runs a recorded run again from its trace, offline.
 *
 * @example
 * const { same, result } = await replayTrace(await readTrace('run.jsonl'));
 * if (!same) console.error('the answer changed:', result.answer);
 */
export async function replayTrace(trace: Trace, options: ReplayOptions = {}): Promise<ReplayResult> {
  const start = trace.events.find((e): e is RunStart => e.type === 'run-start' && e.depth === 0);
  refuseBaseline(trace, start);
  if (!start?.settings)
    throw new RlmError('RLM_INPUT', 'the trace has no root run-start with its settings; was it written by this version?');
  const settings: RunSettings = start.settings;
  const context = await contextOf(trace, options.context);
  let divergence: RlmError | undefined;
  // A resumed run's last attempt took some replies from the earlier ones: they are there.
  const model = replayModels([...(trace.earlier ?? []), ...trace.events], (error) => (divergence ??= error));
  const replayed = options.tools ? undefined : replayTools(settings, trace.events);
  const tools = options.tools ?? replayed?.tools ?? {};
  const systemPrompt = options.systemPrompt ?? settings.systemPrompt;
  const rlm = new RLM({
    model: model(settings.models[0] ?? start.model),
    modelsByDepth: settings.models.map((id) => model(id)),
    // Traces from before Python was offered have no `repl`: they ran JavaScript.
    repl: settings.repl ?? 'javascript',
    maxIterations: settings.maxIterations,
    maxDepth: settings.maxDepth,
    maxOutputChars: settings.maxOutputChars,
    cellTimeoutMs: settings.cellTimeoutMs,
    compactAt: settings.compactAt,
    ...(settings.memoryLimitMb === undefined ? {} : { memoryLimitMb: settings.memoryLimitMb }),
    ...(settings.concurrency === undefined ? {} : { concurrency: settings.concurrency }),
    ...(settings.maxConcurrentChildren === undefined ? {} : { maxConcurrentChildren: settings.maxConcurrentChildren }),
    ...(settings.maxOutputTokens === undefined ? {} : { maxOutputTokens: settings.maxOutputTokens }),
    ...(settings.contextWindow === undefined ? {} : { contextWindow: settings.contextWindow }),
    // Replayed replies cost nothing; a recorded limit still stops the run where it did.
    ...(settings.limits ? { limits: { ...settings.limits, maxCostUsd: undefined } } : {}),
    ...(Object.keys(tools).length > 0 ? { tools } : {}),
    ...(systemPrompt === undefined ? {} : { systemPrompt }),
    retry: { maxRetries: 0 },
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const result = await rlm.run({
    context,
    query: start.query,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(start.schema === undefined ? {} : { schema: start.schema }),
  });
  const end = trace.events.findLast(
    (e): e is Extract<RlmEvent, { type: 'run-end' }> & { t: number } => e.type === 'run-end' && e.depth === 0,
  );
  const recorded = end ? { answer: end.answer, status: end.status } : undefined;
  // A tool call that diverged may come before the request that fails (or none may fail at all).
  const first = replayed?.divergence() ?? divergence;
  return {
    result,
    recorded,
    same: recorded !== undefined && recorded.answer === result.answer && first === undefined,
    ...(first ? { divergence: { code: first.code, message: first.message } } : {}),
  };
}

/**
 * A baseline of `rlm bench` is a fixed pipeline around plain model calls, with no model code to
 * run again: its trace is for `rlm view`. Traces from before baselines were marked are told by
 * their shape: calls of the root with no turn at all.
 */
function refuseBaseline(trace: Trace, start: RunStart | undefined): void {
  if (!start) return;
  const method = start.method;
  const unmarked =
    method === undefined &&
    start.settings === undefined &&
    !trace.events.some((e) => e.type === 'turn-start') &&
    trace.events.some((e) => e.type === 'model-call-start' && e.runId === start.runId);
  if (method === undefined && !unmarked) return;
  const which = method === undefined || method === 'baseline' ? 'a baseline' : `the \`${method}\` baseline`;
  throw new RlmError(
    'RLM_INPUT',
    `this trace is of ${which} of rlm bench, a fixed pipeline with no model code to run again; replay takes RLM runs (rlm view shows it)`,
  );
}
