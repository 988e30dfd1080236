/**
 * A run's limits hold over the whole run, across a worker's death and the resume from its log:
 * the time a killed attempt spent waiting on a model call, and the calls it had in flight, are
 * time and calls the run used.
 *
 * The kill is placed, not timed: the model server holds the first request, and the worker is
 * killed only once that request has been held a known while (a lower bound) and its start is
 * in the run's log.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { endedRun, type RunState, startServer, startWorker, stopAll, submitRun, type RlmProcess } from '../queue/cluster.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the run's log in Redis holds an event of `type`. */
async function logged(client: Redis, id: string, type: string): Promise<void> {
  for (;;) {
    for (const [, fields] of await client.xrange(`rlm:run:${id}:log`, '-', '+')) {
      const entry = JSON.parse(fields[1]!) as { k: string; e?: { type: string } };
      if (entry.k === 'event' && entry.e?.type === type) return;
    }
    await sleep(20);
  }
}

function scenario(title: string, limits: object, check: (run: RunState, received: number) => void): void {
  describe(title, { skip: skipWithoutRedis, timeout: 180_000 }, () => {
    let redis: TestRedis;
    let model: ScriptedModelServer;
    const processes: RlmProcess[] = [];
    let killed = false;
    let received = 0;
    /** How long each request is held: before the kill, until the kill; after it, this long. */
    const HELD_MS = 5_000;

    before(async () => {
      redis = await startRedis();
      model = await startScriptedServer({
        script: async () => {
          received++;
          if (!killed) await new Promise<void>(() => {});
          await sleep(HELD_MS);
          return repl("FINAL('late answer')");
        },
      });
    });

    after(async () => {
      await stopAll(processes);
      await model?.close();
      await redis?.stop();
    });

    it(title, async () => {
      const traces = await mkdtemp(join(tmpdir(), 'rlm-hostile-resume-limits-'));
      const victim = startWorker(redis.url, model.url, ['--lock-timeout', '2']);
      const server = startServer(redis.url, traces);
      processes.push(victim, server);
      const url = await server.ready;
      await victim.ready;
      const client = new Redis(redis.url);
      try {
        const id = await submitRun(url, { query: 'q', context: 'text', limits });
        while (received === 0) await sleep(10);
        await logged(client, id, 'model-call-start');
        // The first call has been in flight at least HELD_MS (5 s of the run's 8) when its worker dies.
        await sleep(HELD_MS);
        victim.child.kill('SIGKILL');
        await victim.exited;
        killed = true;
        const rescuer = startWorker(redis.url, model.url, ['--lock-timeout', '2']);
        processes.push(rescuer);
        // The resumed call takes HELD_MS again: 10 s of work at least, over a limit of 8.
        const run = await endedRun(url, id);
        assert.ok(Number(await client.hget(`rlm:run:${id}`, 'attempt')) >= 2, 'the run was taken over');
        check(run, received);
      } finally {
        client.disconnect();
      }
    });
  });
}

scenario(
  'a run with timeout_seconds 8 whose killed attempt held a call 5 s, then worked 5 s more, is not done',
  { timeout_seconds: 8 },
  (run) => {
    assert.notEqual(run.state, 'done', `a run limited to 8 s worked at least 10 s: ${JSON.stringify(run)}`);
    assert.equal(run.answer, undefined);
  },
);

scenario('a run with max_calls 1 asks the model server once, whichever worker asks', { max_calls: 1 }, (run, received) => {
  assert.equal(received, 1, `the model server was asked ${received} times for a run with max_calls 1: ${run.state}`);
});
