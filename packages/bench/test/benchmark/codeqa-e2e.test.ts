/**
 * CodeQA-style tasks end to end, offline: real RLM runs (real REPL, real HTTP) over a real
 * package from node_modules, one instance of each question kind, with a scripted root that
 * searches the files and a scripted sub-model that reads the one file or function it is shown.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBenchmark } from '../../src/benchmark/runner.ts';
import { createOpenAIModel } from 'rlm';
import { CODEQA_QUESTIONS, generateCodeQa, type CodeQuestion } from '../../src/tasks/codeqa.ts';
import type { TaskInstance } from '../../src/tasks/task.ts';
import { startScriptedServer, type ScriptedModelServer } from 'rlm/testing';
import { PACKAGE_ROOT } from '../tasks/code-rules.ts';
import { codeQaSubAnswer, isCodeQaQuestion } from './scripted-codeqa.ts';
import { benchModel } from './scripted-models.ts';

const KIND_OF: Array<[RegExp, CodeQuestion]> = [
  [/^In which file is/m, 'where-defined'],
  [/^Which of these functions calls/m, 'calls'],
  [/^Which of these functions is never referenced/m, 'unused'],
  [/^How many parameters/m, 'parameters'],
  [/^Which of these files does not import/m, 'not-imported'],
];

/** The first instance of each kind at 8K tokens (semver uses nearly everything it defines: an unused function is found only in some slices). */
function oneOfEach(): TaskInstance[] {
  const found = new Map<CodeQuestion, TaskInstance>();
  for (let index = 0; found.size < CODEQA_QUESTIONS.length && index < 200; index++) {
    const task = generateCodeQa(8_000, index, 1, { codeRoot: PACKAGE_ROOT });
    const kind = KIND_OF.find(([pattern]) => pattern.test(task.query))![1];
    if (!found.has(kind)) found.set(kind, task);
  }
  return CODEQA_QUESTIONS.map((kind) => found.get(kind)!);
}

describe('CodeQA-style tasks, offline, with scripted models', () => {
  let server: ScriptedModelServer;
  before(async () => {
    server = await startScriptedServer({ script: benchModel });
  });
  after(() => server.close());

  it('RLM answers one question of each kind about a real package, and scores 1 on each', async () => {
    const tasks = oneOfEach();
    assert.equal(tasks.filter(Boolean).length, CODEQA_QUESTIONS.length, 'every kind found');
    for (const task of tasks) assert.ok(isCodeQaQuestion(task.query.split('\n\n').at(-1)!));
    const dir = await mkdtemp(join(tmpdir(), 'rlm-codeqa-'));
    const summary = await runBenchmark({
      tasks,
      methods: ['rlm'],
      setup: {
        model: createOpenAIModel({ model: 'root', baseURL: server.url }),
        subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
      },
      resultsPath: join(dir, 'results.jsonl'),
      concurrency: 3,
    });
    assert.equal(summary.rows.length, CODEQA_QUESTIONS.length);
    for (const row of summary.rows)
      assert.equal(row.score, 1, `${row.taskId}: ${row.answer} against ${row.truth} (${row.status} ${row.error ?? ''})`);
    // Reading code is left to the sub-model, four snippets at a time, for two of the kinds.
    const subCalls = server.requests.filter((r) => r.model === 'sub');
    assert.equal(subCalls.length, 8);
    for (const call of subCalls)
      assert.ok(codeQaSubAnswer(call.messages.at(-1)!.content) !== undefined, 'every sub-question is one the rules answer');
  });
});
