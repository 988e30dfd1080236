import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { createOpenAIModel, ProviderError, RlmError, withRetry } from '../../src/index.ts';
import { startScriptedServer, type ScriptedModelServer, type ScriptedReply } from '../../src/testing/index.ts';

const messages = [{ role: 'user' as const, content: 'hello' }];

describe('OpenAI-compatible provider against a scripted server', () => {
  let server: ScriptedModelServer;
  const queue: ScriptedReply[] = [];
  before(async () => {
    server = await startScriptedServer({ script: () => queue.shift() ?? 'ok', models: ['m', 'other'] });
  });
  after(() => server.close());

  // Text, usage, errors, abort and injection: the contract (provider-contract.test.ts). Here: what only this provider does.
  it('sends the temperature and the output cap as Chat Completions names them', async () => {
    const model = createOpenAIModel({ model: 'm', baseURL: server.url, apiKey: 'k' });
    await model.generate({ messages, temperature: 0.5, maxOutputTokens: 99 });
    const sent = server.requests.at(-1)!;
    assert.equal(sent.body.temperature, 0.5);
    assert.equal(sent.body.max_completion_tokens, 99);
  });

  it('books a call the server did not count as estimated', async () => {
    queue.push({ content: 'uncounted', noUsage: true });
    const result = await createOpenAIModel({ model: 'm', baseURL: server.url }).generate({ messages });
    assert.deepEqual(result.usage, { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, estimated: true });
  });

  it('sends the extra body fields with every request', async () => {
    const model = createOpenAIModel({ model: 'm', baseURL: server.url, extraBody: { reasoning_effort: 'medium' } });
    await model.generate({ messages });
    assert.equal(server.requests.at(-1)!.body.reasoning_effort, 'medium');
  });

  it('reads a provider-reported cost, streamed or not', async () => {
    for (const stream of [false, true]) {
      queue.push({ content: 'x'.repeat(500), usage: { promptTokens: 5, completionTokens: 7, cost: 0.0042 } });
      const result = await createOpenAIModel({ model: 'm', baseURL: server.url, stream }).generate({ messages });
      assert.deepEqual(result.usage, { inputTokens: 5, cachedInputTokens: 0, outputTokens: 7, costUsd: 0.0042 });
      assert.equal(server.requests.at(-1)!.stream, stream);
    }
  });

  it('retries a 429, waiting at least as long as Retry-After asks', async () => {
    queue.push({ fail: { status: 429, retryAfterSeconds: 1 } }, 'after the wait');
    const start = server.requests.length;
    const model = withRetry(createOpenAIModel({ model: 'm', baseURL: server.url }), { baseDelayMs: 1 });
    const result = await model.generate({ messages });
    assert.equal(result.text, 'after the wait');
    const [first, second] = server.requests.slice(start);
    assert.ok(second!.receivedAt - first!.receivedAt >= 990, `waited ${second!.receivedAt - first!.receivedAt} ms`);
  });

  it('retries 500s and malformed bodies with backoff', async () => {
    queue.push({ fail: { status: 500 } }, { fail: 'malformed' }, { fail: { status: 503 } }, 'finally');
    const retries: number[] = [];
    const model = withRetry(createOpenAIModel({ model: 'm', baseURL: server.url }), { baseDelayMs: 5, onRetry: (r) => retries.push(r.attempt) });
    assert.equal((await model.generate({ messages })).text, 'finally');
    assert.deepEqual(retries, [1, 2, 3]);
  });

  it('gives up after maxRetries with the last error', async () => {
    queue.push({ fail: { status: 500, message: 'boom' } }, { fail: { status: 500, message: 'boom' } });
    const model = withRetry(createOpenAIModel({ model: 'm', baseURL: server.url }), { maxRetries: 1, baseDelayMs: 1 });
    await assert.rejects(model.generate({ messages }), (e: unknown) => e instanceof ProviderError && e.status === 500 && /boom/.test(e.message));
  });

  it('times out a hanging request, and that is retryable', async () => {
    queue.push({ fail: 'hang' }, 'second try');
    const model = withRetry(createOpenAIModel({ model: 'm', baseURL: server.url, timeoutMs: 300 }), { baseDelayMs: 1 });
    assert.equal((await model.generate({ messages })).text, 'second try');
  });

  it('refuses client settings beside a ready client, which is used as is', () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: 'k' });
    assert.throws(() => createOpenAIModel({ model: 'm', client, baseURL: server.url, timeoutMs: 5 }), (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_USAGE' && /baseURL, timeoutMs/.test(e.message));
  });

  it('tells a 400 refusing the model name from other 400s that mention the model', async () => {
    const codeFor = async (message: string) => {
      queue.push({ fail: { status: 400, message } });
      try {
        await createOpenAIModel({ model: 'm', baseURL: server.url }).generate({ messages });
        return 'no error';
      } catch (error) {
        return RlmError.isInstance(error) ? error.code : String(error);
      }
    };
    assert.equal(await codeFor('openai/gpt-9 is not a valid model ID'), 'RLM_MODEL_REJECTED');
    assert.equal(await codeFor('The model `gpt-9` does not exist or you do not have access to it.'), 'RLM_MODEL_REJECTED');
    assert.equal(await codeFor("This model's maximum context length is 8192 tokens. However, you requested 9000 tokens."), 'RLM_PROVIDER');
    assert.equal(await codeFor('A prompt of this length is not supported by the model.'), 'RLM_PROVIDER');
  });
});
