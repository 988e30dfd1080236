/** Runs an RLM against a scripted server and keeps every event with the time it arrived. */
import { createOpenAIModel, RLM, type RlmEvent, type RLMOptions, type RunInput, type RunResult } from '../src/index.ts';
import type { RecordedRequest, ScriptedModelServer } from '../src/testing/index.ts';

export interface Timed {
  at: number;
  event: RlmEvent;
}

export interface RecordedRun {
  result: RunResult;
  events: Timed[];
  /** Wall time around `rlm.run`, from the caller's side. */
  wallMs: number;
  startedAt: number;
}

export async function recordRun(
  server: ScriptedModelServer,
  options: Omit<RLMOptions, 'model' | 'subModel' | 'onEvent'>,
  input: RunInput,
): Promise<RecordedRun> {
  const events: Timed[] = [];
  const rlm = new RLM({
    ...options,
    model: createOpenAIModel({ model: 'root', baseURL: server.url, apiKey: 'bench' }),
    subModel: createOpenAIModel({ model: 'sub', baseURL: server.url, apiKey: 'bench' }),
    onEvent: (event) => events.push({ at: performance.now(), event }),
  });
  const startedAt = performance.now();
  const result = await rlm.run(input);
  const wallMs = performance.now() - startedAt;
  return { result, events, wallMs, startedAt };
}

/** [start, end] of every model call, from its model-call-start and model-call-end events. */
export function callIntervals(events: readonly Timed[], kind?: 'root' | 'sub'): Array<[number, number]> {
  const starts = new Map<number, number>();
  const intervals: Array<[number, number]> = [];
  for (const { at, event } of events) {
    if (event.type === 'model-call-start' && (kind === undefined || event.kind === kind)) starts.set(event.callId, at);
    if (event.type === 'model-call-end' && (kind === undefined || event.kind === kind)) {
      const start = starts.get(event.callId);
      if (start !== undefined) intervals.push([start, at]);
    }
  }
  return intervals;
}

/** [start, end] of every cell, from its cell-start and cell-end events. */
export function cellIntervals(events: readonly Timed[]): Array<[number, number]> {
  const intervals: Array<[number, number]> = [];
  let start: number | undefined;
  for (const { at, event } of events) {
    if (event.type === 'cell-start') start = at;
    if (event.type === 'cell-end' && start !== undefined) {
      intervals.push([start, at]);
      start = undefined;
    }
  }
  return intervals;
}

/** [arrived, answered] of the server's recorded requests for one model. */
export function serverIntervals(requests: readonly RecordedRequest[], model?: string): Array<[number, number]> {
  return requests
    .filter((r) => (model === undefined || r.model === model) && r.respondedAt !== undefined)
    .map((r) => [r.receivedAt, r.respondedAt as number]);
}

/** How many assistant turns the conversation already holds: 0 on the root's first request. */
export function turnOf(messages: ReadonlyArray<{ role: string }>): number {
  return messages.filter((m) => m.role === 'assistant').length;
}

export function repl(code: string): string {
  return `\`\`\`repl\n${code.trim()}\n\`\`\``;
}
