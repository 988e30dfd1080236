import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readTrace } from '../../src/index.ts';
import { byTurn, repl } from '../../src/testing/index.ts';
import { gate, postRun, readSse, recordPastTrace, startRunsServer, type RunsServer, type SseEvent } from './runs-harness.ts';

type Json = Record<string, any>;

async function json(response: Response): Promise<Json> {
  return (await response.json()) as Json;
}

/** Reads a stream's events until `until` says stop (that event included), or the stream ends. */
async function collect(stream: AsyncGenerator<SseEvent>, until: (event: SseEvent) => boolean): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for (;;) {
    const next = await stream.next();
    if (next.done) return events;
    events.push(next.value);
    if (until(next.value)) return events;
  }
}

async function openEvents(url: string, id: string, init: RequestInit & { query?: string } = {}) {
  const response = await fetch(`${url}/v1/runs/${id}/events${init.query ?? ''}`, init);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  return readSse(response.body!);
}

async function withServer(
  script: Parameters<typeof startRunsServer>[0],
  body: (server: RunsServer) => Promise<void>,
  options: Parameters<typeof startRunsServer>[1] = {},
) {
  const server = await startRunsServer(script, options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}

const ids = (events: SseEvent[]) => events.filter((e) => e.id !== undefined).map((e) => Number(e.id));

describe('the runs API', () => {
  it('starts a run, streams its events as they happen, and ends with the answer', { timeout: 60_000 }, async () => {
    const held = gate();
    const root = byTurn([repl("print('first cell', context.length)"), async () => (await held.promise, repl("FINAL('the answer')"))]);
    await withServer(root, async ({ url }) => {
      const started = await postRun(url, { query: 'what?', context: 'hello world' });
      assert.equal(started.status, 202);
      const run = await json(started);
      assert.match(run.id, /^run_[A-Za-z0-9_-]+$/);
      assert.ok(['queued', 'running'].includes(run.status));
      assert.deepEqual(run.urls, { self: `/v1/runs/${run.id}`, events: `/v1/runs/${run.id}/events`, page: `/runs/${run.id}` });
      assert.equal(started.headers.get('location'), `/v1/runs/${run.id}`);

      const stream = await openEvents(url, run.id);
      // The first cell's end arrives while the model is held before the second turn: live, not after the fact.
      const before = await collect(stream, (e) => e.event === 'cell-end');
      assert.equal(before[0]?.event, 'run-start');
      assert.match(JSON.parse(before.at(-1)!.data!).output, /first cell 11/);
      const midway = await json(await fetch(`${url}/v1/runs/${run.id}`));
      assert.equal(midway.state, 'running');
      assert.equal('answer' in midway, false, 'no answer before there is one');
      assert.equal(midway.live, true);
      assert.ok(midway.events >= before.length);

      held.open();
      const after = await collect(stream, (e) => e.event === 'end');
      const end = after.at(-1)!;
      assert.equal(end.event, 'end');
      assert.equal(end.id, undefined, 'the end is not an event of the run: Last-Event-ID stays the last one');
      const result = JSON.parse(end.data!);
      assert.equal(result.status, 'done');
      assert.equal(result.answer, 'the answer');
      assert.ok(result.usage.total.calls >= 2);
      assert.equal((await stream.next()).done, true, 'the stream closes after the end');
      const all = ids([...before, ...after]);
      assert.deepEqual(
        all,
        all.map((_, i) => i + 1),
      );

      const done = await json(await fetch(`${url}/v1/runs/${run.id}`));
      assert.equal(done.state, 'done');
      assert.equal(done.answer, 'the answer');
      assert.equal(done.events, all.length);
      const view = await json(await fetch(`${url}/v1/runs/${run.id}/view?after=0`));
      assert.equal(view.events, all.length);
      assert.equal(view.model.summary.answer, 'the answer');
      const badAfter = await fetch(`${url}/v1/runs/${run.id}/view?after=soon`);
      assert.equal(badAfter.status, 400);
      assert.equal((await json(badAfter)).error.param, 'after');
    });
  });

  it(
    'a client that reconnects with Last-Event-ID gets exactly the events it missed; leaving does not stop the run',
    { timeout: 60_000 },
    async () => {
      const held = gate();
      const root = byTurn([repl("print('one')"), async () => (await held.promise, repl("FINAL('reconnected')"))]);
      await withServer(root, async ({ url }) => {
        const run = await json(await postRun(url, { query: 'q', context: 'c' }));
        const leaving = new AbortController();
        const first = await collect(await openEvents(url, run.id, { signal: leaving.signal }), (e) => e.event === 'cell-end');
        leaving.abort();
        const lastSeen = first.at(-1)!.id!;

        const again = await openEvents(url, run.id, { headers: { 'Last-Event-ID': lastSeen } });
        held.open();
        const rest = await collect(again, (e) => e.event === 'end');
        assert.equal(JSON.parse(rest.at(-1)!.data!).answer, 'reconnected', 'the run went on after its watcher left');
        const seen = ids([...first, ...rest]);
        const total = (await json(await fetch(`${url}/v1/runs/${run.id}`))).events as number;
        assert.deepEqual(
          seen,
          Array.from({ length: total }, (_, i) => i + 1),
          'every event once, none twice',
        );

        // After the end: `?after=` for clients that cannot set headers; past the last event, only the end.
        const tail = await collect(await openEvents(url, run.id, { query: '?after=2' }), () => false);
        assert.equal(tail[0]?.id, '3');
        assert.equal(tail.at(-1)?.event, 'end');
        const none = await collect(await openEvents(url, run.id, { headers: { 'Last-Event-ID': String(total) } }), () => false);
        assert.deepEqual(
          none.map((e) => e.event),
          ['end'],
        );
        const bad = await fetch(`${url}/v1/runs/${run.id}/events`, { headers: { 'Last-Event-ID': 'abc' } });
        assert.equal(bad.status, 400);
        assert.equal((await json(bad)).error.param, 'Last-Event-ID');
      });
    },
  );

  it('keeps a silent stream open with comments', { timeout: 60_000 }, async () => {
    const held = gate();
    const root = byTurn([async () => (await held.promise, repl("FINAL('late')"))]);
    await withServer(
      root,
      async ({ url }) => {
        const run = await json(await postRun(url, { query: 'q', context: 'c' }));
        const stream = await openEvents(url, run.id);
        const quiet = await collect(stream, (e) => e.comment !== undefined);
        assert.equal(quiet.at(-1)!.comment, 'keep-alive');
        held.open();
        const rest = await collect(stream, (e) => e.event === 'end');
        assert.equal(JSON.parse(rest.at(-1)!.data!).answer, 'late');
      },
      { keepAliveMs: 100 },
    );
  });

  it('DELETE cancels a running run: no answer, and the model is asked nothing more', { timeout: 60_000 }, async () => {
    const never = gate();
    await withServer(
      async () => (await never.promise, repl("FINAL('never')")),
      async ({ url, model }) => {
        const run = await json(await postRun(url, { query: 'q', context: 'c' }));
        await until(() => model.requests.length === 1);
        const cancelled = await fetch(`${url}/v1/runs/${run.id}`, { method: 'DELETE' });
        assert.equal(cancelled.status, 200);
        const view = await json(cancelled);
        assert.equal(view.state, 'cancelled');
        assert.equal('answer' in view, false);
        assert.equal(view.error.code, 'RLM_CANCELLED');
        const end = (await collect(await openEvents(url, run.id), () => false)).at(-1)!;
        assert.equal(end.event, 'end');
        const result = JSON.parse(end.data!);
        assert.equal(result.status, 'cancelled');
        assert.equal('answer' in result, false);
        assert.equal(model.requests.length, 1);
        const twice = await fetch(`${url}/v1/runs/${run.id}`, { method: 'DELETE' });
        assert.equal(twice.status, 409);
        assert.equal((await json(twice)).error.code, 'run_ended');
      },
    );
  });

  it('refuses each bad field with a 400 naming it, before anything runs', { timeout: 60_000 }, async () => {
    await withServer(
      () => repl("FINAL('x')"),
      async ({ url, model }) => {
        const ok = { query: 'q', context: 'c' };
        const cases: Array<[unknown, string]> = [
          ['not json', 'body'],
          [[], 'body'],
          [{ query: 'q' }, 'context'],
          [{ query: 'q', context: null }, 'context'],
          [{ query: 'q', context: '' }, 'context'],
          [{ context: 'c' }, 'query'],
          [{ query: '  ', context: 'c' }, 'query'],
          [{ query: 3, context: 'c' }, 'query'],
          [{ ...ok, model: 5 }, 'model'],
          [{ ...ok, limits: 3 }, 'limits'],
          [{ ...ok, limits: { max_calls: -1 } }, 'limits.max_calls'],
          [{ ...ok, limits: { max_calls: 1.5 } }, 'limits.max_calls'],
          [{ ...ok, limits: { max_tokens: 0 } }, 'limits.max_tokens'],
          [{ ...ok, limits: { max_cost_usd: 'a dollar' } }, 'limits.max_cost_usd'],
          [{ ...ok, limits: { timeout_seconds: null } }, 'limits.timeout_seconds'],
          [{ ...ok, limits: { max_cost: 1 } }, 'limits.max_cost'],
          [{ ...ok, schema: 'an object' }, 'schema'],
          [{ ...ok, schema: { type: 'nonsense' } }, 'schema'],
          [{ ...ok, limit: { max_calls: 3 } }, 'limit'],
          [{ model: 'rlm/docs', query: 'q', context: 'c' }, 'context'],
          // The scripted models have no price: a cost limit could not be kept.
          [{ ...ok, limits: { max_cost_usd: 1 } }, 'limits.max_cost_usd'],
        ];
        for (const [body, param] of cases) {
          const response = await postRun(url, body);
          const error = (await json(response)).error;
          assert.equal(response.status, 400, `${JSON.stringify(body)}: ${error?.message}`);
          assert.equal(error.param, param, `${JSON.stringify(body)}: ${error.message}`);
          assert.equal(error.type, 'invalid_request_error');
          assert.ok(error.message.length > 10);
        }
        const unknown = await postRun(url, { ...ok, model: 'gpt-none' });
        assert.equal(unknown.status, 404);
        assert.equal((await json(unknown)).error.param, 'model');
        const list = await fetch(`${url}/v1/runs?limit=0`);
        assert.equal(list.status, 400);
        assert.equal((await json(list)).error.param, 'limit');
        assert.equal(model.requests.length, 0, 'no refused request reached the model');
      },
    );
  });

  it('a corpus model needs no context; a schema gives a typed value; limits are taken', { timeout: 60_000 }, async () => {
    const root = byTurn([repl('FINAL(JSON.stringify({ documents: context.length }))')]);
    await withServer(root, async (server) => {
      const { url, model } = server;
      const run = await json(
        await postRun(url, {
          model: 'rlm/docs',
          query: 'how many?',
          schema: { type: 'object', properties: { documents: { type: 'number' } }, required: ['documents'] },
          limits: { max_calls: 5, timeout_seconds: 120, max_tokens: 100_000 },
        }),
      );
      const end = (await collect(await openEvents(url, run.id), () => false)).at(-1)!;
      const result = JSON.parse(end.data!);
      assert.equal(result.status, 'done', JSON.stringify(result.error));
      assert.deepEqual(result.value, { documents: 2 });
      const view = await json(await fetch(`${url}/v1/runs/${run.id}`));
      assert.equal(view.model, 'rlm/docs');
      assert.deepEqual(view.value, { documents: 2 });
      assert.match(model.requests[0]!.messages.map((m) => m.content).join('\n'), /documents/);
      // The limits asked for, within the server's caps (50 calls), are the run's.
      const trace = await readTrace(server.state.manager.tracePath(run.id));
      const start = trace.events.find((e) => e.type === 'run-start');
      assert.deepEqual(start?.type === 'run-start' && start.settings?.limits, { maxCalls: 5, maxTokens: 100_000, timeoutMs: 120_000 });
    });
  });

  it('answers 429 with Retry-After when full, and 503 while draining', { timeout: 60_000 }, async () => {
    const never = gate();
    await withServer(
      async () => (await never.promise, repl("FINAL('x')")),
      async ({ url, state }) => {
        assert.equal((await postRun(url, { query: 'q', context: 'c' })).status, 202);
        const busy = await postRun(url, { query: 'q', context: 'c' });
        assert.equal(busy.status, 429);
        assert.match(busy.headers.get('retry-after') ?? '', /^\d+$/);
        assert.equal((await json(busy)).error.type, 'rate_limit_error');
        await state.manager.drain(0);
        const draining = await postRun(url, { query: 'q', context: 'c' });
        assert.equal(draining.status, 503);
        assert.match(draining.headers.get('retry-after') ?? '', /^\d+$/);
        assert.match((await json(draining)).error.message, /shutting down/);
      },
      { maxRunning: 1, maxQueued: 0 },
    );
  });

  it('lists runs newest first, a page at a time', { timeout: 60_000 }, async () => {
    await withServer(byTurn([repl("FINAL('ok')")]), async ({ url, state }) => {
      const made: string[] = [];
      for (const query of ['first', 'second', 'third']) {
        const run = await json(await postRun(url, { query, context: 'c' }));
        made.push(run.id);
        await state.manager.get(run.id)!.finished;
      }
      const page = await json(await fetch(`${url}/v1/runs?limit=2`));
      assert.equal(page.object, 'list');
      assert.deepEqual(
        page.data.map((r: Json) => r.query),
        ['third', 'second'],
      );
      assert.equal(page.has_more, true);
      const next = await json(await fetch(`${url}/v1/runs?limit=2&after=${page.last_id}`));
      assert.deepEqual(
        next.data.map((r: Json) => r.id),
        [made[0]],
      );
      assert.equal(next.has_more, false);
      assert.equal((await fetch(`${url}/v1/runs?after=run_unknown`)).status, 400);
    });
  });
});

describe('runs of earlier processes', () => {
  const recordTrace = recordPastTrace;

  it('are listed, shown and streamed from their traces; an unfinished one is not an answer', { timeout: 60_000 }, async () => {
    const traceDir = await mkdtemp(join(tmpdir(), 'rlm-runs-past-'));
    const done = await recordTrace(traceDir, 'run_earlier1');
    const lines = (await readFile(done, 'utf8')).trimEnd().split('\n');
    // A process killed mid-run: its trace stops before the run's end, the last line torn.
    await writeFile(join(traceDir, 'run_earlier2.jsonl'), `${lines.slice(0, -3).join('\n')}\n{"t":12,"type":"mod`);
    // A run a limit stopped before it answered: its reason is the trace's limit event.
    const end = JSON.parse(lines.at(-1)!);
    delete end.answer;
    const limit = { t: end.t, type: 'limit', limit: 'calls', reason: 'call limit reached (2)' };
    await writeFile(
      join(traceDir, 'run_earlier3.jsonl'),
      [...lines.slice(0, -1), JSON.stringify(limit), JSON.stringify({ ...end, status: 'budget' })].join('\n') + '\n',
    );
    await writeFile(join(traceDir, 'notes.jsonl'), '{"not":"a run"}\n');
    await writeFile(join(traceDir, 'run_garbage.jsonl'), 'not json at all\n');

    await withServer(
      () => repl("FINAL('x')"),
      async ({ url }) => {
        const list = await json(await fetch(`${url}/v1/runs`));
        const byId = new Map(list.data.map((r: Json) => [r.id, r]));
        assert.deepEqual([...byId.keys()].sort(), ['run_earlier1', 'run_earlier2', 'run_earlier3']);
        const earlier1 = byId.get('run_earlier1') as Json;
        assert.equal(earlier1.state, 'done');
        assert.equal(earlier1.answer, 'from before');
        assert.equal(earlier1.query, 'an old question');
        assert.equal(earlier1.rootModel, 'old-root');
        assert.equal(earlier1.live, false);
        const earlier2 = byId.get('run_earlier2') as Json;
        assert.equal(earlier2.state, 'interrupted');
        assert.equal('answer' in earlier2, false);
        assert.equal(earlier2.error.code, 'RLM_INTERRUPTED');

        const earlier3 = byId.get('run_earlier3') as Json;
        assert.equal(earlier3.state, 'budget');
        assert.equal('answer' in earlier3, false);
        assert.equal(earlier3.error.code, 'RLM_BUDGET_EXCEEDED');
        const stopped = await json(await fetch(`${url}/v1/runs/run_earlier3`));
        assert.deepEqual(stopped.error, { code: 'RLM_BUDGET_EXCEEDED', message: 'call limit reached (2)' });
        const stoppedEnd = (await collect(await openEvents(url, 'run_earlier3'), () => false)).at(-1)!;
        assert.equal(stoppedEnd.event, 'end');
        assert.equal('answer' in JSON.parse(stoppedEnd.data!), false);
        const one = await json(await fetch(`${url}/v1/runs/run_earlier1`));
        assert.equal(one.answer, 'from before');
        const events = await collect(await openEvents(url, 'run_earlier1'), () => false);
        assert.equal(events[0]?.event, 'run-start');
        assert.equal(JSON.parse(events.at(-1)!.data!).answer, 'from before');
        assert.deepEqual(
          ids(events),
          ids(events).map((_, i) => i + 1),
        );
        assert.equal(ids(events).length, one.events);
        const view = await json(await fetch(`${url}/v1/runs/run_earlier1/view`));
        assert.equal(view.model.summary.answer, 'from before');
        assert.equal((await fetch(`${url}/v1/runs/run_earlier1`, { method: 'DELETE' })).status, 409);
        const interrupted = await json(await fetch(`${url}/v1/runs/run_earlier2/view`));
        assert.equal(interrupted.run.state, 'interrupted');
        assert.equal(interrupted.model.summary.answer, undefined);
      },
      { traceDir },
    );
  });

  it('ids are checked: unknown is 404, and no path leads out of the trace folder', { timeout: 60_000 }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'rlm-runs-escape-'));
    const traceDir = join(root, 'traces');
    await (await import('node:fs/promises')).mkdir(traceDir);
    await recordTrace(root, 'secret');
    await recordTrace(root, 'run_outside');
    await withServer(
      () => repl("FINAL('x')"),
      async ({ url }) => {
        for (const path of [
          '/v1/runs/run_nothere',
          '/v1/runs/..%2Fsecret',
          '/v1/runs/%2E%2E%2Fsecret/events',
          '/v1/runs/run_x%2F..%2F..%2Fsecret/view',
          '/v1/runs/..%2Frun_outside',
          '/v1/runs/run_..%2Frun_outside',
        ]) {
          const response = await fetch(url + path);
          assert.equal(response.status, 404, path);
          assert.doesNotMatch(await response.text(), /an old question|from before/, path);
        }
        assert.equal((await fetch(`${url}/v1/runs/..%2Fsecret`, { method: 'DELETE' })).status, 404);
        const list = await json(await fetch(`${url}/v1/runs`));
        assert.deepEqual(list.data, []);
      },
      { traceDir },
    );
  });
});
