import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBaseline } from '../../src/benchmark/baseline.ts';
import { createOpenAIModel, type RlmEvent } from 'rlm';
import { generateTask } from '../../src/tasks/index.ts';
import { startScriptedServer } from 'rlm/testing';

describe('a baseline that stops on a limit', () => {
  it('is reported as timeout when its time limit stops it, as an RLM is, not as budget', async () => {
    // The first call outlasts the time limit; the second is refused by it.
    const server = await startScriptedServer({ script: () => ({ content: 'part', delayMs: 300 }) });
    try {
      const task = generateTask('sniah', 2_000, 0, 1);
      const model = createOpenAIModel({ model: 'gpt-5-mini', apiKey: 'x', baseURL: server.url });
      const events: RlmEvent[] = [];
      const outcome = await runBaseline(
        task,
        { model, limits: { timeoutMs: 100 }, onEvent: (event) => events.push(event) },
        async (calls) => {
          await calls.ask('first');
          return calls.ask('second');
        },
      );
      assert.equal(outcome.status, 'timeout', JSON.stringify(outcome));
      assert.equal(outcome.answer, undefined);
      assert.equal(server.requests.length, 1);
      // The refused call was never sent: like an RLM's, it makes no model-call events.
      assert.equal(events.filter((event) => event.type === 'model-call-start').length, 1);
      assert.equal(events.filter((event) => event.type === 'model-call-end').length, 1);
    } finally {
      await server.close();
    }
  });
});
