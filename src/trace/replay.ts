/**
 * Replay: a model that serves the replies a trace recorded, so a recorded run runs again (same
 * code, same sandbox, same answer) offline, with no provider at all. Requests are matched by
 * their key (model and every message), so concurrent sub-calls find their own replies whatever
 * order they come in; a request the trace does not have fails the replay with a clear error.
 */
import { readFile } from 'node:fs/promises';
import { RlmError } from '../errors.ts';
import { memoKey } from '../models/memo.ts';
import type { GenerateResult, Model } from '../models/model.ts';
import { RLM, type RLMOptions, type RunResult } from '../rlm.ts';
import type { ContextValue } from '../sandboxes/sandbox.ts';
import type { RlmEvent, RunSettings } from './events.ts';
import { sha256, type TraceHeader, type TraceLine } from './jsonl.ts';

export interface Trace {
  header: TraceHeader;
  events: Array<RlmEvent & { t: number }>;
}

export async function readTrace(path: string): Promise<Trace> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RlmError('RLM_INPUT', `cannot read the trace ${path}`);
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  let parsed: TraceLine[];
  try {
    parsed = lines.map((line) => JSON.parse(line) as TraceLine);
  } catch {
    throw new RlmError('RLM_INPUT', `${path} is not a JSONL trace (a line is not JSON)`);
  }
  const [header, ...events] = parsed;
  if (header?.type !== 'trace') throw new RlmError('RLM_INPUT', `${path} is not an rlm trace (no header line)`);
  return { header, events: events as Trace['events'] };
}

/** Models that answer from the trace: `(id) => Model`, one shared set of recorded replies. */
export function replayModels(events: readonly RlmEvent[]): (id: string) => Model {
  const replies = new Map<string, GenerateResult[]>();
  for (const event of events) {
    if (event.type !== 'model-call-end' || event.key === undefined || event.text === undefined) continue;
    const list = replies.get(event.key) ?? [];
    list.push({ text: event.text, usage: event.usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 }, finishReason: 'stop', modelId: event.model });
    replies.set(event.key, list);
  }
  const make = (id: string): Model => ({
    id,
    url: 'replay',
    withId: make,
    async generate(request) {
      const key = memoKey(id, request);
      const reply = replies.get(key)?.shift();
      if (!reply) {
        const last = request.messages.at(-1)?.content ?? '';
        throw new RlmError('RLM_REPLAY_MISMATCH', `the replayed run asked ${id} something the trace does not have: "${last.slice(0, 120)}"`);
      }
      return { ...reply, usage: { ...reply.usage } };
    },
  });
  return make;
}

export interface ReplayResult {
  result: RunResult;
  /** What the recorded run ended with. */
  recorded: { answer: string | undefined; status: string } | undefined;
  /** Whether the replay gave the recorded answer. */
  same: boolean;
}

/** Runs a recorded run again from its trace, offline. */
export async function replayTrace(trace: Trace, options: Pick<RLMOptions, 'onEvent'> & { signal?: AbortSignal } = {}): Promise<ReplayResult> {
  const start = trace.events.find((e): e is Extract<RlmEvent, { type: 'run-start' }> & { t: number } => e.type === 'run-start' && e.depth === 0);
  if (!start?.settings) throw new RlmError('RLM_INPUT', 'the trace has no root run-start with its settings; was it written by this version?');
  const settings: RunSettings = start.settings;
  const context = await contextOf(trace.header);
  const model = replayModels(trace.events);
  const rlm = new RLM({
    model: model(settings.models[0] ?? start.model),
    modelsByDepth: settings.models.map((id) => model(id)),
    repl: settings.repl ?? 'javascript',
    maxIterations: settings.maxIterations,
    maxDepth: settings.maxDepth,
    maxOutputChars: settings.maxOutputChars,
    cellTimeoutMs: settings.cellTimeoutMs,
    compactAt: settings.compactAt,
    ...(settings.contextWindow === undefined ? {} : { contextWindow: settings.contextWindow }),
    // Replayed replies cost nothing; a recorded limit still stops the run where it did.
    ...(settings.limits ? { limits: { ...settings.limits, maxCostUsd: undefined } } : {}),
    retry: { maxRetries: 0 },
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const result = await rlm.run({ context, query: start.query, ...(options.signal ? { signal: options.signal } : {}) });
  const end = trace.events.findLast((e): e is Extract<RlmEvent, { type: 'run-end' }> & { t: number } => e.type === 'run-end' && e.depth === 0);
  const recorded = end ? { answer: end.answer, status: end.status } : undefined;
  return { result, recorded, same: recorded !== undefined && recorded.answer === result.answer };
}

async function contextOf(header: TraceHeader): Promise<ContextValue> {
  if ('inline' in header.context) return header.context.inline;
  const { file, sha256: expected } = header.context;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new RlmError('RLM_INPUT', `the trace refers to its context file ${file}, which cannot be read`);
  }
  if (sha256(text) !== expected) throw new RlmError('RLM_INPUT', `the context file ${file} has changed since the trace was written (its hash differs)`);
  return text;
}
