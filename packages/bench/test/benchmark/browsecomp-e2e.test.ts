/**
 * BrowseComp-style tasks end to end, offline: real RLM runs (real REPL, real HTTP) over 1M-token
 * instances, one per hop count, with a scripted root that searches the documents and a scripted
 * sub-model that reads one fact from each document it is shown.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBenchmark } from '../../src/benchmark/runner.ts';
import { createOpenAIModel } from 'rlm';
import { browseCompWorld, generateBrowseComp } from '../../src/tasks/browsecomp.ts';
import type { TaskInstance } from '../../src/tasks/task.ts';
import { startScriptedServer, type ScriptedModelServer } from 'rlm/testing';
import { benchModel } from './scripted-models.ts';

function* tasks(): Generator<TaskInstance> {
  // Indices 0, 1, 2: two, three and four hops.
  for (let index = 0; index < 3; index++) yield generateBrowseComp(1_000_000, index, 21);
}

describe('BrowseComp-style tasks, offline, with scripted models', () => {
  let server: ScriptedModelServer;
  before(async () => {
    server = await startScriptedServer({ script: benchModel });
  });
  after(() => server.close());

  it('RLM follows every chain at 1M tokens, one sub-call per hop, and scores 1 on each', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-browsecomp-'));
    const summary = await runBenchmark({
      tasks: tasks(),
      methods: ['rlm'],
      setup: {
        model: createOpenAIModel({ model: 'root', baseURL: server.url }),
        subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
      },
      resultsPath: join(dir, 'results.jsonl'),
      concurrency: 3,
    });
    assert.equal(summary.rows.length, 3);
    for (const row of summary.rows)
      assert.equal(row.score, 1, `${row.taskId}: ${row.answer} against ${row.truth} (${row.status} ${row.error ?? ''})`);
    const hops = [0, 1, 2].map((index) => browseCompWorld(1_000_000, index, 21).question.hops);
    assert.deepEqual(hops, [2, 3, 4]);
    const subCalls = server.requests.filter((r) => r.model === 'sub');
    assert.equal(subCalls.length, 2 + 3 + 4, 'one sub-call per hop');
    // Each sub-call shows the model one document, not the context.
    for (const call of subCalls) assert.ok(JSON.stringify(call.messages).length < 60_000);
  });
});
