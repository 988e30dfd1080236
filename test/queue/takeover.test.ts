/**
 * A worker killed (-9) in the middle of its runs loses none of them: once its locks expire,
 * other workers take them over and resume each from its log in Redis, with the right answer, and
 * the model server is never asked again a request it had already answered.
 *
 * The kill is placed, not timed: the model server answers a few requests, then holds every new
 * one; the test waits until Redis holds every reply it sent (a reply not yet written there would
 * be lost with the process, and rightly asked again), and only then kills the worker.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer, type ScriptedRequest } from '../../src/testing/index.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { endedRun, startServer, startWorker, stopAll, submitRun, type RlmProcess } from './cluster.ts';

const RUNS = 4;
const SUBS = 3;
const name = (i: number) => `run-${String(i).padStart(3, '0')}`;

/** A request as the model server tells requests apart: its model and every message. */
const keyOf = (request: ScriptedRequest) => JSON.stringify([request.model, request.messages]);

describe('a worker killed mid-run', { skip: skipWithoutRedis, timeout: 240_000 }, () => {
  let redis: TestRedis;
  let model: ScriptedModelServer;
  const processes: RlmProcess[] = [];
  let holding = false;
  const held: Array<() => void> = [];
  /** Requests answered, and when (before or after the kill). */
  const answered: string[] = [];
  let killed = false;
  const askedAfterKill: string[] = [];

  before(async () => {
    redis = await startRedis();
    model = await startScriptedServer({
      script: async (request: ScriptedRequest) => {
        if (killed) askedAfterKill.push(keyOf(request));
        await new Promise((resolve) => setTimeout(resolve, 30));
        if (holding && !killed) await new Promise<void>((resolve) => held.push(resolve));
        const reply = request.lastUser.startsWith('SUB:')
          ? `seen ${request.lastUser.slice(4)}`
          : await byTurn([
              repl(
                `const out = []; for (const i of [${Array.from({ length: SUBS }, (_, k) => k + 1).join(', ')}]) out.push(await llm_query('SUB:' + context.slice(0, 7) + ':' + i)); print(out.join(' '))`,
              ),
              repl("FINAL('answer for ' + context.slice(0, 7))"),
            ])(request);
        if (!killed) answered.push(keyOf(request));
        return reply;
      },
    });
  });

  after(async () => {
    await stopAll(processes);
    await model?.close();
    await redis?.stop();
  });

  it('is taken over by other workers, which finish its runs without asking again what was answered', async () => {
    const traces = await mkdtemp(join(tmpdir(), 'rlm-takeover-'));
    const victim = startWorker(redis.url, model.url, ['--concurrency', String(RUNS), '--lock-timeout', '2']);
    const server = startServer(redis.url, traces);
    processes.push(victim, server);
    const url = await server.ready;
    await victim.ready;
    const ids = await Promise.all(
      Array.from({ length: RUNS }, (_, i) => submitRun(url, { query: 'which run?', context: `${name(i)} text` })),
    );

    // Some runs part-way through their sub-calls: hold every request from here on.
    while (answered.length < RUNS + 3) await new Promise((resolve) => setTimeout(resolve, 10));
    holding = true;
    const client = new Redis(redis.url);
    try {
      // Every reply sent is in a run's log before the kill.
      const recordedReplies = async () => {
        let count = 0;
        for (const id of ids)
          for (const [, fields] of await client.xrange(`rlm:run:${id}:log`, '-', '+')) {
            const entry = JSON.parse(fields[1]!) as { k: string; e?: { type: string } };
            if (entry.k === 'event' && entry.e?.type === 'model-call-end') count++;
          }
        return count;
      };
      while ((await recordedReplies()) < answered.length) await new Promise((resolve) => setTimeout(resolve, 20));
      const answeredBeforeKill = new Set(answered);
      victim.child.kill('SIGKILL');
      await victim.exited;
      killed = true;
      for (const release of held.splice(0)) release();

      const rescuers = [
        startWorker(redis.url, model.url, ['--lock-timeout', '2']),
        startWorker(redis.url, model.url, ['--lock-timeout', '2']),
      ];
      processes.push(...rescuers);
      await Promise.all(rescuers.map((w) => w.ready));

      for (const [i, id] of ids.entries()) {
        const run = await endedRun(url, id);
        assert.equal(run.state, 'done', `${id}: ${JSON.stringify(run)}`);
        assert.equal(run.answer, `answer for ${name(i)}`);
        assert.ok(Number(await client.hget(`rlm:run:${id}`, 'attempt')) >= 2, `${id} was taken over`);
      }
      const again = askedAfterKill.filter((key) => answeredBeforeKill.has(key));
      assert.deepEqual(again, [], 'no request answered before the kill was asked again');
      assert.ok(askedAfterKill.length > 0, 'the runs went on live after the takeover');
      // The runs were resumed, not started over: each resumed attempt took replies from its log.
      for (const id of ids) {
        const rows = await client.xrange(`rlm:run:${id}:log`, '-', '+');
        const entries = rows.map(
          ([, fields]) => JSON.parse(fields[1]!) as { k: string; worker?: string; e?: { type: string; recorded?: boolean } },
        );
        const claims = entries.filter((entry) => entry.k === 'claim').map((entry) => entry.worker);
        assert.ok(claims.length >= 2, `${id}: claimed by ${claims.join(', ')}`);
        assert.ok(
          entries.some((entry) => entry.e?.type === 'model-call-end' && entry.e.recorded === true),
          `${id}: its resumed attempt answered from the log`,
        );
      }
    } finally {
      client.disconnect();
    }
  });
});
