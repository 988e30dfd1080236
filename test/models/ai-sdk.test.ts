import assert from 'node:assert/strict';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { describe, it } from 'node:test';
import { fromAiSdk, RLM, RlmError } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';

// A real AI SDK provider (OpenAI-compatible), over real HTTP, against the scripted server. Text,
// usage, errors, abort, withId and injection: the contract (provider-contract.test.ts).
describe('an AI SDK language model through fromAiSdk', () => {
  it('refuses withId without a variant function, saying how to give one', () => {
    const provider = createOpenAICompatible({ name: 'scripted', baseURL: 'http://127.0.0.1:9/v1' });
    const model = fromAiSdk(provider('m'));
    assert.throws(
      () => model.withId('other'),
      (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_USAGE' && e.message.includes('fromAiSdk(model, (id) => provider(id))'),
    );
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
