/**
 * Redis paused (SIGSTOP) for longer than a command's 10 s timeout while a run goes on: the worker's
 * write of the run's events times out and is tried again, but the first write was already on its
 * way and Redis carries it out when it is back. Each event must be in the run's log once.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { endedRun, startServer, startWorker, stopAll, submitRun, type RlmProcess } from '../queue/cluster.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis paused past the command timeout', { skip: skipWithoutRedis, timeout: 180_000 }, () => {
  let redis: TestRedis;
  let model: ScriptedModelServer;
  const processes: RlmProcess[] = [];
  const subs: string[] = [];
  let answered = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));

  before(async () => {
    redis = await startRedis();
    model = await startScriptedServer({
      script: async (request) => {
        if (request.lastUser.startsWith('SUB:')) {
          subs.push(request.lastUser);
          await gate;
          answered++;
          return `seen ${request.lastUser.slice(4)}`;
        }
        return byTurn([repl("print(await llm_query('SUB:' + context))"), repl("FINAL('answer for ' + context)")])(request);
      },
    });
  });

  after(async () => {
    release();
    redis?.process.kill('SIGCONT');
    await stopAll(processes);
    await model?.close();
    await redis?.stop();
  });

  it("writes each of the run's events to its log once", async () => {
    const worker = startWorker(redis.url, model.url);
    const server = startServer(redis.url, await mkdtemp(join(tmpdir(), 'rlm-hostile-long-pause-')));
    processes.push(worker, server);
    const url = await server.ready;
    await worker.ready;
    const id = await submitRun(url, { query: 'q', context: 'paused' });
    while (subs.length === 0) await sleep(10);
    const client = new Redis(redis.url);
    try {
      // Everything so far is in the log; then Redis stops, and the sub-call is answered meanwhile.
      await sleep(500);
      redis.process.kill('SIGSTOP');
      release();
      while (answered === 0) await sleep(10);
      // Past the 10 s a command is given, and past the second a write waits before it is tried again.
      await sleep(13_000);
      redis.process.kill('SIGCONT');
      const run = await endedRun(url, id);
      assert.equal(run.answer, 'answer for paused', JSON.stringify(run));
      const ends = (await client.xrange(`rlm:run:${id}:log`, '-', '+'))
        .map(([, fields]) => JSON.parse(fields[1]!) as { k: string; e?: { type: string; model?: string } })
        .filter((entry) => entry.k === 'event' && entry.e?.type === 'model-call-end');
      // Root turn 1, the sub-call, root turn 2: three replies, each logged once.
      assert.equal(ends.length, 3, JSON.stringify(ends));
    } finally {
      client.disconnect();
    }
  });
});
