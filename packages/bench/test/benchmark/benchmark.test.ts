/**
 * An offline benchmark end to end: real RLM runs (real REPL, real HTTP) over generated 1M-token
 * tasks, with scripted models standing in for a competent root model, a rule-following
 * sub-model, and a base model with a 32K window. Then the table and the chart, and a resume.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chartPoints, scoreChart } from '../../src/benchmark/chart.ts';
import { compactTokens, markdownReport } from '../../src/benchmark/report.ts';
import { latestResults, readResults, runBenchmark, type BenchRow } from '../../src/benchmark/runner.ts';
import { createOpenAIModel } from 'rlm';
import { generateTask, type TaskInstance } from '../../src/tasks/index.ts';
import { startScriptedServer, type ScriptedModelServer } from 'rlm/testing';
import { benchModel } from './scripted-models.ts';

function* tasks(): Generator<TaskInstance> {
  for (let index = 0; index < 2; index++) yield generateTask('sniah', 1_000_000, index, 21);
  // Six instances: one of each OOLONG question kind.
  for (let index = 0; index < 6; index++) yield generateTask('oolong', 1_000_000, index, 21);
  yield generateTask('sniah', 16_000, 0, 21);
}

describe('rlm bench, offline, with scripted models', () => {
  let server: ScriptedModelServer;
  let dir: string;
  let rows: BenchRow[];
  before(async () => {
    // One base model, as in the paper: asked directly (no system prompt, the context in the
    // prompt) it answers from what it sees; as an RLM's root it writes code.
    server = await startScriptedServer({
      script: benchModel,
    });
    dir = await mkdtemp(join(tmpdir(), 'rlm-benchmark-'));
  });
  after(() => server.close());

  it('RLM scores 100% on S-NIAH and OOLONG at 1M tokens; direct with a 32K window is marked as cut and scores what it saw', async () => {
    const summary = await runBenchmark({
      tasks: tasks(),
      methods: ['rlm', 'direct'],
      setup: {
        model: createOpenAIModel({ model: 'root', baseURL: server.url }),
        subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
        windowTokens: 32_000,
      },
      resultsPath: join(dir, 'results.jsonl'),
      concurrency: 2,
    });
    rows = summary.rows;
    assert.equal(rows.length, 18);
    const of = (family: string, method: string, tokens = 1_000_000) =>
      rows.filter((r) => r.family === family && r.method === method && r.targetTokens === tokens);
    for (const row of [...of('sniah', 'rlm'), ...of('oolong', 'rlm')])
      assert.equal(row.score, 1, `${row.taskId}: ${row.answer} against ${row.truth} (${row.status} ${row.error ?? ''})`);
    for (const row of [...of('sniah', 'direct'), ...of('oolong', 'direct')]) {
      assert.deepEqual(row.cut, { shownChars: 120_000, totalChars: row.contextChars });
    }
    // The needle is rarely in the first 3% of the text; the counts are of 3% of the records.
    assert.ok(of('oolong', 'direct').reduce((s, r) => s + r.score, 0) < 2, 'direct scores what its cut context allows');
    // At 16K tokens the whole context fits the 32K window, and is not cut.
    assert.equal(of('sniah', 'direct', 16_000)[0]!.cut, undefined);
    assert.equal(of('sniah', 'direct', 16_000)[0]!.score, 1);
    const written = readResults(join(dir, 'results.jsonl'));
    assert.deepEqual(written, rows);
  });

  it("writes a table like the paper's and a chart whose numbers match the results", async () => {
    const markdown = markdownReport(rows);
    assert.match(markdown, /\| method \| sniah \| oolong \|/);
    // No model has a price: the mean input tokens stand in for the cost.
    const meanTokens = (family: string) => {
      const members = rows.filter((r) => r.method === 'rlm' && r.family === family);
      return compactTokens(members.reduce((sum, r) => sum + r.inputTokens, 0) / members.length);
    };
    assert.ok(markdown.includes(`| rlm | 100.0 (${meanTokens('sniah')} tokens) | 100.0 (${meanTokens('oolong')} tokens) |`), markdown);
    assert.match(markdown, /\| oolong \| direct \| 6 \| [\d.]+ \| .* \| context cut in 6; cost unknown in 6 \|/);
    const svg = scoreChart(rows);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const circles = [
      ...svg.matchAll(/data-method="([^"]+)" data-family="([^"]+)" data-size="(\d+)" data-score="([\d.]+)" data-instances="(\d+)"/g),
    ];
    assert.equal(circles.length, chartPoints(rows).length);
    for (const [, method, family, size, score, instances] of circles) {
      const members = rows.filter((r) => r.method === method && r.family === family && r.targetTokens === Number(size));
      assert.equal(members.length, Number(instances));
      assert.equal(Number(score), Number(((100 * members.reduce((s, r) => s + r.score, 0)) / members.length).toFixed(2)));
    }
  });

  it('resumes: a second run with the same results file runs nothing again', async () => {
    const before = server.requests.length;
    const summary = await runBenchmark({
      tasks: tasks(),
      methods: ['rlm', 'direct'],
      setup: {
        model: createOpenAIModel({ model: 'root', baseURL: server.url }),
        subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
        windowTokens: 32_000,
      },
      resultsPath: join(dir, 'results.jsonl'),
    });
    assert.equal(summary.resumed, 18);
    assert.equal(server.requests.length, before);
    assert.equal((await readFile(join(dir, 'results.jsonl'), 'utf8')).trim().split('\n').length, 18);
  });

  it('refuses to resume with other settings: another sub-model for rlm, another window for direct', async () => {
    const resultsPath = join(dir, 'results.jsonl');
    const kept = await readFile(resultsPath, 'utf8');
    const before = server.requests.length;
    const root = createOpenAIModel({ model: 'root', baseURL: server.url });
    const sub = createOpenAIModel({ model: 'sub', baseURL: server.url });
    const other = createOpenAIModel({ model: 'other-sub', baseURL: server.url });
    for (const [methods, setup, message] of [
      [
        ['rlm'],
        { model: root, subModel: other, windowTokens: 32_000 },
        /holds rlm results run with sub-model sub, not other-sub: give another output folder/,
      ],
      [['direct'], { model: root, subModel: sub, windowTokens: 64_000 }, /holds direct results run with window 32000, not 64000/],
    ] as const) {
      await assert.rejects(
        runBenchmark({ tasks: tasks(), methods: [...methods], setup, resultsPath }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'RLM_USAGE');
          assert.match(error.message, message);
          return true;
        },
      );
    }
    assert.equal(server.requests.length, before);
    assert.equal(await readFile(resultsPath, 'utf8'), kept);
    // A method not run before, or a setting only another method uses, is no conflict.
    assert.equal(rows.find((r) => r.method === 'rlm')!.settings?.subModel, 'sub');
    const summary = await runBenchmark({
      tasks: [],
      methods: ['rlm', 'retrieval'],
      setup: { model: root, subModel: sub, windowTokens: 64_000 },
      resultsPath,
    });
    assert.equal(summary.resumed, 18);
  });

  it('stops at the first run the endpoint refuses (a wrong key): every other run would fail alike', async () => {
    const guarded = await startScriptedServer({ script: benchModel, apiKey: 'the-right-key' });
    try {
      const model = createOpenAIModel({ model: 'root', baseURL: guarded.url, apiKey: 'a-wrong-key' });
      const resultsPath = join(dir, 'refused.jsonl');
      const small = Array.from({ length: 6 }, (_, index) => generateTask('sniah', 8_000, index, 21));
      await assert.rejects(
        runBenchmark({ tasks: small, methods: ['rlm', 'direct'], setup: { model }, resultsPath, concurrency: 2 }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'RLM_AUTH');
          assert.match(error.message, /^the bench stopped at sniah-8k-[01]-s21 \(rlm\): .* refused the API key \(401\)/);
          return true;
        },
      );
      // One refused request per instance in flight, and nothing recorded as a result.
      assert.ok(guarded.requests.length <= 2, `${guarded.requests.length} requests`);
      assert.deepEqual(
        readResults(resultsPath).filter((row) => row.status !== 'cancelled'),
        [],
      );
    } finally {
      await guarded.close();
    }
  });

  it('runs again on resume a run that ended in an error, and reports only its new result', async () => {
    let failures = 1;
    const flaky = await startScriptedServer({
      script: (request) =>
        failures-- > 0 ? { fail: { status: 400, message: 'the server could not read the request' } } : benchModel(request),
    });
    try {
      const model = createOpenAIModel({ model: 'root', baseURL: flaky.url });
      const resultsPath = join(dir, 'flaky.jsonl');
      const task = generateTask('sniah', 8_000, 0, 21);
      const first = await runBenchmark({ tasks: [task], methods: ['direct'], setup: { model }, resultsPath });
      assert.deepEqual(
        first.rows.map((row) => [row.status, row.score]),
        [['error', 0]],
      );
      assert.match(first.rows[0]!.error ?? '', /answered 400: the server could not read the request/);
      const again = await runBenchmark({ tasks: [task], methods: ['direct'], setup: { model }, resultsPath });
      assert.equal(again.resumed, 0);
      assert.deepEqual(
        again.rows.map((row) => [row.status, row.score]),
        [['done', 1]],
      );
      assert.deepEqual(
        latestResults(resultsPath).map((row) => row.status),
        ['done'],
      );
      assert.equal(readResults(resultsPath).length, 2, 'the failed run stays in the file, for the record');
    } finally {
      await flaky.close();
    }
  });

  it('refuses a cost limit on a model without a price: it could not be kept', async () => {
    const root = createOpenAIModel({ model: 'root', baseURL: server.url });
    const sub = createOpenAIModel({ model: 'sub', baseURL: server.url });
    const resultsPath = join(dir, 'priced.jsonl');
    const priced = { root: { input: 1, cachedInput: 0.1, output: 1 } };
    await assert.rejects(
      runBenchmark({ tasks: tasks(), methods: ['direct'], setup: { model: root }, resultsPath, maxCostUsd: 1 }),
      /"root" has none/,
    );
    await assert.rejects(
      runBenchmark({ tasks: tasks(), methods: ['direct'], setup: { model: root }, resultsPath, perInstance: { maxCostUsd: 1 } }),
      /"root" has none/,
    );
    // The sub-model counts only for the methods that call it.
    await assert.rejects(
      runBenchmark({
        tasks: tasks(),
        methods: ['summary'],
        setup: { model: root, subModel: sub, prices: priced },
        resultsPath,
        maxCostUsd: 1,
      }),
      /"sub" has none/,
    );
    const direct = await runBenchmark({
      tasks: [generateTask('sniah', 8_000, 0, 21)],
      methods: ['direct'],
      setup: { model: root, subModel: sub, prices: priced },
      resultsPath,
      maxCostUsd: 1,
    });
    assert.equal(direct.rows[0]!.status, 'done');
    assert.ok(direct.rows[0]!.costUsd > 0);
  });
});
