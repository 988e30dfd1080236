import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { createOpenAIModel, ProviderError, RlmError, withRetry } from '../../src/index.ts';
import { startScriptedServer, type ScriptedModelServer, type ScriptedReply } from '../../src/testing/index.ts';

const messages = [{ role: 'user' as const, content: 'hello' }];

/** What a stub fetch was asked: the URL and the headers. */
interface Fetched {
  url: string;
  headers: Headers;
  body: Record<string, unknown>;
}

/**
 * A fetch that answers every request with `body` (text, or byte pieces handed out one read at a
 * time, as a network would cut them) and records what it was asked.
 */
function stubFetch(body: string | Uint8Array[], contentType = 'text/event-stream'): { fetch: typeof fetch; fetched: Fetched[] } {
  const fetched: Fetched[] = [];
  const stub: typeof fetch = async (input, init) => {
    fetched.push({
      url: String(input),
      headers: new Headers(init?.headers),
      body: JSON.parse(String(init?.body)) as Record<string, unknown>,
    });
    const pieces = typeof body === 'string' ? [new TextEncoder().encode(body)] : [...body];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const piece = pieces.shift();
        if (piece) controller.enqueue(piece);
        else controller.close();
      },
    });
    return new Response(stream, { status: 200, headers: { 'content-type': contentType } });
  };
  return { fetch: stub, fetched };
}

/** A streamed chunk's `data:` line, as a Chat Completions server writes it. */
const sse = (chunk: Record<string, unknown>, ending = '\n\n') => `data: ${JSON.stringify(chunk)}${ending}`;
const delta = (content: string, finish: string | null = null) => ({
  model: 'm-2025',
  choices: [{ index: 0, delta: { content }, finish_reason: finish }],
});

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
    const model = withRetry(createOpenAIModel({ model: 'm', baseURL: server.url }), {
      baseDelayMs: 5,
      onRetry: (r) => retries.push(r.attempt),
    });
    assert.equal((await model.generate({ messages })).text, 'finally');
    assert.deepEqual(retries, [1, 2, 3]);
  });

  it('gives up after maxRetries with the last error', async () => {
    queue.push({ fail: { status: 500, message: 'boom' } }, { fail: { status: 500, message: 'boom' } });
    const model = withRetry(createOpenAIModel({ model: 'm', baseURL: server.url }), { maxRetries: 1, baseDelayMs: 1 });
    await assert.rejects(
      model.generate({ messages }),
      (e: unknown) => e instanceof ProviderError && e.status === 500 && /boom/.test(e.message),
    );
  });

  it('times out a hanging request, and that is retryable', async () => {
    queue.push({ fail: 'hang' }, 'second try');
    const model = withRetry(createOpenAIModel({ model: 'm', baseURL: server.url, timeoutMs: 300 }), { baseDelayMs: 1 });
    assert.equal((await model.generate({ messages })).text, 'second try');
  });

  it('refuses client settings beside a ready client, which is used as is', () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: 'k' });
    assert.throws(
      () => createOpenAIModel({ model: 'm', client, baseURL: server.url, timeoutMs: 5 }),
      (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_USAGE' && /baseURL, timeoutMs/.test(e.message),
    );
  });

  it('sends the OPENAI_API_KEY of the environment to OpenAI only, and no Authorization header without a key', async () => {
    const saved = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = 'env-key';
    try {
      const answer = sse(delta('ok', 'stop')) + 'data: [DONE]\n\n';
      const toOpenAI = stubFetch(answer);
      await createOpenAIModel({ model: 'm', fetch: toOpenAI.fetch, stream: true }).generate({ messages });
      assert.equal(toOpenAI.fetched[0]!.url, 'https://api.openai.com/v1/chat/completions');
      assert.equal(toOpenAI.fetched[0]!.headers.get('authorization'), 'Bearer env-key');
      const elsewhere = stubFetch(answer);
      await createOpenAIModel({ model: 'm', baseURL: 'http://127.0.0.1:9/v1', fetch: elsewhere.fetch, stream: true }).generate({
        messages,
      });
      assert.equal(elsewhere.fetched[0]!.headers.get('authorization'), null);
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved;
    }
    await createOpenAIModel({ model: 'm', baseURL: server.url }).generate({ messages });
    assert.equal(server.requests.at(-1)!.headers.authorization, undefined);
  });

  it('reads a stream however its bytes are cut: CRLF lines, comments, a character split between reads', async () => {
    const text =
      sse(delta('héllo '), '\r\n\r\n') +
      ': keep-alive\n\n' +
      'data:' +
      JSON.stringify(delta('wörld', 'stop')) +
      '\r\r' +
      sse({ model: 'm-2025', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } }) +
      'data: [DONE]\n\n';
    const bytes = new TextEncoder().encode(text);
    // One byte a read: every line, CRLF and two-byte character is cut somewhere.
    const { fetch } = stubFetch(Array.from(bytes, (byte) => Uint8Array.of(byte)));
    const result = await createOpenAIModel({ model: 'm', baseURL: 'http://x.invalid/v1', fetch, stream: true }).generate({ messages });
    assert.deepEqual(result, {
      text: 'héllo wörld',
      usage: { inputTokens: 3, cachedInputTokens: 0, outputTokens: 2 },
      finishReason: 'stop',
      modelId: 'm-2025',
    });
  });

  it('takes a stream that said its finish reason but no [DONE], and one JSON body from a server that does not stream', async () => {
    const unended = stubFetch(sse(delta('whole', 'length')));
    const result = await createOpenAIModel({ model: 'm', baseURL: 'http://x.invalid/v1', fetch: unended.fetch, stream: true }).generate({
      messages,
    });
    assert.equal(result.text, 'whole');
    assert.equal(result.finishReason, 'length');
    assert.equal(result.usage.estimated, true);
    const json = stubFetch(
      JSON.stringify({
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'not streamed' }, finish_reason: 'stop' }],
      }),
      'application/json',
    );
    assert.equal(
      (await createOpenAIModel({ model: 'm', baseURL: 'http://x.invalid/v1', fetch: json.fetch, stream: true }).generate({ messages }))
        .text,
      'not streamed',
    );
  });

  it("reads an error a 200 carries (OpenRouter's), in a body or mid-stream, as a provider error", async () => {
    const inBody = stubFetch(JSON.stringify({ error: { code: 429, message: 'Rate limit exceeded upstream' } }), 'application/json');
    await assert.rejects(
      createOpenAIModel({ model: 'm', baseURL: 'http://x.invalid/v1', fetch: inBody.fetch }).generate({ messages }),
      (e: unknown) => e instanceof ProviderError && e.status === 429 && e.retryable && /Rate limit exceeded upstream/.test(e.message),
    );
    const midStream = stubFetch(
      sse(delta('half')) +
        sse({
          error: { code: 'server_error', message: 'Provider disconnected' },
          choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
        }),
    );
    await assert.rejects(
      createOpenAIModel({ model: 'm', baseURL: 'http://x.invalid/v1', fetch: midStream.fetch, stream: true }).generate({ messages }),
      (e: unknown) => e instanceof ProviderError && e.code === 'RLM_PROVIDER' && e.retryable && /Provider disconnected/.test(e.message),
    );
  });

  it('times out a stream that stops sending half-way, and that is retryable', async () => {
    const hanging = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sse(delta('half')));
      });
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/v1`;
      await assert.rejects(
        createOpenAIModel({ model: 'm', baseURL: url, stream: true, timeoutMs: 200 }).generate({ messages }),
        (e: unknown) => e instanceof ProviderError && e.retryable && /timed out/.test(e.message),
      );
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it('streams through a ready SDK client too, with usage', async () => {
    queue.push({ content: 'y'.repeat(300), usage: { promptTokens: 4, completionTokens: 9 } });
    const model = createOpenAIModel({ model: 'm', stream: true, client: new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 }) });
    const result = await model.generate({ messages });
    assert.equal(result.text, 'y'.repeat(300));
    assert.deepEqual(result.usage, { inputTokens: 4, cachedInputTokens: 0, outputTokens: 9 });
    assert.equal(server.requests.at(-1)!.stream, true);
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
