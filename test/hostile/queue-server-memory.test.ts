/**
 * A server over the queue stores each run's request in Redis, where the workers read it: it has no
 * use for a run's context once it is queued. Keeping it (with each of the up to 500 finished runs
 * it keeps for its views) makes its memory the sum of every context it was sent. Here a server
 * with a 320 MB heap takes 12 runs of 30 MB, one after the other: holding every context is
 * 360 MB, more than its heap; holding none is well within it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { BIN } from '../cli/support.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { endedRun, startWorker, stopAll, submitRun, type RlmProcess } from '../queue/cluster.ts';

const RUNS = 12;
const CONTEXT_BYTES = 30 * 1024 * 1024;

describe('a server over the queue sent many large contexts', { skip: skipWithoutRedis, timeout: 300_000 }, () => {
  let redis: TestRedis;
  let model: ScriptedModelServer;
  const processes: RlmProcess[] = [];

  before(async () => {
    redis = await startRedis();
    model = await startScriptedServer({ script: () => repl("FINAL('chars ' + context.length)") });
  });

  after(async () => {
    await stopAll(processes);
    await model?.close();
    await redis?.stop();
  });

  it('does not keep their contexts once queued', async () => {
    const traces = await mkdtemp(join(tmpdir(), 'rlm-hostile-memory-'));
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--redis', redis.url, '--port', '0', '--trace-dir', traces, '--max-body', '64mb'],
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_OPTIONS: '--max-old-space-size=320' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const ready = new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /(http:\/\/\S+)\/v1 ·/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      void exited.then(() => reject(new Error(`rlm serve exited: ${stderr}`)));
    });
    processes.push({ child, stderr: () => stderr, exited, ready });
    const worker = startWorker(redis.url, model.url);
    processes.push(worker);
    const url = await ready;
    await worker.ready;
    for (let i = 0; i < RUNS; i++) {
      const context = String.fromCharCode(97 + i).repeat(CONTEXT_BYTES);
      const id = await submitRun(url, { query: 'q', context }).catch((error: unknown) => {
        throw new Error(`run ${i + 1} of ${RUNS}: ${String(error)}; the server said: ${stderr.slice(-2000)}`);
      });
      const run = await endedRun(url, id).catch((error: unknown) => {
        throw new Error(`run ${i + 1} of ${RUNS}: ${String(error)}; the server said: ${stderr.slice(-2000)}`);
      });
      assert.equal(run.answer, `chars ${CONTEXT_BYTES}`);
    }
    assert.equal(child.exitCode, null, stderr);
  });
});
