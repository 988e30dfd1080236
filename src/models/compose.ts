/**
 * The one order in which a model is wrapped for a run, used by the RLM's tree and by the
 * benchmark's baselines alike, so that a call is limited, retried, booked and reported the same
 * way whoever makes it. From the outside in:
 *
 *   memo → stop on refusal → retry → limit → meter → events → the provider
 *
 * - The memo is outermost: a hit makes no request, takes no slot and books no call.
 * - A refusal that every later call would meet too (the key, the configured model) is seen once,
 *   after retries gave up, and can stop the whole run.
 * - Retry sits outside the limiter: a call waiting out a `Retry-After` holds no slot.
 * - The meter sits inside the limiter: a call is admitted against the limits only when it is
 *   about to be sent, so calls queued for a slot reserve nothing.
 * - Events are innermost: only a request that is really sent is reported, once per attempt; a call
 *   the limits refuse makes no events.
 */
import { RlmError } from '../errors.ts';
import type { CallKind, EventSink } from '../trace/events.ts';
import { withCallEvents } from './events.ts';
import { withLimit, type Limiter } from './limiter.ts';
import { withMemo, type MemoOptions, type MemoStore } from './memo.ts';
import { withMeter, type MeterOptions } from './meter.ts';
import { wrapModel, type Model } from './model.ts';
import { withRetry, type RetryOptions } from './retry.ts';

/** The layers {@link composeModel} can put around a model; each is optional. */
export interface ModelLayers {
  /** Books every call in a Budget and refuses those its limits do not allow. */
  meter?: MeterOptions;
  /** Reports each request (`model-call-start`, `model-call-end`) and each retry (`retry`) to `emit`. */
  events?: {
    emit: EventSink;
    depth: number;
    kind: CallKind;
    /** Numbers the calls of a run. */
    nextId: () => number;
    /** Requests waiting for a slot at this moment, recorded with each call. */
    queued?: () => number;
  };
  /** Bounds the requests in flight at once. */
  limiter?: Limiter;
  /** Retries 429s, 5xx answers and network failures (default: 4 retries). */
  retry?: RetryOptions;
  /**
   * Called with an error that every later call would meet as well: the provider refused the key
   * (`RLM_AUTH`), or refused the configured model (`RLM_MODEL_REJECTED`) — not a model that model
   * code named itself, which is its own mistake. The RLM stops the whole run on it, so that model
   * code catching the error does not go on without its sub-calls.
   */
  onRefused?: (error: RlmError) => void;
  /** Answers identical requests from a store that lasts across runs. */
  memo?: { store: MemoStore } & MemoOptions;
}

/**
 * Wraps `base` in the layers given, always in the order above; a layer not given is left out.
 *
 * @example
 * const model = composeModel(createOpenAIModel({ model: 'gpt-5-mini' }), {
 *   meter: { budget, depth: 0 },
 *   events: { emit: console.log, depth: 0, kind: 'root', nextId: () => ++calls },
 * });
 */
export function composeModel(base: Model, layers: ModelLayers): Model {
  let model = base;
  const { events } = layers;
  if (events)
    model = withCallEvents(model, events.emit, {
      depth: events.depth,
      kind: events.kind,
      nextId: events.nextId,
      ...(events.queued ? { queued: events.queued } : {}),
    });
  if (layers.meter) model = withMeter(model, layers.meter);
  if (layers.limiter) model = withLimit(model, layers.limiter);
  const retry = layers.retry;
  model = withRetry(model, {
    ...retry,
    onRetry: (info) => {
      retry?.onRetry?.(info);
      events?.emit({ type: 'retry', model: base.id, attempt: info.attempt, delayMs: info.delayMs, reason: info.error.message });
    },
  });
  const { onRefused } = layers;
  if (onRefused) model = stopOnRefusal(model, base.id, onRefused);
  if (layers.memo) {
    const { store, ...options } = layers.memo;
    model = withMemo(model, store, options);
  }
  return model;
}

function stopOnRefusal(model: Model, configuredId: string, onRefused: (error: RlmError) => void): Model {
  return wrapModel(model, (inner) => async (request) => {
    try {
      return await inner.generate(request);
    } catch (error) {
      const refused =
        RlmError.isInstance(error) && (error.code === 'RLM_AUTH' || (error.code === 'RLM_MODEL_REJECTED' && inner.id === configuredId));
      if (refused) onRefused(error);
      throw error;
    }
  });
}
