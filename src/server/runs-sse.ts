/**
 * A run's events as Server-Sent Events: `id: <n>`, `event: <type>`, `data: <the event as JSON>`,
 * from the event after the one a client last saw, then one `event: end` with how the run ended.
 *
 * The stream is pulled, not pushed: it reads the run's kept events with its own cursor and writes
 * the next ones only when the client has taken the last, so a slow client costs no memory beyond
 * the events the run keeps anyway. A client that goes away only stops its own stream; the run goes
 * on (only `DELETE /v1/runs/:id` stops it).
 *
 * Events go whole, model prompts and replies included: the stream is the run as its trace records
 * it, and a client that keeps it must not get a shortened copy.
 */
import type { RunResult } from '../rlm.ts';
import type { RlmEvent } from '../trace/events.ts';
import type { RunListener } from './server-run.ts';

/** What a stream reads from: a live run (ServerRun) or a run read back from its trace. */
export interface EventLog {
  /** Every event so far; the event at index i has id i + 1. */
  readonly events: readonly RlmEvent[];
  /** Set once the run has ended. */
  readonly result: RunResult | undefined;
  listen(listener: RunListener, afterId: number): () => void;
}

/** How the end of a run is sent: its answer only when it has one. */
export function endOf(result: RunResult): Record<string, unknown> {
  return {
    status: result.status,
    ...(result.answer !== undefined ? { answer: result.answer } : {}),
    ...(result.value !== undefined ? { value: result.value } : {}),
    ...(result.error ? { error: result.error } : {}),
    iterations: result.iterations,
    durationMs: result.durationMs,
    usage: result.usage,
  };
}

/** A batch of events is cut at about this many bytes, so that one pull stays small. */
const BATCH_CHARS = 256 * 1024;

/** The SSE body for `log` from the event after `afterId`, with a comment every `keepAliveMs` of silence. */
export function eventStream(log: EventLog, afterId: number, keepAliveMs: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor = Math.max(0, afterId);
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  // The listener only wakes the stream; what to send is read from the log itself.
  const stop = log.listen({ event: () => wake?.(), end: () => wake?.() }, log.events.length);
  const finish = () => {
    closed = true;
    stop();
    clearTimeout(timer);
    wake?.();
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (closed) return;
        if (cursor < log.events.length) {
          let chunk = '';
          while (cursor < log.events.length && chunk.length < BATCH_CHARS) {
            const event = log.events[cursor]!;
            cursor++;
            chunk += `id: ${cursor}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
          }
          controller.enqueue(encoder.encode(chunk));
          return;
        }
        if (log.result) {
          controller.enqueue(encoder.encode(`event: end\ndata: ${JSON.stringify(endOf(log.result))}\n\n`));
          controller.close();
          finish();
          return;
        }
        const silent = await new Promise<boolean>((resolve) => {
          wake = () => resolve(false);
          timer = setTimeout(() => resolve(true), keepAliveMs);
        });
        wake = undefined;
        clearTimeout(timer);
        if (silent) {
          controller.enqueue(encoder.encode(': keep-alive\n\n'));
          return;
        }
      }
    },
    cancel: finish,
  });
}

/** The headers of an SSE response. */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  // Proxies such as nginx would otherwise hold the events back in their buffer.
  'X-Accel-Buffering': 'no',
} as const;
