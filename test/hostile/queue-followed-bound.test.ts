/**
 * A server asked for runs it did not take (GET /v1/runs/:id, for runs that other servers put on
 * the queue and that are still waiting) must not hold more and more of them: each it follows holds
 * an open trace file and a place in every read of the logs, and nothing lets go of a run that has
 * not ended.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RunRecords } from '../../src/queue/run-records.ts';
import type { StoredRun } from '../../src/queue/stored-run.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { startServer, stopAll, type RlmProcess } from '../queue/cluster.ts';

const RUNS = 600;

describe('a server asked for many runs of other servers', { skip: skipWithoutRedis, timeout: 120_000 }, () => {
  let redis: TestRedis;
  const processes: RlmProcess[] = [];

  before(async () => {
    redis = await startRedis();
  });

  after(async () => {
    await stopAll(processes);
    await redis?.stop();
  });

  it('does not keep a trace file open for each of them', async () => {
    const client = new Redis(redis.url);
    const records = new RunRecords(client);
    const stored: StoredRun = {
      query: 'q',
      context: { inline: 'text' },
      model: 'rlm',
      origin: 'runs',
      models: {},
      settings: {},
      limits: {},
    };
    const ids = Array.from({ length: RUNS }, (_, i) => `run_other${String(i).padStart(10, '0')}`);
    try {
      // Runs another server queued (no worker has taken them yet).
      for (const id of ids) await records.create(id, stored, 'elsewhere:1', Date.now());
      const server = startServer(redis.url, await mkdtemp(join(tmpdir(), 'rlm-hostile-followed-')));
      processes.push(server);
      const url = await server.ready;
      const openFiles = () => readdirSync(`/proc/${server.child.pid}/fd`).length;
      const before = openFiles();
      for (const id of ids) {
        const response = await fetch(`${url}/v1/runs/${id}`);
        const body = await response.text();
        assert.equal(response.status, 200, body);
      }
      const grown = openFiles() - before;
      assert.ok(grown < RUNS / 2, `${grown} more files open after asking for ${RUNS} runs`);
    } finally {
      client.disconnect();
    }
  });
});
