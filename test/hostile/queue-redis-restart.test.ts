/**
 * Redis restarted with nothing kept (no snapshot, or one from before the run): every run it held
 * is gone from it. A client following such a run — its SSE stream, a chat stream — must see it
 * end (as an error: the run is lost), not wait forever for events no one will ever write.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { startServer, startWorker, stopAll, streamEvents, submitRun, type RlmProcess } from '../queue/cluster.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh, empty redis-server on `port` (where the first one was), stopped with the returned function. */
async function restartEmpty(port: number): Promise<() => void> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    {
      stdio: 'ignore',
    },
  );
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return () => child.kill('SIGKILL');
    assert.equal(child.exitCode, null, 'the second redis-server started');
    await sleep(25);
  }
}

describe('Redis restarted empty under a running run', { skip: skipWithoutRedis, timeout: 180_000 }, () => {
  let redis: TestRedis;
  let model: ScriptedModelServer;
  const processes: RlmProcess[] = [];
  let stopSecond: () => void = () => {};
  let received = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));

  before(async () => {
    redis = await startRedis();
    model = await startScriptedServer({
      script: async () => {
        received++;
        await gate;
        return repl("FINAL('answer')");
      },
    });
  });

  after(async () => {
    release();
    await stopAll(processes);
    stopSecond();
    await model?.close();
    await redis?.stop();
  });

  it("ends the run's event stream on the server that took it, as an error", async () => {
    const worker = startWorker(redis.url, model.url);
    const server = startServer(redis.url, await mkdtemp(join(tmpdir(), 'rlm-hostile-restart-')));
    processes.push(worker, server);
    const url = await server.ready;
    await worker.ready;
    const id = await submitRun(url, { query: 'q', context: 'text' });
    const ended = streamEvents(url, id, () => {});
    while (received === 0) await sleep(10);
    await redis.stop();
    stopSecond = await restartEmpty(redis.port);
    release();
    // The worker is done with the job (it logs the run's end, or that it let go); then no one will write the run's end.
    while (!new RegExp(`${id}: \\w+|let go`).test(worker.stderr())) await sleep(50);
    const outcome = await Promise.race([
      ended.then((e) => `ended: ${e.ended}`),
      sleep(20_000).then(() => 'still open 20 s after the worker was done with it'),
    ]);
    assert.match(outcome, /^ended: .*error/, `worker: ${worker.stderr()}\nserver: ${server.stderr()}`);
  });
});
