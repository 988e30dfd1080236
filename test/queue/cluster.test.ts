/**
 * Two servers and three workers, separate processes over one real Redis: 60 runs submitted to
 * both servers, each answered once, by the workers between them, with the events of each run
 * streamed live through the other server. Live is shown, not timed: a run's last turn is held by
 * the model server until the test has seen that run's first cell through the other server.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer, type ScriptedRequest } from '../../src/testing/index.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { endedRun, startServer, startWorker, stopAll, streamEvents, submitRun, type RlmProcess } from './cluster.ts';

const RUNS = Number(process.env.RLM_TEST_RUNS ?? 60);
const name = (i: number) => `run-${String(i).padStart(3, '0')}`;

describe('two servers and three workers over one Redis', { skip: skipWithoutRedis, timeout: 600_000 }, () => {
  let redis: TestRedis;
  let model: ScriptedModelServer;
  const processes: RlmProcess[] = [];
  /** Per run name: the requests it made, by kind, and the release of its last turn. */
  const asked = new Map<string, { root: number; sub: number }>();
  const released = new Map<string, () => void>();
  const gates = new Map<string, Promise<void>>();
  const gate = (run: string) => {
    let gateOpen = gates.get(run);
    if (!gateOpen) gates.set(run, (gateOpen = new Promise<void>((resolve) => released.set(run, resolve))));
    return gateOpen;
  };
  let servers: string[] = [];

  before(async () => {
    redis = await startRedis();
    model = await startScriptedServer({
      latencyMs: 20,
      script: async (request: ScriptedRequest) => {
        const run = /run-\d{3}/.exec(JSON.stringify(request.messages))?.[0] ?? 'unknown';
        const count = asked.get(run) ?? { root: 0, sub: 0 };
        asked.set(run, count);
        if (request.lastUser.startsWith('SUB:')) {
          count.sub++;
          return `seen ${request.lastUser.slice(4)}`;
        }
        count.root++;
        return byTurn([
          repl("const seen = await llm_query('SUB:' + context.slice(0, 7)); print(seen)"),
          // The last turn waits until the test has seen the first cell's output through the other server.
          async () => (await gate(run), repl("FINAL('answer for ' + context.slice(0, 7))")),
        ])(request);
      },
    });
    const traces = await mkdtemp(join(tmpdir(), 'rlm-cluster-'));
    for (let w = 0; w < 3; w++) processes.push(startWorker(redis.url, model.url, ['--concurrency', '3', '--lock-timeout', '10']));
    // All 60 may wait at once (past --max-queued a submit is rightly a 429).
    const a = startServer(redis.url, join(traces, 'a'), ['--max-queued', '100']);
    const b = startServer(redis.url, join(traces, 'b'), ['--max-queued', '100']);
    processes.push(a, b);
    await Promise.all(processes.map((p) => p.ready));
    servers = [await a.ready, await b.ready];
  });

  after(async () => {
    if (process.env.RLM_TEST_DEBUG) for (const p of processes) console.log(p.stderr());
    await stopAll(processes);
    await model?.close();
    await redis?.stop();
  });

  it('answers each of 60 runs once, streaming every run live through the other server', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: RUNS }, async (_, i) => {
        const submitTo = servers[i % 2]!;
        const watchOn = servers[(i + 1) % 2]!;
        const id = await submitRun(submitTo, { query: 'what run is this?', context: `${name(i)} ${'filler text. '.repeat(50)}` });
        const types: string[] = [];
        const ids: number[] = [];
        const end = await streamEvents(watchOn, id, (type, data, eventId) => {
          types.push(type);
          ids.push(eventId);
          // The first cell's output, seen through the other server while the run is still going: let it end.
          if (type === 'cell-end' && data.includes(`seen ${name(i)}`)) {
            void gate(name(i));
            released.get(name(i))!();
          }
        });
        return { i, id, types, ids, end: JSON.parse(end.ended) as { state?: string; status?: string; answer?: string } };
      }),
    );
    for (const { i, id, types, ids, end } of outcomes) {
      assert.equal(end.answer, `answer for ${name(i)}`, `${id}: ${JSON.stringify(end)}`);
      assert.ok(types.includes('cell-end') && types.includes('run-end'), `${id} streamed its cells and its end`);
      assert.deepEqual(
        ids,
        ids.map((_, k) => k + 1),
        `${id}: events 1..n in order, none twice`,
      );
    }
    // Once each: two root turns and one sub-call per run, no more (no run was run twice).
    for (let i = 0; i < RUNS; i++) assert.deepEqual(asked.get(name(i)), { root: 2, sub: 1 }, name(i));

    // Both servers answer for every run, and each run was claimed once.
    const client = new Redis(redis.url);
    try {
      for (const { id } of outcomes) {
        assert.equal(await client.hget(`rlm:run:${id}`, 'attempt'), '1', `${id} claimed once`);
        for (const server of servers) assert.equal((await endedRun(server, id)).state, 'done');
      }
    } finally {
      client.disconnect();
    }
    type Health = { workers: Array<{ finished: number }>; endings: Record<string, number>; queue: { waiting: number; active: number } };
    const finished = (h: Health) => h.workers.reduce((sum, w) => sum + w.finished, 0);
    let health: Health;
    // A worker announces what it finished as each job ends: wait for the last announcement to land.
    for (let tries = 0; ; tries++) {
      health = (await (await fetch(`${servers[0]}/v1/health`)).json()) as Health;
      if (finished(health) === RUNS || tries > 100) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(health.workers.length, 3);
    assert.equal(finished(health), RUNS);
    assert.ok(health.workers.filter((w) => w.finished > 0).length >= 2, `the runs were spread: ${JSON.stringify(health.workers)}`);
    assert.equal(health.endings.done, RUNS);
    assert.deepEqual([health.queue.waiting, health.queue.active], [0, 0]);
  });
});
