/**
 * A cancel of a run its worker handed back to the queue (SIGTERM past --grace) while no worker
 * is there to take it: the run waits on the queue like a queued one, and must end at the cancel
 * as a queued one does, not stay "running" until some worker comes.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { endedRun, startServer, startWorker, stopAll, submitRun, type RlmProcess } from '../queue/cluster.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a cancel of a run handed back to the queue', { skip: skipWithoutRedis, timeout: 120_000 }, () => {
  let redis: TestRedis;
  let model: ScriptedModelServer;
  const processes: RlmProcess[] = [];
  let subs = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));

  before(async () => {
    redis = await startRedis();
    model = await startScriptedServer({
      script: async (request) => {
        if (request.lastUser.startsWith('SUB:')) {
          subs++;
          await gate;
          return 'seen';
        }
        return byTurn([repl("print(await llm_query('SUB:' + context))"), repl("FINAL('answer')")])(request);
      },
    });
  });

  after(async () => {
    release();
    await stopAll(processes);
    await model?.close();
    await redis?.stop();
  });

  it('ends it cancelled with no worker there', async () => {
    const worker = startWorker(redis.url, model.url, ['--grace', '1']);
    const server = startServer(redis.url, await mkdtemp(join(tmpdir(), 'rlm-hostile-cancel-back-')));
    processes.push(worker, server);
    const url = await server.ready;
    await worker.ready;
    const id = await submitRun(url, { query: 'q', context: 'text' });
    while (subs === 0) await sleep(10);
    worker.child.kill('SIGTERM');
    await worker.exited;
    assert.match(worker.stderr(), /let go/);
    const response = await fetch(`${url}/v1/runs/${id}`, { method: 'DELETE' });
    const body = await response.text();
    const run = await endedRun(url, id, 20_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; DELETE said ${response.status} ${body}`);
    });
    assert.equal(run.state, 'cancelled');
    assert.equal(run.answer, undefined);
  });
});
