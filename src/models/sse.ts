/**
 * Server-sent events (the `text/event-stream` format of the HTML standard) read from a fetch
 * response's body, line by line as the bytes arrive: what a streamed Chat Completions answer is.
 * Only what a model's stream uses is kept: each event's type and its data lines, joined.
 */

/** One event of a stream: its `event:` type (`message` when it names none) and its `data:` lines, joined by newlines. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * The events of a stream, in order. Lines may end in `\n`, `\r\n` or `\r`; `:` comments (the
 * keep-alives some gateways send) and `id:`/`retry:` fields are skipped. An event the stream
 * ends in the middle of (no blank line after it) is not yielded, as the standard says: the
 * caller sees a stream that stopped early. Errors reading the body (a cut connection, an abort)
 * are thrown as they come. Leaving the loop early cancels the body.
 */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  // A leading byte-order mark is dropped by the decoder, as the standard asks.
  const decoder = new TextDecoder();
  let pending = '';
  let event = '';
  let data: string[] = [];
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        pending += decoder.decode();
        // The last line counts only if it ended: an unended one is part of an unended event.
        return;
      }
      pending += decoder.decode(value, { stream: true });
      let start = 0;
      for (;;) {
        const end = lineEnd(pending, start);
        if (end === -1) break;
        const line = pending.slice(start, end);
        // A `\r` may be the first half of a `\r\n` still to come: lineEnd waits for the next byte.
        start = end + (pending.charCodeAt(end) === 13 && pending.charCodeAt(end + 1) === 10 ? 2 : 1);
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.charCodeAt(0) === 58 /* : */) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
      }
      pending = pending.slice(start);
    }
  } finally {
    // Left early (a consumer's break or throw): stop the body, so the connection is let go.
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Where the line starting at `start` ends (the index of its `\r` or `\n`), or -1 if it has not
 * ended yet, a `\r` that is the last character included (a `\n` may follow in the next read).
 */
function lineEnd(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) return i;
    if (c === 13) return i + 1 < text.length ? i : -1;
  }
  return -1;
}
