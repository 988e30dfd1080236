/**
 * One damaged entry in one run's log in Redis (written by hand, or by a worker of another
 * version) must stay that run's problem: the server that follows the log goes on showing every
 * other run live, and goes on answering.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { endedRun, startServer, startWorker, stopAll, submitRun, type RlmProcess } from '../queue/cluster.ts';

describe('a junk entry in one run log', { skip: skipWithoutRedis, timeout: 120_000 }, () => {
  let redis: TestRedis;
  let model: ScriptedModelServer;
  const processes: RlmProcess[] = [];

  before(async () => {
    redis = await startRedis();
    model = await startScriptedServer({ script: () => repl("FINAL('ok ' + context)") });
  });

  after(async () => {
    await stopAll(processes);
    await model?.close();
    await redis?.stop();
  });

  it('leaves the server following (and showing) the other runs', async () => {
    const traces = await mkdtemp(join(tmpdir(), 'rlm-hostile-junklog-'));
    const server = startServer(redis.url, traces);
    processes.push(server);
    const url = await server.ready;
    const client = new Redis(redis.url);
    try {
      // No worker yet: the run waits, and the server follows its log.
      const damaged = await submitRun(url, { query: 'q', context: 'damaged' });
      await client.xadd(`rlm:run:${damaged}:log`, '*', 'x', 'not json');
      const worker = startWorker(redis.url, model.url);
      processes.push(worker);
      await worker.ready;
      const fine = await submitRun(url, { query: 'q', context: 'fine' });
      // Redis says the run is done ...
      while ((await client.hget(`rlm:run:${fine}`, 'state')) !== 'done') await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(server.child.exitCode, null, `the server is still up: ${server.stderr()}`);
      // ... and the server that took it shows it so.
      const run = await endedRun(url, fine, 60_000).catch((error: unknown) => {
        throw new Error(`the server stopped answering: ${String(error)}; it said: ${server.stderr()}`);
      });
      assert.equal(run.state, 'done');
      assert.equal(run.answer, 'ok fine');
    } finally {
      client.disconnect();
    }
  });
});
