/**
 * Runs as jobs, for work that takes minutes: `POST /v1/runs` starts one and answers at once with
 * its id; `GET /v1/runs/:id` says where it stands (progress, usage, the answer once there is one);
 * `GET /v1/runs/:id/events` streams its events (SSE, resumable with `Last-Event-ID`);
 * `DELETE /v1/runs/:id` cancels it; `GET /v1/runs` lists runs, this process's and those whose
 * traces earlier processes left in the trace folder. `GET /v1/runs/:id/view?after=<n>` is the
 * viewer's model of a run, answered once the run has moved past event n (or ended, or 20 s
 * passed): the web page asks for it again and again to draw a run as it goes.
 */
import { Hono, type Context } from 'hono';
import { readTrace } from '../trace/read-trace.ts';
import { buildViewModel, type ViewModel } from '../trace/view-model.ts';
import { badParameter, HttpError } from './http-error.ts';
import { isRunId, pastRunEntries, readPastRun, runNotFound, summarizePastRun, type PastRun, type PastRunView } from './runs-history.ts';
import { readJsonBody } from './json-body.ts';
import { parseRunRequest } from './runs-request.ts';
import { eventStream, SSE_HEADERS } from './runs-sse.ts';
import { TraceCache } from './runs-trace-cache.ts';
import type { ServerRun } from './server-run.ts';
import type { ServerState } from './server-state.ts';

export interface RunsRoutesOptions {
  /** A comment on an event stream after this long without an event, so proxies keep it open. Default 15 s. */
  keepAliveMs?: number;
  /** How long `GET /v1/runs/:id/view?after=n` waits for the run to move past event n. Default 20 s. */
  viewWaitMs?: number;
  /** How long `DELETE` waits for a running run to stop before it answers. Default 10 s. */
  cancelWaitMs?: number;
}

const LIST_DEFAULT = 50;
const LIST_MAX = 200;

/** The runs API, to mount on the server's app: `app.route('/', runsRoutes(state))`. */
export function runsRoutes(state: ServerState, options: RunsRoutesOptions = {}): Hono {
  const { keepAliveMs = 15_000, viewWaitMs = 20_000, cancelWaitMs = 10_000 } = options;
  const { manager, catalog } = state;
  const app = new Hono();
  const summaries = new TraceCache<PastRunView | undefined>(2000);
  const pastRuns = new TraceCache<PastRun>(4);
  const models = new TraceCache<ViewModel>(16);
  const readPast = (id: string) => {
    if (!isRunId(id)) throw runNotFound(id);
    return pastRuns.get(manager.tracePath(id), () => readPastRun(manager.traceDir, id));
  };

  app.post('/v1/runs', async (c) => {
    const body = await readJsonBody(c);
    const request = parseRunRequest(body, catalog, c.req.header('x-rlm-origin') === 'page' ? 'page' : 'runs');
    // A full queue (429 with Retry-After) and a draining server (503) are answered by the app's error handler.
    const run = await manager.submit(request);
    c.header('Location', `/v1/runs/${run.id}`);
    // `state` as every view of a run names it; `status` too, for clients that read a job's status.
    return c.json({ id: run.id, object: 'run', state: run.state, status: run.state, urls: urlsOf(run.id) }, 202);
  });

  app.get('/v1/runs', async (c) => {
    const limit = listLimit(c.req.query('limit'));
    const after = c.req.query('after');
    const live = manager.list();
    const held = new Set(live.map((run) => run.id));
    // With a shared queue, the runs of the other servers too (those held here are shown as held).
    const others = (manager.others ? await manager.others(LIST_MAX) : []).filter((view) => !held.has(view.id));
    for (const view of others) held.add(view.id);
    const past = (await pastRunEntries(manager.traceDir)).filter((entry) => !held.has(entry.id));
    // Newest first: this process's runs by when they were made, earlier ones by their trace's last write.
    const all = [
      ...live.map((run) => ({ id: run.id, at: run.createdAt.getTime(), run, entry: undefined, other: undefined })),
      ...others.map((other) => ({ id: other.id, at: Date.parse(other.createdAt), run: undefined, entry: undefined, other })),
      ...past.map((entry) => ({ id: entry.id, at: entry.modifiedMs, run: undefined, entry, other: undefined })),
    ].sort((a, b) => b.at - a.at);
    let from = 0;
    if (after !== undefined) {
      const index = all.findIndex((item) => item.id === after);
      if (index < 0) throw badParameter('after', `after must be the id of a listed run; ${JSON.stringify(after.slice(0, 80))} is not`);
      from = index + 1;
    }
    const page = all.slice(from, from + limit);
    const data: object[] = [];
    for (const item of page) {
      if (item.run) data.push(liveView(item.run));
      else if (item.other) data.push({ object: 'run', ...item.other, live: false, urls: urlsOf(item.other.id) });
      else {
        const entry = item.entry!;
        const view = await summaries.get(entry.path, () => summarizePastRun(entry).catch(() => undefined));
        if (view) data.push(pastView(view));
      }
    }
    return c.json({ object: 'list', data, has_more: from + limit < all.length, last_id: page.at(-1)?.id ?? null });
  });

  app.get('/v1/runs/:id', async (c) => {
    const id = c.req.param('id');
    const run = await liveRun(id);
    if (run) return c.json(liveView(run));
    return c.json(pastView((await readPast(id)).view));
  });

  app.get('/v1/runs/:id/events', async (c) => {
    const id = c.req.param('id');
    const afterId = lastEventId(c);
    const log = (await liveRun(id)) ?? (await readPast(id)).log;
    return new Response(eventStream(log, afterId, keepAliveMs), { headers: SSE_HEADERS });
  });

  app.get('/v1/runs/:id/view', async (c) => {
    const id = c.req.param('id');
    const run = await liveRun(id);
    if (!run) {
      const past = await readPast(id);
      const model = await models.get(manager.tracePath(id), () => Promise.resolve(buildViewModel(past.trace)));
      return c.json({ run: pastView(past.view), events: past.trace.events.length, model });
    }
    const after = c.req.query('after');
    if (after !== undefined) await movedPast(run, counter('after', after), viewWaitMs, c.req.raw.signal);
    // Counted before the trace is read: the trace is written before the run hears of an event, so it holds at least these.
    const events = run.events.length;
    const model = await models.get(manager.tracePath(id), async () => {
      // A queued run has no trace yet: an empty view.
      const trace = run.state === 'queued' ? undefined : await readTrace(manager.tracePath(id)).catch(() => undefined);
      return buildViewModel({ events: trace?.events ?? [] });
    });
    return c.json({ run: liveView(run), events, model });
  });

  app.delete('/v1/runs/:id', async (c) => {
    const id = c.req.param('id');
    const run = await liveRun(id);
    if (!run) {
      throw ended(id, (await readPast(id)).view.state);
    }
    if (run.result) throw ended(id, run.state);
    run.cancel('cancelled by the client (DELETE /v1/runs/:id)');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([run.finished, new Promise((resolve) => (timer = setTimeout(resolve, cancelWaitMs)))]);
    clearTimeout(timer);
    return c.json(liveView(run));
  });

  /** A run held here, or, with a shared queue, one this server can follow from there. */
  async function liveRun(id: string): Promise<ServerRun | undefined> {
    if (!isRunId(id)) throw runNotFound(id);
    return manager.find(id);
  }

  return app;
}

function urlsOf(id: string): { self: string; events: string; page: string } {
  return { self: `/v1/runs/${id}`, events: `/v1/runs/${id}/events`, page: `/runs/${id}` };
}

/** A run this process holds, as the API shows it: `live` (its events stream as they happen). */
function liveView(run: ServerRun): object {
  return { object: 'run', ...run.view(), live: true, urls: urlsOf(run.id) };
}

function pastView(view: PastRunView): object {
  return { object: 'run', ...view, urls: urlsOf(view.id) };
}

function ended(id: string, state: string): HttpError {
  return new HttpError(409, 'invalid_request_error', `the run ${id} has already ended (${state}); there is nothing to cancel`, {
    code: 'run_ended',
  });
}

function listLimit(value: string | undefined): number {
  if (value === undefined) return LIST_DEFAULT;
  const limit = counter('limit', value);
  if (limit < 1 || limit > LIST_MAX) throw badParameter('limit', `limit must be a whole number from 1 to ${LIST_MAX}`);
  return limit;
}

/** The event a stream starts after: `Last-Event-ID` (what EventSource sends when it reconnects), else `?after=`. */
function lastEventId(c: Context): number {
  const header = c.req.header('last-event-id');
  if (header !== undefined && header.trim() !== '') return counter('Last-Event-ID', header.trim());
  const after = c.req.query('after');
  return after === undefined ? 0 : counter('after', after);
}

/** A count given as text: a whole number, 0 or more. */
function counter(param: string, text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw badParameter(param, `${param} must be a whole number, not ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

/** Resolves once `run` has an event past `after` or has ended, after `waitMs`, or when the client goes. */
function movedPast(run: ServerRun, after: number, waitMs: number, signal: AbortSignal): Promise<void> {
  if (run.events.length > after || run.result) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stop();
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const stop = run.listen({ event: done, end: done }, run.events.length);
    const timer = setTimeout(done, waitMs);
    signal.addEventListener('abort', done);
  });
}
