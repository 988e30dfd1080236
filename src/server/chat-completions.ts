/**
 * `POST /v1/chat/completions`: OpenAI Chat Completions over RLM runs. The request's `model` picks
 * the RLM (`rlm`, `rlm/<root-model>`, `rlm/<corpus>`); the conversation becomes the question and
 * the context ({@link chatRun}); the run goes through the server's run manager, so it counts
 * against the cap on runs at once and is refused with 429 past the queue. The answer is the
 * assistant's message, the usage the whole tree's; `x-rlm-run-id` names the run (its live page is
 * `/runs/<id>`). A client that disconnects, streaming or not, cancels its run.
 */
import { Hono } from 'hono';
import type { RunResult } from '../rlm.ts';
import { chatRun } from './chat-messages.ts';
import { readChatRequest } from './chat-request.ts';
import { chatStream } from './chat-stream.ts';
import { answerContent, completionBody, NO_RETRY, noAnswerError } from './completion-body.ts';
import { readJsonBody } from './json-body.ts';
import type { ServerRun } from './server-run.ts';
import type { ServerState } from './server-state.ts';

/** The route, to mount on the server's app (createApp does): `app.route('/', chatCompletionsRoutes(state))`. */
export function chatCompletionsRoutes(state: ServerState, settings: { keepAliveMs?: number | undefined } = {}): Hono {
  const app = new Hono();
  app.post('/v1/chat/completions', async (c) => {
    const request = await readChatRequest(await readJsonBody(c));
    const served = state.catalog.resolve(request.model);
    const corpus = served.corpus ? { name: served.id.slice('rlm/'.length), corpus: served.corpus } : undefined;
    const { query, context } = await chatRun(request.messages, corpus);
    const options = state.catalog.optionsFor(served, request.limits);
    const run = await state.manager.submit({ query, context, options, schema: request.schema, model: served.id, origin: 'chat' });
    const structured = request.schema !== undefined;
    const headers = { 'x-rlm-run-id': run.id };
    if (request.stream) {
      // The run is taken: what the load is, is only said, and a failure to tell it fails nothing.
      const stats = run.state === 'queued' ? await Promise.resolve(state.manager.stats()).catch(() => undefined) : undefined;
      const waitingLine = stats ? `waiting for a free slot: ${stats.running} runs running, ${stats.queued} waiting` : undefined;
      const stream = chatStream(run, {
        includeUsage: request.includeUsage,
        structured,
        signal: c.req.raw.signal,
        waitingLine,
        ...(settings.keepAliveMs === undefined ? {} : { keepAliveMs: settings.keepAliveMs }),
      });
      return new Response(stream, {
        headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
      });
    }
    const result = await finishedUnlessGone(run, c.req.raw.signal);
    const content = answerContent(result, structured);
    if (content === undefined) {
      const error = noAnswerError(run, result);
      return c.json(error.body(), error.status, { ...headers, ...error.headers(), ...NO_RETRY });
    }
    return c.json(completionBody(run, result, content), 200, headers);
  });
  return app;
}

/** The run's end; a client that disconnects before it cancels the run (and its spending). */
async function finishedUnlessGone(run: ServerRun, signal: AbortSignal): Promise<RunResult> {
  const gone = () => run.cancel('the client disconnected');
  if (signal.aborted) gone();
  signal.addEventListener('abort', gone, { once: true });
  try {
    return await run.finished;
  } finally {
    signal.removeEventListener('abort', gone);
  }
}
