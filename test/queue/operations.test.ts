/**
 * Running a queue: a worker that is stopped hands its runs back, and another resumes them; Redis
 * that stops answering for a while loses no run; Redis unreachable at start, or a bad --redis, is
 * one line and exit 2, never a stack trace, never a password.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer, type ScriptedRequest } from '../../src/testing/index.ts';
import { noStack, runCli } from '../cli/support.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { endedRun, startServer, startWorker, stopAll, submitRun, type RlmProcess } from './cluster.ts';

/** Root: one sub-call naming the context, then FINAL; a sub-call is answered when `hold` lets it. */
function scriptedModel(hold: (request: ScriptedRequest) => Promise<void>): Promise<ScriptedModelServer> {
  return startScriptedServer({
    script: async (request) => {
      if (request.lastUser.startsWith('SUB:')) {
        await hold(request);
        return `seen ${request.lastUser.slice(4)}`;
      }
      return byTurn([repl("const seen = await llm_query('SUB:' + context); print(seen)"), repl("FINAL('answer for ' + context)")])(request);
    },
  });
}

const until = async (check: () => boolean | Promise<boolean>, what: string) => {
  for (let tries = 0; !(await check()); tries++) {
    assert.ok(tries < 1200, `waited too long for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('a worker stopped with SIGTERM', { skip: skipWithoutRedis, timeout: 240_000 }, () => {
  let redis: TestRedis;
  const processes: RlmProcess[] = [];
  let model: ScriptedModelServer;
  const subs: string[] = [];
  let open = false;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));

  before(async () => {
    redis = await startRedis();
    model = await scriptedModel(async (request) => {
      subs.push(request.lastUser);
      if (!open) await gate;
    });
  });
  after(async () => {
    release();
    await stopAll(processes);
    await model?.close();
    await redis?.stop();
  });

  it('hands a run it cannot finish within --grace back to the queue, where another worker resumes it', async () => {
    const traces = await mkdtemp(join(tmpdir(), 'rlm-drain-'));
    const first = startWorker(redis.url, model.url, ['--grace', '1']);
    const server = startServer(redis.url, traces);
    processes.push(first, server);
    const url = await server.ready;
    await first.ready;
    const id = await submitRun(url, { query: 'q', context: 'drained' });
    await until(() => subs.length > 0, 'the sub-call');
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.stderr());
    assert.match(first.stderr(), /let go \(the worker is shutting down\)/);
    assert.match(first.stderr(), /stopped/);

    open = true;
    release();
    const second = startWorker(redis.url, model.url);
    processes.push(second);
    const run = await endedRun(url, id);
    assert.equal(run.state, 'done', JSON.stringify(run));
    assert.equal(run.answer, 'answer for drained');
    const client = new Redis(redis.url);
    try {
      assert.equal(await client.hget(`rlm:run:${id}`, 'attempt'), '2');
    } finally {
      client.disconnect();
    }
  });
});

describe('Redis that stops answering for a while', { skip: skipWithoutRedis, timeout: 240_000 }, () => {
  let redis: TestRedis;
  const processes: RlmProcess[] = [];
  let model: ScriptedModelServer;
  const subs: string[] = [];

  before(async () => {
    redis = await startRedis();
    model = await scriptedModel(async (request) => {
      subs.push(request.lastUser);
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
  });
  after(async () => {
    redis?.process.kill('SIGCONT');
    await stopAll(processes);
    await model?.close();
    await redis?.stop();
  });

  it('loses no run: each is answered once when it is back, and a run submitted meanwhile waits for it', async () => {
    const traces = await mkdtemp(join(tmpdir(), 'rlm-pause-'));
    const worker = startWorker(redis.url, model.url);
    const server = startServer(redis.url, traces);
    processes.push(worker, server);
    const url = await server.ready;
    await worker.ready;
    const ids = await Promise.all(['one', 'two', 'three'].map((context) => submitRun(url, { query: 'q', context })));
    await until(() => subs.length > 0, 'a sub-call');
    redis.process.kill('SIGSTOP');
    const during = submitRun(url, { query: 'q', context: 'four' });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    redis.process.kill('SIGCONT');
    ids.push(await during);
    for (const [i, id] of ids.entries()) {
      const run = await endedRun(url, id);
      assert.equal(run.answer, `answer for ${['one', 'two', 'three', 'four'][i]}`, JSON.stringify(run));
    }
    assert.deepEqual([...subs].sort(), ['SUB:four', 'SUB:one', 'SUB:three', 'SUB:two'], 'each sub-call asked once');
  });
});

describe('rlm worker and rlm serve --redis, given a bad or unreachable Redis', { skip: skipWithoutRedis }, () => {
  let model: ScriptedModelServer;
  before(async () => {
    model = await scriptedModel(async () => {});
  });
  after(async () => {
    await model?.close();
  });

  const oneLine = (run: { code: number | null; stderr: string }, pattern: RegExp) => {
    assert.equal(run.code, 2, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, pattern);
    assert.ok(noStack(run.stderr));
  };

  it('rlm worker --help names its flags', async () => {
    const help = await runCli(['worker', '--help']);
    assert.equal(help.code, 0);
    for (const flag of ['--redis', '--concurrency', '--max-requests', '--root', '--grace', '--lock-timeout', '--model', '--max-cost'])
      assert.match(help.stdout, new RegExp(`${flag}\\b`));
    assert.match((await runCli(['serve', '--help'])).stdout, /--redis <url>/);
  });

  it('is one line and exit 2', async () => {
    const endpoint = ['--base-url', model.url, '--model', 'root'];
    const env = { env: { RLM_API_KEY: 'k' } };
    oneLine(await runCli(['worker', ...endpoint], env), /^rlm: rlm worker needs --redis <url>/);
    oneLine(await runCli(['worker', '--redis', 'http://127.0.0.1:6379', ...endpoint], env), /redis:\/\/ or rediss:\/\/ URL/);
    const refused = await runCli(['worker', '--redis', 'redis://someone:hunter2@127.0.0.1:1', ...endpoint], env);
    oneLine(refused, /^rlm: cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\): start redis-server there/);
    assert.doesNotMatch(refused.stderr, /hunter2/);
    oneLine(
      await runCli(['serve', '--redis', 'redis://127.0.0.1:1', '--port', '0']),
      /^rlm: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/,
    );
    oneLine(await runCli(['serve', '--redis', 'nonsense']), /--redis expects a URL/);
  });
});

describe('a run cancelled while it waits for a worker', { skip: skipWithoutRedis, timeout: 120_000 }, () => {
  let redis: TestRedis;
  const processes: RlmProcess[] = [];
  let model: ScriptedModelServer;
  const asked: string[] = [];

  before(async () => {
    redis = await startRedis();
    model = await startScriptedServer({
      script: (request) => (asked.push(JSON.stringify(request.messages)), repl("FINAL('answer for ' + context)")),
    });
  });
  after(async () => {
    await stopAll(processes);
    await model?.close();
    await redis?.stop();
  });

  it('is taken off the queue and ended at once: no worker ever runs it', async () => {
    const server = startServer(redis.url, await mkdtemp(join(tmpdir(), 'rlm-queued-')));
    processes.push(server);
    const url = await server.ready;
    const id = await submitRun(url, { query: 'q', context: 'never run' });
    const response = await fetch(`${url}/v1/runs/${id}`, { method: 'DELETE' });
    assert.equal(response.status, 200);
    assert.equal((await endedRun(url, id)).state, 'cancelled');
    const kept = await submitRun(url, { query: 'q', context: 'run me' });
    const worker = startWorker(redis.url, model.url);
    processes.push(worker);
    assert.equal((await endedRun(url, kept)).answer, 'answer for run me');
    assert.ok(!asked.some((messages) => messages.includes('never run')), 'the cancelled run reached no model');
    const health = (await (await fetch(`${url}/v1/health`)).json()) as { endings: Record<string, number> };
    assert.deepEqual(health.endings, { cancelled: 1, done: 1 });
  });
});

describe('a server stopped with SIGTERM while its job runs on a worker', { skip: skipWithoutRedis, timeout: 120_000 }, () => {
  let redis: TestRedis;
  const processes: RlmProcess[] = [];
  let model: ScriptedModelServer;
  const subs: string[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));

  before(async () => {
    redis = await startRedis();
    model = await scriptedModel(async (request) => {
      subs.push(request.lastUser);
      await gate;
    });
  });
  after(async () => {
    release();
    await stopAll(processes);
    await model?.close();
    await redis?.stop();
  });

  it('stops at once and leaves the job to the worker, whose answer the other server shows', async () => {
    const traces = await mkdtemp(join(tmpdir(), 'rlm-server-stop-'));
    const worker = startWorker(redis.url, model.url);
    const a = startServer(redis.url, join(traces, 'a'), ['--grace', '30']);
    const b = startServer(redis.url, join(traces, 'b'));
    processes.push(worker, a, b);
    const [urlA, urlB] = [await a.ready, await b.ready];
    await worker.ready;
    const id = await submitRun(urlA, { query: 'q', context: 'outlives its server' });
    await until(() => subs.length > 0, 'the sub-call');
    a.child.kill('SIGTERM');
    // Not held for its grace: a job is not a client of this server's.
    assert.equal(await a.exited, 0, a.stderr());
    assert.match(a.stderr(), /jobs stay on the queue/);
    release();
    const run = await endedRun(urlB, id);
    assert.equal(run.answer, 'answer for outlives its server');
  });
});
