/**
 * The atomic steps on a run's record in a real Redis: a claim takes the run over, a writer that
 * lost it can write no more, a result is written once, a cancel reaches the writer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RunRecords } from '../../src/queue/run-records.ts';
import { LogWriter, type WriterStop } from '../../src/queue/log-writer.ts';
import { traceOfLog } from '../../src/queue/log-trace.ts';
import type { StoredRun } from '../../src/queue/stored-run.ts';
import { resultWithoutRun } from '../../src/server/server-run.ts';
import type { RlmEvent } from '../../src/trace/events.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';

const stored: StoredRun = {
  query: 'q',
  context: { inline: 'ctx' },
  model: 'rlm',
  origin: 'runs',
  models: {},
  settings: {},
  limits: {},
};

const turn = (iteration: number): RlmEvent => ({ type: 'turn-start', runId: 'r0', depth: 0, iteration }) as RlmEvent;

describe('run records in Redis', { skip: skipWithoutRedis }, () => {
  let redis: TestRedis;
  let client: Redis;
  let records: RunRecords;
  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    records = new RunRecords(client, 60);
  });
  after(async () => {
    client.disconnect();
    await redis?.stop();
  });

  it('a second claim takes the run over: the first owner can write no more events', async () => {
    await records.create('run_a', stored, 'test', Date.now());
    const first = await records.claim('run_a', 'w1', 'one');
    const second = await records.claim('run_a', 'w2', 'two');
    assert.ok('owner' in first && 'owner' in second);
    assert.equal(second.attempt, 2);
    assert.deepEqual(await records.append('run_a', first.owner, [{ k: 'event', e: { ...turn(1), t: 0 } }], 1), { lost: true });
    assert.deepEqual(await records.append('run_a', second.owner, [{ k: 'event', e: { ...turn(1), t: 0 } }], 1), { ok: true });
    // The same batch sent again (its first sending timed out, but Redis had carried it out) is written once.
    assert.deepEqual(await records.append('run_a', second.owner, [{ k: 'event', e: { ...turn(1), t: 0 } }], 1), { ok: true });
    // The old owner cannot end it either; the new one can, once.
    assert.equal(await records.finish('run_a', first.owner, resultWithoutRun('error', 'RLM_USAGE', 'stale')), false);
    assert.equal(await records.finish('run_a', second.owner, resultWithoutRun('done', 'RLM_USAGE', 'x')), true);
    assert.equal(await records.finish('run_a', second.owner, resultWithoutRun('done', 'RLM_USAGE', 'x')), false);
    assert.deepEqual(await records.claim('run_a', 'w3', 'three'), { ended: true });
    const kinds = (await records.readAll('run_a')).map((entry) => entry.k);
    assert.deepEqual(kinds, ['claim', 'claim', 'event', 'end']);
  });

  it('a writer that lost its run stops it, and writes nothing after', async () => {
    await records.create('run_b', stored, 'test', Date.now());
    const first = await records.claim('run_b', 'w1', 'one');
    assert.ok('owner' in first);
    const stops: WriterStop[] = [];
    const writer = new LogWriter(records, 'run_b', first.owner, (why) => stops.push(why));
    writer.onEvent(turn(1));
    await writer.flushed();
    await records.claim('run_b', 'w2', 'two');
    writer.onEvent(turn(2));
    await writer.flushed();
    writer.onEvent(turn(3));
    await writer.flushed();
    assert.deepEqual(stops, [{ lost: true }]);
    const events = (await records.readAll('run_b')).filter((entry) => entry.k === 'event');
    assert.equal(events.length, 1, 'only the event written while it owned the run');
  });

  it('a cancel marked on the record reaches the writer at its next event', async () => {
    await records.create('run_c', stored, 'test', Date.now());
    const claim = await records.claim('run_c', 'w1', 'one');
    assert.ok('owner' in claim);
    const stops: WriterStop[] = [];
    const writer = new LogWriter(records, 'run_c', claim.owner, (why) => stops.push(why));
    assert.equal(await records.cancel('run_c', 'cancelled by the client'), 'running');
    writer.onEvent(turn(1));
    await writer.flushed();
    assert.deepEqual(stops, [{ cancelled: 'cancelled by the client' }]);
  });

  it('a queued run is ended by its cancel without an owner; a running one is not', async () => {
    await records.create('run_d', stored, 'test', Date.now());
    assert.equal(await records.finish('run_d', '', resultWithoutRun('cancelled', 'RLM_CANCELLED', 'x')), true);
    await records.create('run_e', stored, 'test', Date.now());
    await records.claim('run_e', 'w1', 'one');
    assert.equal(await records.finish('run_e', '', resultWithoutRun('cancelled', 'RLM_CANCELLED', 'x')), false);
    assert.equal((await records.record('run_e'))?.state, 'running');
  });

  it('the log reads back as a trace, one attempt per claim that wrote events', async () => {
    await records.create('run_f', stored, 'test', 1_000);
    const one = await records.claim('run_f', 'w1', 'one');
    assert.ok('owner' in one);
    await records.append('run_f', one.owner, [{ k: 'event', e: { ...turn(1), t: 5 } }], 1);
    await records.claim('run_f', 'w2', 'two'); // died before writing anything
    const three = await records.claim('run_f', 'w3', 'three');
    assert.ok('owner' in three);
    await records.append(
      'run_f',
      three.owner,
      [
        { k: 'event', e: { ...turn(1), t: 7 } },
        { k: 'event', e: { ...turn(2), t: 9 } },
      ],
      1,
    );
    const trace = traceOfLog(stored, 1_000, await records.readAll('run_f'));
    assert.equal(trace.attempts?.length, 2);
    assert.equal(trace.events.length, 2);
    assert.equal(trace.earlier?.length, 1);
    // Each attempt counts from its claim to the next, and at least to its last event.
    assert.ok(trace.elapsedMs! >= 14, String(trace.elapsedMs));
    assert.deepEqual(trace.header.context, { inline: 'ctx' });
  });
});
