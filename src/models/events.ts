/**
 * Reports each model call's start (with the messages new to its conversation) and end (with the
 * reply, usage and timing) as events, so that a trace holds each message once.
 */
import type { CallKind, EventSink } from '../trace/events.ts';
import { memoKey } from './memo.ts';
import { wrapModel, type Model } from './model.ts';

export function withCallEvents(
  model: Model,
  emit: EventSink,
  info: { depth: number; kind: CallKind; nextId: () => number; queued?: () => number },
): Model {
  return wrapModel(model, (inner) => async (request) => {
    const callId = info.nextId();
    const from = request.trace?.from ?? 0;
    const base = { callId, ...(request.trace ? { runId: request.trace.runId } : {}), depth: info.depth, kind: info.kind, model: inner.id };
    const queued = () => (info.queued ? { queued: info.queued() } : {});
    emit({ type: 'model-call-start', ...base, messages: request.messages.slice(from), from, ...queued() });
    const started = performance.now();
    try {
      const result = await inner.generate(request);
      const key = memoKey(inner.id, request);
      emit({
        type: 'model-call-end',
        ...base,
        durationMs: performance.now() - started,
        usage: result.usage,
        text: result.text,
        key,
        ...(result.recorded ? { recorded: true } : {}),
        ...queued(),
      });
      return result;
    } catch (error) {
      emit({
        type: 'model-call-end',
        ...base,
        durationMs: performance.now() - started,
        error: error instanceof Error ? error.message : String(error),
        ...queued(),
      });
      throw error;
    }
  });
}
