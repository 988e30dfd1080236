/**
 * Every task family through every method, offline: real RLM runs and real baseline calls over
 * real HTTP, with the scripted models of scripted-models.ts. The RLM, writing what a competent
 * model would, scores 100% on all five families; the REPL without sub-calls and the baselines
 * score what their view of the context allows; the table and the chart hold every cell.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chartPoints } from '../../src/benchmark/chart.ts';
import { METHODS } from '../../src/benchmark/methods.ts';
import { groupStats, markdownReport } from '../../src/benchmark/report.ts';
import { runBenchmark } from '../../src/benchmark/runner.ts';
import { createOpenAIModel } from 'rlm';
import { generateTask, TASK_FAMILIES, type TaskInstance } from '../../src/tasks/index.ts';
import { startScriptedServer, type ScriptedModelServer } from 'rlm/testing';
import { PACKAGE_ROOT } from '../tasks/code-rules.ts';
import { benchModel } from './scripted-models.ts';

function* tasks(): Generator<TaskInstance> {
  // codeqa over semver (about 23K tokens in all): 8K tokens of it, so that direct sees it whole.
  for (const family of TASK_FAMILIES)
    for (let index = 0; index < 5; index++)
      yield generateTask(family, family === 'codeqa' ? 8_000 : 131_000, index, 3, { codeRoot: PACKAGE_ROOT });
}

describe('every family through every method, offline', () => {
  let server: ScriptedModelServer;
  before(async () => {
    server = await startScriptedServer({ script: benchModel });
  });
  after(() => server.close());

  it('RLM scores 100% on all five families; the others what they can see; every cell of the table and chart', async () => {
    const { rows } = await runBenchmark({
      tasks: tasks(),
      methods: METHODS,
      setup: {
        model: createOpenAIModel({ model: 'root', baseURL: server.url }),
        subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
        windowTokens: 32_000,
      },
      resultsPath: join(await mkdtemp(join(tmpdir(), 'rlm-every-')), 'results.jsonl'),
    });
    assert.equal(rows.length, TASK_FAMILIES.length * 5 * METHODS.length);
    const stats = groupStats(rows);
    const score = (family: string, method: string) => stats.find((s) => s.family === family && s.method === method)!.score;
    for (const family of TASK_FAMILIES) {
      const failed = rows.filter((r) => r.family === family && r.method === 'rlm' && r.score !== 1);
      assert.deepEqual(
        failed.map((r) => `${r.taskId}: ${r.answer} (${r.status})`),
        [],
        `${family}: RLM answers every instance`,
      );
    }
    // Without sub-calls nothing labels the records or reads the documents: aggregation and
    // multi-hop fail, while a needle found by code alone does not.
    assert.equal(score('sniah', 'rlm-no-subcalls'), 100);
    for (const family of ['oolong', 'oolong-pairs', 'browsecomp']) {
      for (const method of ['rlm-no-subcalls', 'direct', 'summary', 'retrieval'])
        assert.ok(score(family, method) < 100, `${family} · ${method}: ${score(family, method)}`);
    }
    // The needle's passage is what BM25 finds, and the note-taker keeps it.
    assert.equal(score('sniah', 'retrieval'), 100);
    assert.equal(score('sniah', 'summary'), 100);
    assert.ok(rows.filter((r) => r.method === 'retrieval').every((r) => r.retrieved && r.retrieved.passages >= 1));
    assert.ok(rows.filter((r) => r.method === 'summary' && r.family !== 'codeqa').every((r) => r.summarised && r.summarised.parts >= 4));
    assert.ok(rows.filter((r) => r.method === 'direct' && r.family !== 'codeqa').every((r) => r.cut));

    const markdown = markdownReport(rows);
    assert.match(markdown, new RegExp(`\\| method \\| ${TASK_FAMILIES.join(' \\| ')} \\|`));
    for (const method of METHODS) assert.match(markdown, new RegExp(`^\\| ${method} \\|( [\\d.]+ \\([\\d.]+[KM]? tokens\\) \\|){5}$`, 'm'));
    assert.equal(chartPoints(rows).length, TASK_FAMILIES.length * METHODS.length);
  });
});
