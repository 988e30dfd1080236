import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Budget, composeModel, createOpenAIModel, Limiter, RlmError, type RlmEvent } from '../../src/index.ts';
import { startScriptedServer } from '../../src/testing/index.ts';

describe('composeModel', () => {
  it('reports only requests really sent: a call the limits refuse makes no events', async () => {
    const server = await startScriptedServer({ script: () => ({ content: 'ok' }) });
    try {
      const events: RlmEvent[] = [];
      const budget = new Budget({ maxCalls: 1 });
      let ids = 0;
      const model = composeModel(createOpenAIModel({ model: 'gpt-5-mini', apiKey: 'x', baseURL: server.url }), {
        meter: { budget, depth: 0 },
        events: { emit: (event) => events.push(event), depth: 0, kind: 'root', nextId: () => ++ids },
      });
      await model.generate({ messages: [{ role: 'user', content: 'one' }] });
      await assert.rejects(model.generate({ messages: [{ role: 'user', content: 'two' }] }), /call limit reached \(1 calls\)/);
      assert.deepEqual(
        events.map((event) => event.type),
        ['model-call-start', 'model-call-end'],
      );
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  it('retries outside the limiter and reports each attempt and each retry', async () => {
    let attempts = 0;
    const server = await startScriptedServer({
      script: () => (++attempts === 1 ? { fail: { status: 429, retryAfterSeconds: 0 } } : { content: 'ok' }),
    });
    try {
      const events: RlmEvent[] = [];
      const limiter = new Limiter(1);
      const model = composeModel(createOpenAIModel({ model: 'gpt-5-mini', apiKey: 'x', baseURL: server.url }), {
        events: { emit: (event) => events.push(event), depth: 1, kind: 'sub', nextId: () => events.length },
        limiter,
        retry: { baseDelayMs: 1 },
      });
      const reply = await model.generate({ messages: [{ role: 'user', content: 'x' }] });
      assert.equal(reply.text, 'ok');
      assert.deepEqual(
        events.map((event) => event.type),
        ['model-call-start', 'model-call-end', 'retry', 'model-call-start', 'model-call-end'],
      );
      // The slot was given back while the call waited out the Retry-After.
      assert.equal(limiter.queued, 0);
    } finally {
      await server.close();
    }
  });

  it('calls onRefused once for a refused key or configured model, not for a model code named itself', async () => {
    const server = await startScriptedServer({ script: (request) => ({ fail: { status: request.model === 'gpt-5-mini' ? 401 : 404 } }) });
    try {
      const refused: RlmError[] = [];
      const model = composeModel(createOpenAIModel({ model: 'gpt-5-mini', apiKey: 'x', baseURL: server.url }), {
        onRefused: (error) => refused.push(error),
      });
      await assert.rejects(
        model.generate({ messages: [{ role: 'user', content: 'x' }] }),
        (error: unknown) => RlmError.isInstance(error) && error.code === 'RLM_AUTH',
      );
      await assert.rejects(
        model.withId('no-such-model').generate({ messages: [{ role: 'user', content: 'x' }] }),
        (error: unknown) => RlmError.isInstance(error) && error.code === 'RLM_MODEL_REJECTED',
      );
      assert.deepEqual(
        refused.map((error) => error.code),
        ['RLM_AUTH'],
      );
    } finally {
      await server.close();
    }
  });
});
