import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAnthropicModel, RLM, RlmError, withRetry } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer, type ScriptedReply } from '../../src/testing/index.ts';

describe('Anthropic Messages provider against a scripted Messages server', () => {
  let server: ScriptedModelServer;
  const queue: ScriptedReply[] = [];
  before(async () => {
    server = await startScriptedServer({ script: () => queue.shift() ?? 'ok', models: ['claude-test', 'root', 'sub'], apiKey: 'ak' });
  });
  after(() => server.close());

  const model = (options: Partial<Parameters<typeof createAnthropicModel>[0]> = {}) =>
    createAnthropicModel({ model: 'claude-test', baseURL: server.anthropicUrl, apiKey: 'ak', ...options });

  // Text, usage, errors, abort and injection: the contract (provider-contract.test.ts). Here: what only this provider does.
  it('sends the system prompt apart, marks the stable prefix for caching, and books cache reads and writes', async () => {
    queue.push({ content: 'hello', usage: { promptTokens: 1000, cachedTokens: 700, cacheWriteTokens: 200, completionTokens: 12 } });
    const result = await model().generate({
      messages: [
        { role: 'system', content: 'You are a REPL agent.' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'reply' },
        { role: 'user', content: 'second' },
      ],
    });
    assert.equal(result.text, 'hello');
    assert.deepEqual(result.usage, { inputTokens: 1000, cachedInputTokens: 700, cacheWriteInputTokens: 200, outputTokens: 12 });
    assert.equal(result.finishReason, 'stop');
    const sent = server.requests.at(-1)!;
    assert.equal(sent.wire, 'anthropic');
    assert.ok(sent.headers['x-api-key'] === 'ak' || sent.headers.authorization === 'Bearer ak');
    const body = sent.body as {
      system: Array<Record<string, unknown>>;
      messages: Array<{ role: string; content: Array<Record<string, unknown>> }>;
      max_tokens: number;
    };
    assert.deepEqual(body.system, [{ type: 'text', text: 'You are a REPL agent.', cache_control: { type: 'ephemeral' } }]);
    assert.deepEqual(
      body.messages.map((m) => m.role),
      ['user', 'assistant', 'user'],
    );
    assert.deepEqual(body.messages.at(-1)!.content[0], { type: 'text', text: 'second', cache_control: { type: 'ephemeral' } });
    assert.equal(body.messages[0]!.content[0]!.cache_control, undefined);
    assert.equal(body.max_tokens, 8192);
  });

  it('passes extended thinking through and returns only the text', async () => {
    queue.push('thought through');
    const result = await model({ thinking: { type: 'enabled', budget_tokens: 2048 } }).generate({
      messages: [{ role: 'user', content: 'q' }],
      temperature: 0.3,
    });
    assert.equal(result.text, 'thought through');
    const body = server.requests.at(-1)!.body;
    assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 2048 });
    assert.equal(body.temperature, undefined, 'temperature is not allowed with thinking');
  });

  it('thinks within an output cap below its thinking budget (a cap the limits set), or not at all below the minimum', async () => {
    const thinker = model({ thinking: { type: 'enabled', budget_tokens: 10_000 } });
    await thinker.generate({ messages: [{ role: 'user', content: 'q' }], maxOutputTokens: 4_000 });
    const within = server.requests.at(-1)!.body;
    assert.equal(within.max_tokens, 4_000);
    assert.deepEqual(within.thinking, { type: 'enabled', budget_tokens: 2_976 });
    await thinker.generate({ messages: [{ role: 'user', content: 'q' }], maxOutputTokens: 1_500 });
    const none = server.requests.at(-1)!.body;
    assert.equal(none.max_tokens, 1_500);
    assert.equal(none.thinking, undefined);
  });

  it('retries 529 (overloaded) and 429 with Retry-After, like the OpenAI provider', async () => {
    queue.push({ fail: { status: 529 } }, { fail: { status: 429, retryAfterSeconds: 1 } }, 'finally');
    const started = performance.now();
    const result = await withRetry(model(), { baseDelayMs: 1 }).generate({ messages: [{ role: 'user', content: 'q' }] });
    assert.equal(result.text, 'finally');
    assert.ok(performance.now() - started >= 990);
  });

  it('refuses client settings beside a ready client, which is used as is', () => {
    const client = new Anthropic({ baseURL: server.anthropicUrl, apiKey: 'ak' });
    assert.throws(
      () => createAnthropicModel({ model: 'claude-test', client, apiKey: 'ak', headers: { x: 'y' } }),
      (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_USAGE' && /apiKey, headers/.test(e.message),
    );
  });

  it('runs an RLM, with usage equal to what the server reported', async () => {
    const turns = byTurn([repl("const a = await llm_query('sub question');\nFINAL('got ' + a)")]);
    const rlmServer = await startScriptedServer({
      script: async (r) =>
        r.model === 'root'
          ? { content: (await turns(r)) as string, usage: { promptTokens: 3000, cachedTokens: 2500, completionTokens: 40 } }
          : 'sub answer',
    });
    try {
      const rlm = new RLM({
        model: createAnthropicModel({ model: 'root', baseURL: rlmServer.anthropicUrl }),
        subModel: createAnthropicModel({ model: 'sub', baseURL: rlmServer.anthropicUrl }),
      });
      const result = await rlm.run({ context: 'some context', query: 'q' });
      assert.equal(result.answer, 'got sub answer');
      assert.equal(result.usage.byModel.root!.cachedInputTokens, 2500);
      const served = rlmServer.requests.reduce((n, r) => n + r.usage!.prompt_tokens, 0);
      assert.equal(result.usage.total.inputTokens, served);
    } finally {
      await rlmServer.close();
    }
  });
});
