/**
 * A bench run as a job: made from a task and a setup, through JSON, run by `runBenchJob` with
 * models made on the worker's side, it gives the row a run here gives. Real REPLs, real HTTP to a
 * scripted model server; the queue between them is a JSON round trip in this process.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createOpenAIModel, RlmError, type Model } from 'rlm';
import { startScriptedServer, type ScriptedModelServer } from 'rlm/testing';
import { METHODS, runMethod, type MethodSetup } from '../../src/benchmark/methods.ts';
import { readResults, runBenchmark, type BenchRow } from '../../src/benchmark/runner.ts';
import { benchJob, parseBenchJob } from '../../src/distributed/bench-job.ts';
import { parseOutcome } from '../../src/distributed/bench-outcome.ts';
import { remoteRuns, workerModel, type BenchJobQueue } from '../../src/distributed/remote-runs.ts';
import { generateTask, type TaskInstance } from '../../src/tasks/index.ts';
import { runBenchJob } from '../../src/worker.ts';
import { benchModel } from '../benchmark/scripted-models.ts';

/** A queue in this process: the job and its answer go through JSON, as through Redis. */
function jsonQueue(createModel: (id: string) => Model): BenchJobQueue & { jobs: number } {
  const queue = {
    jobs: 0,
    async run<T>(_kind: 'bench', data: unknown, options?: { signal?: AbortSignal }): Promise<T> {
      queue.jobs++;
      const signal = options?.signal ?? new AbortController().signal;
      const answer = await runBenchJob(JSON.parse(JSON.stringify(data)), { createModel, prices: undefined, signal });
      return JSON.parse(JSON.stringify(answer)) as T;
    },
  };
  return queue;
}

/** A row without what differs from run to run. */
function comparable(row: BenchRow): Omit<BenchRow, 'durationMs' | 'trace'> {
  const { durationMs: _duration, trace: _trace, ...rest } = row;
  return rest;
}

const byRun = (a: BenchRow, b: BenchRow) => `${a.taskId}|${a.method}`.localeCompare(`${b.taskId}|${b.method}`);

describe('a bench job', () => {
  let server: ScriptedModelServer;
  let createModel: (id: string) => Model;
  let task: TaskInstance;
  before(async () => {
    server = await startScriptedServer({ script: benchModel });
    createModel = (id) => createOpenAIModel({ model: id, baseURL: server.url });
    task = generateTask('oolong', 8_000, 1, 3);
  });
  after(() => server.close());

  it('goes through JSON unchanged: the task, the models by id and every setting', () => {
    const setup: MethodSetup = {
      model: workerModel('root'),
      subModel: workerModel('sub'),
      repl: 'python',
      windowTokens: 4_000,
      retrieval: { chunkTokens: 200, topK: 3 },
      limits: { maxCostUsd: 0.5, timeoutMs: 60_000, maxCalls: 9 },
      prices: { root: { input: 1, cachedInput: 0.1, output: 2 } },
    };
    const job = benchJob('retrieval', task, setup);
    assert.deepEqual(parseBenchJob(JSON.parse(JSON.stringify(job))), job);
    assert.deepEqual(job.setup, {
      model: 'root',
      subModel: 'sub',
      repl: 'python',
      windowTokens: 4_000,
      retrieval: { chunkTokens: 200, topK: 3 },
      limits: { maxCostUsd: 0.5, timeoutMs: 60_000, maxCalls: 9 },
      prices: { root: { input: 1, cachedInput: 0.1, output: 2 } },
    });
    assert.deepEqual(job.task, task);
  });

  it('run by runBenchJob gives, for every method, the outcome a run here gives', async () => {
    const setup = { model: createModel('root'), subModel: createModel('sub'), windowTokens: 1_000 };
    for (const method of METHODS) {
      const local = await runMethod(method, task, setup);
      const data = JSON.parse(JSON.stringify(benchJob(method, task, setup))) as unknown;
      const remote = parseOutcome(
        JSON.parse(JSON.stringify(await runBenchJob(data, { createModel, prices: undefined, signal: new AbortController().signal }))),
      );
      assert.equal(remote.status, 'done', `${method}: ${remote.error ?? ''}`);
      assert.deepEqual({ ...remote, durationMs: 0 }, { ...JSON.parse(JSON.stringify(local)), durationMs: 0 }, method);
    }
  });

  it('a bench whose runs go through jobs writes the rows a bench run here writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-bench-job-'));
    const tasks = () => [generateTask('sniah', 8_000, 0, 5), generateTask('oolong', 8_000, 0, 5), generateTask('oolong', 8_000, 1, 5)];
    const settings = { methods: ['rlm', 'direct', 'retrieval'] as const, concurrency: 2 };
    await runBenchmark({
      ...settings,
      tasks: tasks(),
      setup: { model: createModel('root'), subModel: createModel('sub'), windowTokens: 1_000 },
      resultsPath: join(dir, 'here.jsonl'),
    });
    const queue = jsonQueue(createModel);
    await runBenchmark({
      ...settings,
      tasks: tasks(),
      setup: { model: workerModel('root'), subModel: workerModel('sub'), windowTokens: 1_000 },
      resultsPath: join(dir, 'jobs.jsonl'),
      execute: remoteRuns(queue),
    });
    assert.equal(queue.jobs, 9);
    const here = readResults(join(dir, 'here.jsonl')).sort(byRun).map(comparable);
    const jobs = readResults(join(dir, 'jobs.jsonl')).sort(byRun).map(comparable);
    assert.equal(here.length, 9);
    assert.deepEqual(jobs, here);
  });

  it('that is not one of this version is one clear RLM_USAGE error, before any model is called', async () => {
    const good = JSON.parse(JSON.stringify(benchJob('direct', task, { model: workerModel('root') }))) as Record<string, unknown>;
    const served = server.requests.length;
    for (const [data, message] of [
      [null, 'not a bench job: the job must be an object'],
      ['{"version":1}', 'not a bench job: the job must be an object'],
      [{ ...good, version: 2 }, "not a bench job: its version is 2, not 1 (is the worker's rlm-bench another version?)"],
      [
        { ...good, method: 'guess' },
        'not a bench job: method must be one of rlm, rlm-no-subcalls, direct, summary, retrieval, got "guess"',
      ],
      [{ ...good, task: { ...task, context: 42 } }, 'not a bench job: task.context must be a string'],
      [
        { ...good, task: { ...task, family: 'trivia' } },
        'not a bench job: task.family must be one of sniah, oolong, oolong-pairs, browsecomp, codeqa, got "trivia"',
      ],
      [{ ...good, setup: { model: 'root', repl: 'javascript' } }, 'not a bench job: setup.subModel must be a string'],
      [
        { ...good, setup: { ...(good.setup as object), repl: 'ruby' } },
        'not a bench job: setup.repl must be one of javascript, python, got "ruby"',
      ],
      [
        { ...good, setup: { ...(good.setup as object), limits: { maxCalls: 'ten' } } },
        'not a bench job: setup.limits.maxCalls must be a number of at least 0',
      ],
      [
        { ...good, setup: { ...(good.setup as object), prices: { root: { input: 1, output: 2 } } } },
        'not a bench job: setup.prices["root"].cachedInput must be a number of USD per million tokens',
      ],
    ] as const) {
      await assert.rejects(
        runBenchJob(data, { createModel, prices: undefined, signal: new AbortController().signal }),
        (error: unknown) => RlmError.isInstance(error) && error.code === 'RLM_USAGE' && error.message === message,
        message,
      );
    }
    assert.equal(server.requests.length, served);
  });
});

describe('a run sent to a worker', () => {
  const task = generateTask('sniah', 8_000, 0, 1);
  const setup = (signal?: AbortSignal): MethodSetup => ({ model: workerModel('root'), ...(signal ? { signal } : {}) });

  it('withdrawn is cancelled; failed on the worker is an error with its code; a foreign answer is refused', async () => {
    const controller = new AbortController();
    const hanging: BenchJobQueue = {
      run: (_kind, _data, options) =>
        new Promise((_resolve, reject) => options?.signal?.addEventListener('abort', () => reject(options.signal!.reason as Error))),
    };
    const pending = remoteRuns(hanging)('direct', task, setup(controller.signal));
    controller.abort();
    const withdrawn = await pending;
    assert.equal(withdrawn.status, 'cancelled');
    assert.equal(withdrawn.usage.total.calls, 0);

    const failing: BenchJobQueue = { run: () => Promise.reject(new RlmError('RLM_PROVIDER', 'the worker died')) };
    const failed = await remoteRuns(failing)('direct', task, setup());
    assert.deepEqual([failed.status, failed.error, failed.errorCode], ['error', 'the worker died', 'RLM_PROVIDER']);

    const foreign: BenchJobQueue = { run: <T>() => Promise.resolve({ result: 'yes' } as T) };
    const refused = await remoteRuns(foreign)('direct', task, setup());
    assert.equal(refused.status, 'error');
    assert.equal(refused.errorCode, 'RLM_USAGE');
    assert.match(refused.error!, /a worker answered a bench job with something other than a run of it/);
  });

  it('a model known only by id says it runs on the workers if called here', async () => {
    await assert.rejects(workerModel('root').generate({ messages: [] } as never), /root runs on the bench's workers, not here/);
    assert.equal(workerModel('root').withId('sub').id, 'sub');
  });
});
