/** Reports each model call's start and end (with usage and timing) as events. */
import type { CallKind, EventSink } from '../trace/events.ts';
import { wrapModel, type Model } from './model.ts';

export function withCallEvents(model: Model, emit: EventSink, info: { depth: number; kind: CallKind; nextId: () => number }): Model {
  return wrapModel(model, (inner) => async (request) => {
    const callId = info.nextId();
    const base = { callId, depth: info.depth, kind: info.kind, model: inner.id };
    emit({ type: 'model-call-start', ...base });
    const started = performance.now();
    try {
      const result = await inner.generate(request);
      emit({ type: 'model-call-end', ...base, durationMs: performance.now() - started, usage: result.usage });
      return result;
    } catch (error) {
      emit({ type: 'model-call-end', ...base, durationMs: performance.now() - started, error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  });
}
