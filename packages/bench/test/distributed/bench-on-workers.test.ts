/**
 * A bench spread over `rlm worker` processes: a real redis-server, three real workers, each
 * calling its own scripted model server (so what each worker ran can be told apart), and the
 * bench on the submitting side with no key and no endpoint. Its results are the results of the
 * same bench run on one machine; run again it resumes; Ctrl-C withdraws what it had queued.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startScriptedServer, type ScriptedModelServer, type ScriptedReply, type ScriptedRequest } from 'rlm/testing';
import { readResults, type BenchRow } from '../../src/benchmark/runner.ts';
import { benchModel } from '../benchmark/scripted-models.ts';
import { BIN, noStack, runCli } from '../cli/support.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../../../../test/support/redis.ts';
import { firstWords, startWorker, type WorkerProcess } from './worker-processes.ts';

const SLOW_MS = 3_000;

/**
 * The bench's models, answering by the request's content alone (whichever worker asks); the
 * `slow-` ones the same, three seconds later, for a bench to be interrupted mid-run.
 */
function script(request: ScriptedRequest): ScriptedReply {
  if (!request.model.startsWith('slow-')) return benchModel(request);
  const reply = benchModel({ ...request, model: request.model.slice('slow-'.length) });
  return { ...(typeof reply === 'string' ? { content: reply } : reply), delayMs: SLOW_MS };
}

/** 40 instances, each through three methods, small enough for a test. */
const TASKS = [
  '--tasks',
  'sniah,oolong',
  '--sizes',
  '2k',
  '-n',
  '20',
  '--methods',
  'rlm,direct,retrieval',
  '--window',
  '1k',
  '--passage',
  '100',
];

/** A row without what differs from run to run (its time, where its trace is). */
function comparable(row: BenchRow): Omit<BenchRow, 'durationMs' | 'trace'> {
  const { durationMs: _duration, trace: _trace, ...rest } = row;
  return rest;
}

/** The rows of a results file, in one order whatever order they finished in. */
function rowsOf(out: string): Array<Omit<BenchRow, 'durationMs' | 'trace'>> {
  return readResults(join(out, 'results.jsonl'))
    .sort((a, b) => `${a.taskId}|${a.method}`.localeCompare(`${b.taskId}|${b.method}`))
    .map(comparable);
}

describe('rlm bench run --redis, on three rlm worker processes', { skip: skipWithoutRedis, timeout: 300_000 }, () => {
  let redis: TestRedis;
  let servers: ScriptedModelServer[] = [];
  let local: ScriptedModelServer;
  let workers: WorkerProcess[] = [];
  let dir: string;
  const served = () => servers.map((server) => server.requests.length);

  before(async () => {
    redis = await startRedis();
    servers = await Promise.all([0, 1, 2].map(() => startScriptedServer({ script })));
    local = await startScriptedServer({ script });
    workers = servers.map((server) => startWorker(redis.url, ['--base-url', server.url, '--model', 'root']));
    await Promise.all(workers.map((worker) => firstWords(worker)));
    dir = await mkdtemp(join(tmpdir(), 'rlm-bench-workers-'));
  });

  after(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await Promise.all([...servers, local].filter(Boolean).map((server) => server.close()));
    await redis?.stop();
  });

  it('writes the rows a bench on one machine writes, the runs spread over the workers, and resumes', async () => {
    const onWorkers = join(dir, 'on-workers');
    const args = ['bench', 'run', ...TASKS, '--redis', redis.url, '--model', 'root', '--sub-model', 'sub', '--out', onWorkers];
    // No key and no endpoint on this side: the workers hold them.
    const run = await runCli(args);
    assert.equal(run.code, 0, run.stderr + workers.map((w) => w.output()).join('\n'));
    assert.match(
      run.stderr,
      /^rlm bench: 120 runs \(sniah, oolong at 2k; 20 each; rlm, direct, retrieval\) with root and sub for sub-calls\.$/m,
    );
    assert.match(run.stderr, new RegExp(`On the rlm workers of ${redis.url}, 8 instances at once\\.`));

    const here = join(dir, 'here');
    const alone = await runCli(['bench', 'run', ...TASKS, '--base-url', local.url, '--model', 'root', '--sub-model', 'sub', '--out', here]);
    assert.equal(alone.code, 0, alone.stderr);

    const rows = rowsOf(onWorkers);
    assert.equal(rows.length, 120);
    assert.ok(
      rows.every((row) => row.status === 'done'),
      JSON.stringify(rows.find((row) => row.status !== 'done')),
    );
    assert.deepEqual(rows, rowsOf(here));
    // The same report as the bench run here (which has no time in it per row, only per method).
    assert.equal(run.stdout.replace(/[\d.]+ s\b/g, 'T s'), alone.stdout.replace(/[\d.]+ s\b/g, 'T s'));

    const share = served();
    assert.equal(
      share.reduce((sum, n) => sum + n, 0),
      local.requests.length,
      'the workers together made the requests the bench here made',
    );
    assert.ok(share.filter((n) => n > 0).length > 1, `more than one worker took jobs: requests per worker ${share.join(', ')}`);

    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /120 results were already in .*results\.jsonl and were not run again/);
    assert.deepEqual(served(), share);
  });

  it('Ctrl-C withdraws the runs it had queued: the workers stop calling the model, and the bench says how to resume', async () => {
    const out = join(dir, 'interrupted');
    const bench = spawn(
      process.execPath,
      [BIN, 'bench', 'run', ...TASKS, '--redis', redis.url, '--model', 'slow-root', '--sub-model', 'slow-sub', '--out', out],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => bench.on('close', resolve));
    bench.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      // Interrupted once the workers are at it: the first requests have reached the models.
      const started = served().reduce((sum, n) => sum + n, 0);
      for (let waited = 0; served().reduce((sum, n) => sum + n, 0) < started + 4; waited += 20) {
        const workersSaid = workers.map((worker) => worker.output()).join('\n');
        assert.ok(waited < 30_000 && bench.exitCode === null, `the workers took no job\n${stderr}\n${workersSaid}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const interrupted = Date.now();
      bench.kill('SIGINT');
      assert.equal(await exited, 130, stderr);
      // It did not wait for the runs in flight (an RLM run is several calls of three seconds each).
      assert.ok(Date.now() - interrupted < SLOW_MS, `the bench ended ${Date.now() - interrupted} ms after Ctrl-C`);
    } finally {
      bench.kill('SIGKILL');
    }
    assert.match(stderr, /rlm bench: interrupted; the \d+ results so far are in .*run the same command again to resume/);
    assert.ok(noStack(stderr));
    // Every run was a model call of three seconds or more from its end: had its job stayed queued or
    // running, the workers would still be calling the model seconds later.
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
    const settled = served();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.deepEqual(served(), settled, 'no worker called the model after the bench was interrupted');
    const rows = readResults(join(out, 'results.jsonl'));
    assert.ok(rows.length < 120);
    assert.ok(
      rows.every((row) => row.status === 'done' || row.status === 'cancelled'),
      JSON.stringify(rows),
    );
  });

  it('a Redis it cannot reach is one line, exit 2, before anything runs', async () => {
    const run = await runCli([
      'bench',
      'run',
      ...TASKS,
      '--redis',
      'redis://127.0.0.1:9',
      '--model',
      'root',
      '--out',
      join(dir, 'nowhere'),
    ]);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^rlm: cannot reach Redis at redis:\/\/127\.0\.0\.1:9\b/);
    assert.ok(noStack(run.stderr));
  });
});
