/**
 * Junk written into the shared Redis by hand (or by a process of another version): a job whose
 * data is not JSON, a run record whose request is damaged, a run log entry that is not JSON, a
 * worker heartbeat that is not JSON. Each must stay the problem of the one thing it damages:
 * the worker fails that one job and goes on, the server answers that one request with a clear
 * error and answers every other.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { endedRun, startServer, startWorker, stopAll, submitRun, type RlmProcess } from '../queue/cluster.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('junk in the shared Redis', { skip: skipWithoutRedis, timeout: 180_000 }, () => {
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

  async function cluster(): Promise<{ url: string; server: RlmProcess; client: Redis }> {
    const server = startServer(redis.url, await mkdtemp(join(tmpdir(), 'rlm-hostile-junk-')));
    processes.push(server);
    return { url: await server.ready, server, client: new Redis(redis.url) };
  }

  it('a run job whose data is not JSON: the worker fails that job and runs the next', async () => {
    const { url, server, client } = await cluster();
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('runs', { connection, prefix: 'rlm' });
    try {
      await queue.add('run', { runId: 'run_junkjunkjunk' }, { jobId: 'run_junkjunkjunk' });
      await client.hset('rlm:runs:run_junkjunkjunk', 'data', '{not json');
      await queue.add('run', { runId: 42 }, { jobId: 'run_junknumber1' });
      await queue.add('run', null, { jobId: 'run_junknull001' });
      const worker = startWorker(redis.url, model.url);
      processes.push(worker);
      await worker.ready;
      const id = await submitRun(url, { query: 'q', context: 'after junk' });
      const run = await endedRun(url, id);
      assert.equal(run.state, 'done', JSON.stringify(run));
      assert.equal(run.answer, 'ok after junk');
      assert.equal(worker.child.exitCode, null, worker.stderr());
      assert.equal(server.child.exitCode, null, server.stderr());
    } finally {
      await queue.close();
      connection.disconnect();
      client.disconnect();
    }
  });

  it('a run whose record is damaged, asked of a server: one clear error, and the server answers on', async () => {
    const { url, server, client } = await cluster();
    try {
      await client.hset('rlm:run:run_damagedrecord', { state: 'running', createdAt: String(Date.now()), request: '{"query":' });
      const response = await fetch(`${url}/v1/runs/run_damagedrecord`);
      const body = await response.text();
      assert.ok(response.status >= 400 && response.status < 500, `${response.status} ${body}`);
      assert.match(body, /damaged|not JSON/);
      assert.equal((await fetch(`${url}/v1/health`)).status, 200);
      assert.equal(server.child.exitCode, null, server.stderr());
    } finally {
      client.disconnect();
    }
  });

  it('a run whose log holds an entry that is not JSON, asked of a server: the server answers on', async () => {
    const { url, server, client } = await cluster();
    try {
      await client.hset('rlm:run:run_damagedlog0001', {
        state: 'running',
        createdAt: String(Date.now()),
        request: JSON.stringify({
          query: 'q',
          context: { inline: 't' },
          model: 'rlm',
          origin: 'runs',
          models: {},
          settings: {},
          limits: {},
        }),
      });
      await client.xadd('rlm:run:run_damagedlog0001:log', '*', 'x', 'not json');
      await fetch(`${url}/v1/runs/run_damagedlog0001`).then((r) => r.text());
      // What the server does with the run goes on after it answered: it must still be there to answer.
      for (let i = 0; i < 20 && server.child.exitCode === null; i++) await sleep(100);
      const health = await fetch(`${url}/v1/health`).catch((error: unknown) => {
        throw new Error(`the server is gone: ${String(error)}; it said: ${server.stderr()}`);
      });
      assert.equal(health.status, 200);
    } finally {
      client.disconnect();
    }
  });

  it('a worker heartbeat that is not JSON: /v1/health and a streamed chat completion still answer', async () => {
    const { url, client } = await cluster();
    try {
      await client.sadd('rlm:workers', 'junkworker');
      await client.set('rlm:worker:junkworker', 'not json', 'EX', 600);
      const health = await fetch(`${url}/v1/health`);
      const healthBody = await health.text();
      const chat = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'rlm', stream: true, messages: [{ role: 'user', content: 'q' }] }),
      });
      const chatBody = await chat.text();
      const queued = await client.zcard('rlm:runs-by-age');
      assert.deepEqual(
        [health.status, chat.status],
        [200, 200],
        `health: ${healthBody}; chat: ${chatBody} (runs put on the queue meanwhile: ${queued})`,
      );
    } finally {
      client.disconnect();
    }
  });
});
