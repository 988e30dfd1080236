/**
 * Resuming a run from its trace: the same query over the same context, run again with the same
 * settings, so that the model code of every recorded turn runs again and asks the same requests,
 * each answered from the trace; the first request the trace has no reply for goes to the
 * provider, and the run goes on live from there. Nothing already paid for is asked again, and
 * what it cost is counted against the limits from the start.
 */
import { recordedSettings, type RunConfig } from './config.ts';
import { RlmError } from './errors.ts';
import type { Corpus } from './inputs/corpus.ts';
import type { ContextValue } from './sandboxes/index.ts';
import type { AnswerSchema } from './schema/index.ts';
import type { RlmEvent, RunSettings } from './trace/events.ts';
import { RecordedReplies } from './trace/recorded-replies.ts';
import { contextOf, recordedStart, type Trace } from './trace/read-trace.ts';

/** What a resume may be given that the trace does not hold. */
export interface ResumeOptions<T = unknown> {
  /** Aborting it stops the resumed run with status `cancelled`. */
  signal?: AbortSignal;
  /** The answer's schema, for a typed `value` (default: the JSON Schema the trace recorded, if any). */
  schema?: AnswerSchema<T>;
  /** The run's context, for a trace that refers to a context file that is not where it was (checked against its hash). */
  context?: ContextValue | Corpus;
}

/** The run to go on with: its input, the replies already paid for, and the time already taken. */
export interface ResumePlan {
  query: string;
  context: ContextValue | Corpus;
  schema: AnswerSchema | undefined;
  replies: RecordedReplies;
  elapsedMs: number;
  /** Calls the earlier attempts sent and never saw answered: counted as made. */
  lostCalls: number;
}

/**
 * The settings that shape what is asked of the models: with any other value, the requests would
 * differ from the recorded ones, none would be found, and everything would be paid for again.
 * Limits may differ: a run stopped by one is resumed with a higher one.
 */
const SHAPING: ReadonlyArray<keyof RunSettings> = [
  'repl',
  'models',
  'maxIterations',
  'maxDepth',
  'maxOutputChars',
  'compactAt',
  'contextWindow',
  'maxOutputTokens',
  'tools',
  'systemPrompt',
];

/** Reads what a resume of `trace` needs under `config`; a trace it cannot go on from is one clear error. */
export async function planResume(trace: Trace, config: RunConfig, options: ResumeOptions<unknown>): Promise<ResumePlan> {
  const all = [...(trace.earlier ?? []), ...trace.events];
  const start = recordedStart(trace);
  refuseOtherSettings(start.settings, recordedSettings(config));
  return {
    query: start.query,
    context: await contextOf(trace, options.context),
    schema: options.schema ?? start.schema,
    replies: new RecordedReplies(all),
    elapsedMs: trace.elapsedMs ?? 0,
    lostCalls: unansweredCalls(trace.attempts ?? [all]),
  };
}

/** Calls started and never ended, in each attempt: in flight when its process died. */
function unansweredCalls(attempts: ReadonlyArray<readonly RlmEvent[]>): number {
  let lost = 0;
  for (const events of attempts) {
    const open = new Set<string>();
    for (const event of events) {
      if (event.type === 'model-call-start') open.add(`${event.runId ?? ''}:${event.callId}`);
      else if (event.type === 'model-call-end') open.delete(`${event.runId ?? ''}:${event.callId}`);
    }
    lost += open.size;
  }
  return lost;
}

/** One thing a session did, in order: a question asked, or a context added. */
export type SessionStep = { type: 'question'; query: string; schema: AnswerSchema | undefined } | { type: 'context'; value: ContextValue };

/** What reopening a session needs: its first context, what it did in order, and the replies paid for. */
export interface SessionPlan {
  context: ContextValue | Corpus;
  steps: SessionStep[];
  replies: RecordedReplies;
}

/** Reads what reopening the session of `trace` under `config` needs. */
export async function planSession(trace: Trace, config: RunConfig, options: ResumeOptions<unknown>): Promise<SessionPlan> {
  const attempts = trace.attempts ?? [[...(trace.earlier ?? []), ...trace.events]];
  const all = attempts.flat();
  const start = recordedStart(trace);
  refuseOtherSettings(start.settings, recordedSettings(config));
  // Each attempt did again what the one before did, then went on: the longest of them says it all.
  let steps: SessionStep[] = [];
  for (const attempt of attempts) {
    const done = stepsOf(attempt);
    if (done.length > steps.length) steps = done;
  }
  return { context: await contextOf(trace, options.context), steps, replies: new RecordedReplies(all) };
}

function stepsOf(events: readonly RlmEvent[]): SessionStep[] {
  return events.flatMap((e): SessionStep[] => {
    if (e.type === 'context-added') return [{ type: 'context', value: e.context }];
    if (e.type === 'run-start' && e.depth === 0) return [{ type: 'question', query: e.query, schema: e.schema }];
    return [];
  });
}

function refuseOtherSettings(recorded: RunSettings, now: RunSettings): void {
  const differ = SHAPING.filter((name) => JSON.stringify(recorded[name]) !== JSON.stringify(now[name]));
  if (differ.length === 0) return;
  const shown = differ.map((name) => `${name} ${show(recorded[name])} (now ${show(now[name])})`).join(', ');
  throw new RlmError(
    'RLM_INPUT',
    `the trace was recorded with other settings, so its replies would not be found: ${shown}; resume with the recorded ones`,
  );
}

function show(value: unknown): string {
  const text = value === undefined ? 'unset' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
