import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createOpenAIModel, readTrace } from '../../src/index.ts';
import { RunManager, ServerBusyError, ServerDrainingError } from '../../src/server/run-manager.ts';
import type { RunRequest } from '../../src/server/server-run.ts';
import { repl, type ScriptedReply } from '../../src/testing/index.ts';
import { withScriptedServer } from '../support/scripted.ts';

/** The root answers at once with the run's query, after `delayMs` (the runs are held that long). */
function answerWithQuery(delayMs: number) {
  return (request: { lastUser: string; messages: { content: string }[] }): ScriptedReply => {
    const query = /QUERY:(\w+)/.exec(request.messages.map((m) => m.content).join('\n'))?.[1] ?? '?';
    return { content: repl(`FINAL('answer to ${query}')`), delayMs };
  };
}

function request(url: string, query: string): RunRequest {
  return {
    query: `QUERY:${query}`,
    context: 'a short context',
    options: { model: createOpenAIModel({ model: 'm', baseURL: url, apiKey: 'k' }) },
    model: 'rlm',
    origin: 'runs',
  };
}

const traceDir = () => mkdtemp(join(tmpdir(), 'rlm-runs-'));

describe('the run manager', () => {
  it('runs at most maxRunning at once, queues maxQueued, and refuses past that with a time to retry', async () => {
    await withScriptedServer(answerWithQuery(300), async (url, seen) => {
      const manager = new RunManager({ maxRunning: 2, maxQueued: 1, traceDir: await traceDir() });
      const runs = ['a', 'b', 'c'].map((q) => manager.submit(request(url, q)));
      assert.deepEqual(
        runs.map((r) => r.state),
        ['running', 'running', 'queued'],
      );
      assert.throws(
        () => manager.submit(request(url, 'd')),
        (error: unknown) => error instanceof ServerBusyError && error.retryAfterSeconds >= 1,
      );
      const results = await Promise.all(runs.map((r) => r.finished));
      assert.deepEqual(
        results.map((r) => r.answer),
        ['answer to a', 'answer to b', 'answer to c'],
      );
      assert.equal(seen.length, 3, 'the refused run never reached the model');
      const trace = await readTrace(manager.tracePath(runs[2]!.id));
      assert.equal(trace.events.at(-1)?.type, 'run-end');
      assert.deepEqual(manager.stats(), { running: 0, queued: 0, maxRunning: 2, maxQueued: 1, draining: false });
    });
  });

  it('a queued run cancelled ends at once without a call; a running one stops', async () => {
    await withScriptedServer(answerWithQuery(60_000), async (url, seen) => {
      const manager = new RunManager({ maxRunning: 1, maxQueued: 5, traceDir: await traceDir() });
      const running = manager.submit(request(url, 'a'));
      const queued = manager.submit(request(url, 'b'));
      queued.cancel();
      assert.equal((await queued.finished).status, 'cancelled');
      while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      running.cancel('cancelled by the client');
      const result = await running.finished;
      assert.equal(result.status, 'cancelled');
      assert.equal(result.error?.message, 'cancelled by the client', 'the reason given is the one reported');
      assert.equal(result.answer, undefined);
      assert.equal(seen.length, 1);
      assert.ok(!existsSync(manager.tracePath(queued.id)), 'a run that never started writes no trace');
    });
  });

  it('draining refuses new runs, cancels the queued, and cancels the running after the grace period', async () => {
    await withScriptedServer(answerWithQuery(60_000), async (url) => {
      const manager = new RunManager({ maxRunning: 1, maxQueued: 5, traceDir: await traceDir() });
      const running = manager.submit(request(url, 'a'));
      const queued = manager.submit(request(url, 'b'));
      const drained = manager.drain(200);
      assert.throws(() => manager.submit(request(url, 'c')), ServerDrainingError);
      await drained;
      assert.equal(queued.result?.status, 'cancelled');
      assert.equal(running.result?.status, 'cancelled');
    });
  });

  it(
    'a listener joining late is handed every event from the id it asks for, then the end; one that throws is dropped',
    { timeout: 60_000 },
    async () => {
      await withScriptedServer(answerWithQuery(0), async (url) => {
        const manager = new RunManager({ maxRunning: 1, maxQueued: 0, traceDir: await traceDir() });
        const run = manager.submit(request(url, 'a'));
        // A listener that throws is dropped: the run still ends, and its slot is freed.
        run.listen({
          event: () => {},
          end: () => {
            throw new Error('the client is gone');
          },
        });
        await run.finished;
        assert.equal(manager.stats().running, 0);
        const ids: number[] = [];
        let ended = false;
        run.listen({ event: (_event, id) => ids.push(id), end: () => (ended = true) }, 2);
        assert.equal(ids[0], 3);
        assert.equal(ids.at(-1), run.events.length);
        assert.ok(ended);
      });
    },
  );
});
