import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAIModel, ProviderError, RlmError, withRetry } from '../../src/index.ts';
import { startScriptedServer, type ScriptedModelServer, type ScriptedReply } from '../../src/testing/index.ts';
import { freePort } from '../support/net.ts';

const messages = [{ role: 'user' as const, content: 'hello' }];

describe('OpenAI-compatible provider against a scripted server', () => {
  let server: ScriptedModelServer;
  const queue: ScriptedReply[] = [];
  before(async () => {
    server = await startScriptedServer({ script: () => queue.shift() ?? 'ok', models: ['m', 'other'] });
  });
  after(() => server.close());

  it('sends the messages and reads text, usage and finish reason', async () => {
    queue.push({ content: 'hi there', usage: { promptTokens: 11, completionTokens: 3, cachedTokens: 4 } });
    const model = createOpenAIModel({ model: 'm', baseURL: server.url, apiKey: 'k' });
    const result = await model.generate({ messages, temperature: 0.5, maxOutputTokens: 99 });
    assert.equal(result.text, 'hi there');
    assert.deepEqual(result.usage, { inputTokens: 11, cachedInputTokens: 4, outputTokens: 3 });
    assert.equal(result.finishReason, 'stop');
    const sent = server.requests.at(-1)!;
    assert.deepEqual(sent.messages, [{ role: 'user', content: 'hello' }]);
    assert.equal(sent.body.temperature, 0.5);
    assert.equal(sent.body.max_completion_tokens, 99);
    assert.equal(sent.headers.authorization, 'Bearer k');
  });

  it('streams, and still gets usage and a provider-reported cost', async () => {
    const long = 'x'.repeat(500);
    queue.push({ content: long, usage: { promptTokens: 5, completionTokens: 7, cost: 0.0042 } });
    const model = createOpenAIModel({ model: 'm', baseURL: server.url, stream: true });
    const result = await model.generate({ messages });
    assert.equal(result.text, long);
    assert.deepEqual(result.usage, { inputTokens: 5, cachedInputTokens: 0, outputTokens: 7, costUsd: 0.0042 });
    assert.equal(server.requests.at(-1)!.stream, true);
  });

  it('withId targets another model on the same endpoint', async () => {
    const model = createOpenAIModel({ model: 'm', baseURL: server.url }).withId('other');
    await model.generate({ messages });
    assert.equal(server.requests.at(-1)!.model, 'other');
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

  it('one AbortSignal cancels a request in flight promptly', async () => {
    queue.push({ fail: 'hang' });
    const model = createOpenAIModel({ model: 'm', baseURL: server.url });
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(model.generate({ messages, signal: controller.signal }), (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_CANCELLED');
    // The request would hang for good: ending at all, and within seconds, is the abort's doing.
    assert.ok(performance.now() - started < 5000);
  });

  it('reports a model the server rejects, without retrying', async () => {
    const before = server.requests.length;
    const model = withRetry(createOpenAIModel({ model: 'no-such-model', baseURL: server.url }), { baseDelayMs: 1 });
    await assert.rejects(model.generate({ messages }), (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_MODEL_REJECTED' && e.message.includes('no-such-model'));
    assert.equal(server.requests.length - before, 1);
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

  it('reports a refused key', async () => {
    const keyed = await startScriptedServer({ script: () => 'ok', apiKey: 'right' });
    try {
      const model = createOpenAIModel({ model: 'm', baseURL: keyed.url, apiKey: 'wrong' });
      await assert.rejects(model.generate({ messages }), (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_AUTH');
    } finally {
      await keyed.close();
    }
  });

  it('names the URL of an unreachable endpoint', async () => {
    const url = `http://127.0.0.1:${await freePort()}/v1`;
    const model = withRetry(createOpenAIModel({ model: 'm', baseURL: url }), { maxRetries: 1, baseDelayMs: 1 });
    await assert.rejects(model.generate({ messages }), (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_ENDPOINT_UNREACHABLE' && e.message.includes(url));
  });
});
