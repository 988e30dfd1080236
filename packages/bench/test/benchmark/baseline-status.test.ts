import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBaseline } from '../../src/benchmark/baseline.ts';
import { createOpenAIModel } from '../../src/index.ts';
import { generateTask } from '../../src/tasks/index.ts';
import { startScriptedServer } from '../../src/testing/index.ts';

describe('a baseline that stops on a limit', () => {
  it('is reported as timeout when its time limit stops it, as an RLM is, not as budget', async () => {
    // The first call outlasts the time limit; the second is refused by it.
    const server = await startScriptedServer({ script: () => ({ content: 'part', delayMs: 300 }) });
    try {
      const task = generateTask('sniah', 2_000, 0, 1);
      const model = createOpenAIModel({ model: 'gpt-5-mini', apiKey: 'x', baseURL: server.url });
      const outcome = await runBaseline(task, { model, limits: { timeoutMs: 100 } }, async (calls) => {
        await calls.ask('first');
        return calls.ask('second');
      });
      assert.equal(outcome.status, 'timeout', JSON.stringify(outcome));
      assert.equal(outcome.answer, undefined);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });
});
