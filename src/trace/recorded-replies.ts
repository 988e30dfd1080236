/**
 * The model replies a trace recorded, by request: what a replay answers from, and what a resumed
 * run takes before it asks a provider anything. A request is found by its key (model, every
 * message, sampling settings), so concurrent sub-calls find their own replies in whatever order
 * they come; a key asked twice gets its recorded replies in their recorded order.
 */
import { memoKey } from '../models/memo.ts';
import { wrapModel, type GenerateResult, type Model } from '../models/model.ts';
import type { RlmEvent } from './events.ts';

export class RecordedReplies {
  readonly #byKey = new Map<string, GenerateResult[]>();
  #count = 0;

  /**
   * The replies of `events`. A reply marked `recorded` was itself served from an earlier attempt
   * whose events come first: it is that one again, not another, and is left out.
   */
  constructor(events: Iterable<RlmEvent>) {
    for (const event of events) {
      if (event.type !== 'model-call-end' || event.key === undefined || event.text === undefined || event.recorded) continue;
      const list = this.#byKey.get(event.key) ?? [];
      list.push({
        text: event.text,
        usage: event.usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
        finishReason: 'stop',
        modelId: event.model,
      });
      this.#byKey.set(event.key, list);
      this.#count++;
    }
  }

  /** Replies not yet taken. */
  get remaining(): number {
    return this.#count;
  }

  /** The next recorded reply to the request `key`, taken (it serves one request only). */
  take(key: string): GenerateResult | undefined {
    const reply = this.#byKey.get(key)?.shift();
    if (!reply) return undefined;
    this.#count--;
    return { ...reply, usage: { ...reply.usage }, recorded: true };
  }
}

/**
 * The model, answering first from `replies` and asking its provider only what they do not have:
 * a resumed run pays again for nothing it already paid for. A recorded reply keeps its usage, so
 * the run's budget counts what the earlier attempt spent.
 */
export function answeredFirst(model: Model, replies: RecordedReplies): Model {
  return wrapModel(model, (inner) => async (request) => {
    const reply = replies.take(memoKey(inner.id, request));
    if (reply) {
      request.signal?.throwIfAborted();
      return reply;
    }
    return inner.generate(request);
  });
}
