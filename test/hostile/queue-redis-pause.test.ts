/**
 * Redis paused (SIGSTOP) for longer than the workers' lock timeout while a run waits on a model
 * call, then let go on (SIGCONT): the run's lock has expired, so another worker may take it over.
 * The run must still be run by one worker at a time — the first must have stopped its call before
 * the second asks again — and end once, with its answer.
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

describe('Redis paused past the lock timeout', { skip: skipWithoutRedis, timeout: 180_000 }, () => {
  let redis: TestRedis;
  let model: ScriptedModelServer;
  const processes: RlmProcess[] = [];
  const subs: string[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));

  before(async () => {
    redis = await startRedis();
    model = await startScriptedServer({
      script: async (request) => {
        if (request.lastUser.startsWith('SUB:')) {
          subs.push(request.lastUser);
          await gate;
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

  it('never has the run asked by two workers at once, and ends it once with its answer', async () => {
    const workers = [
      startWorker(redis.url, model.url, ['--lock-timeout', '2']),
      startWorker(redis.url, model.url, ['--lock-timeout', '2']),
    ];
    const server = startServer(redis.url, await mkdtemp(join(tmpdir(), 'rlm-hostile-pause-')));
    processes.push(...workers, server);
    const url = await server.ready;
    await Promise.all(workers.map((w) => w.ready));
    const id = await submitRun(url, { query: 'q', context: 'paused' });
    while (subs.length === 0) await sleep(10);
    redis.process.kill('SIGSTOP');
    await sleep(6_000);
    redis.process.kill('SIGCONT');
    const client = new Redis(redis.url);
    try {
      // The run taken over (its second claim), or its first worker still at it: give the takeover its chance.
      for (let i = 0; i < 100 && Number(await client.hget(`rlm:run:${id}`, 'attempt')) < 2; i++) await sleep(100);
      while (subs.length < 2 && Number(await client.hget(`rlm:run:${id}`, 'attempt')) >= 2) await sleep(50);
      const atOnce = model.maxInFlight;
      release();
      const run = await endedRun(url, id);
      assert.equal(run.state, 'done', JSON.stringify(run));
      assert.equal(run.answer, 'answer for paused');
      assert.equal(atOnce, 1, `requests of the one run in flight at once: ${atOnce} (sub-calls asked: ${subs.length})`);
      const ends = (await client.xrange(`rlm:run:${id}:log`, '-', '+')).filter(([, f]) => f[1]!.startsWith('{"k":"end"'));
      assert.equal(ends.length, 1);
    } finally {
      client.disconnect();
    }
  });
});
