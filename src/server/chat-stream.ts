/**
 * A run streamed as Chat Completions server-sent events, in the chunk shapes the official SDKs
 * parse. Progress goes out as `reasoning_content` deltas (the field DeepSeek and vLLM use, which
 * Open WebUI, LibreChat and most chat UIs show as "thinking"): a line at each root turn, and as
 * sub-calls end, at most one line a second. The answer goes out as `content`, then the finish
 * reason, the usage when asked for (`stream_options.include_usage`) and `[DONE]`. A run without
 * an answer ends with an `error` event (which the SDKs raise as an error) and no `[DONE]`, so that
 * no client mistakes the end of the stream for an empty answer.
 *
 * A client that goes away cancels the run: the stream's cancel and the request's signal both do.
 * A comment line goes out after every silent stretch, so proxies keep the connection open.
 */
import type { RunResult } from '../rlm.ts';
import type { RlmEvent } from '../trace/events.ts';
import { answerContent, chatUsage, chunkBody, noAnswerError, rlmExtension } from './completion-body.ts';
import type { ServerRun } from './server-run.ts';

/** Between two progress lines for sub-calls ending; a root turn always has its line. */
const PROGRESS_INTERVAL_MS = 1_000;

export interface ChatStreamOptions {
  includeUsage: boolean;
  /** Whether the answer is a schema's value (sent as compact JSON). */
  structured: boolean;
  /** The request's signal: aborted when the client disconnects. */
  signal: AbortSignal;
  /** A comment after this long without a byte (default 15 s). */
  keepAliveMs?: number;
  /** Said first, as reasoning, when the run waits for a slot. */
  waitingLine?: string | undefined;
}

export function chatStream(run: ServerRun, options: ChatStreamOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let stop = (): void => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let lastWrite = performance.now();
      let lastLine = -Infinity;
      let open = true;
      const write = (text: string) => {
        if (!open) return;
        lastWrite = performance.now();
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          // The stream went away under us: the client with it. (Never thrown into the run's listeners.)
          disconnected();
        }
      };
      const send = (body: unknown) => write(`data: ${JSON.stringify(body)}\n\n`);
      const reason = (line: string) => send(chunkBody(run, { delta: { reasoning_content: `${line}\n` }, finish_reason: null }));
      const progress = () => {
        lastLine = performance.now();
        reason(run.progress.line());
      };

      const onEvent = (event: RlmEvent) => {
        if (event.type === 'turn-start' && event.depth === 0) return progress();
        const subEnded = (event.type === 'model-call-end' && event.kind === 'sub') || (event.type === 'run-end' && event.depth > 0);
        if (subEnded && performance.now() - lastLine >= PROGRESS_INTERVAL_MS) progress();
      };
      const onEnd = (result: RunResult) => {
        reason(`${run.progress.line()} · ${result.status}`);
        const content = answerContent(result, options.structured);
        if (content === undefined) {
          send(noAnswerError(run, result).body());
        } else {
          send(chunkBody(run, { delta: { content }, finish_reason: null }));
          send(chunkBody(run, { delta: {}, finish_reason: 'stop' }));
          if (options.includeUsage) send(chunkBody(run, undefined, { usage: chatUsage(result), rlm: rlmExtension(run, result) }));
          write('data: [DONE]\n\n');
        }
        close();
      };

      const keepAliveMs = options.keepAliveMs ?? 15_000;
      const keepAlive = setInterval(
        () => {
          if (performance.now() - lastWrite >= keepAliveMs) write(': keep-alive\n\n');
        },
        Math.max(50, keepAliveMs / 3),
      );
      // Stop listening first: cancelling a queued run ends it at once, and its end has nowhere to go.
      const disconnected = () => {
        close();
        run.cancel('the client disconnected');
      };
      let unlisten = (): void => {};
      const close = () => {
        if (!open) return;
        open = false;
        clearInterval(keepAlive);
        options.signal.removeEventListener('abort', disconnected);
        unlisten();
        // Already closed when the client cancelled the stream.
        try {
          controller.close();
        } catch {}
      };
      stop = disconnected;

      send(chunkBody(run, { delta: { role: 'assistant', content: '' }, finish_reason: null }));
      if (options.waitingLine) reason(options.waitingLine);
      if (options.signal.aborted) return disconnected();
      options.signal.addEventListener('abort', disconnected, { once: true });
      unlisten = run.listen({ event: onEvent, end: onEnd });
    },
    cancel() {
      stop();
    },
  });
}
