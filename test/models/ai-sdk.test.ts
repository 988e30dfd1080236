import assert from 'node:assert/strict';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { after, before, describe, it } from 'node:test';
import { fromAiSdk, RLM, RlmError, withRetry } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer, type ScriptedReply } from '../../src/testing/index.ts';

// A real AI SDK provider (OpenAI-compatible), over real HTTP, against the scripted server.
describe('an AI SDK language model through fromAiSdk', () => {
  let server: ScriptedModelServer;
  const queue: ScriptedReply[] = [];
  before(async () => {
    server = await startScriptedServer({ script: () => queue.shift() ?? 'ok', models: ['m', 'other'] });
  });
  after(() => server.close());
  const provider = () => createOpenAICompatible({ name: 'scripted', baseURL: server.url, apiKey: 'k', includeUsage: true });

  it('generates text with usage and finish reason', async () => {
    queue.push({ content: 'from the ai sdk', usage: { promptTokens: 20, completionTokens: 4, cachedTokens: 8 } });
    const model = fromAiSdk(provider()('m'));
    const result = await model.generate({ messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hi' }], temperature: 0 });
    assert.equal(result.text, 'from the ai sdk');
    assert.equal(result.usage.inputTokens, 20);
    assert.equal(result.usage.outputTokens, 4);
    assert.equal(result.usage.cachedInputTokens, 8);
    assert.equal(result.finishReason, 'stop');
    assert.deepEqual(server.requests.at(-1)!.messages, [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hi' }]);
  });

  it('is retried by withRetry on a 500, and maps a rejected model', async () => {
    queue.push({ fail: { status: 500 } }, 'second');
    assert.equal((await withRetry(fromAiSdk(provider()('m')), { baseDelayMs: 1 }).generate({ messages: [{ role: 'user', content: 'q' }] })).text, 'second');
    await assert.rejects(fromAiSdk(provider()('nope')).generate({ messages: [{ role: 'user', content: 'q' }] }), (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_MODEL_REJECTED');
  });

  it('serves llm_query(p, { model }) through the variant function', async () => {
    const p = provider();
    const model = fromAiSdk(p('m'), (id) => p(id));
    queue.push('from other');
    assert.equal((await model.withId('other').generate({ messages: [{ role: 'user', content: 'q' }] })).text, 'from other');
    assert.equal(server.requests.at(-1)!.model, 'other');
  });

  it('runs an RLM', async () => {
    const root = byTurn([repl("const a = await llm_query('x');\nFINAL(a + '!')")]);
    const rlmServer = await startScriptedServer({ script: (r) => (r.model === 'root' ? root(r) : 'sub') });
    try {
      const p = createOpenAICompatible({ name: 'scripted', baseURL: rlmServer.url, includeUsage: true });
      const result = await new RLM({ model: fromAiSdk(p('root')), subModel: fromAiSdk(p('sub')) }).run({ context: 'c', query: 'q' });
      assert.equal(result.answer, 'sub!');
      assert.equal(result.usage.total.calls, 2);
    } finally {
      await rlmServer.close();
    }
  });
});
