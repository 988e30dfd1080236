/**
 * One contract for every provider: what a call does, whoever serves it. Each case is written once
 * and run against the OpenAI-compatible provider, the Anthropic provider and the AI SDK adapter
 * (provider-contract-subjects.ts), each over real HTTP to a scripted server on 127.0.0.1. A case
 * that cannot apply to a provider (streaming where it has no streaming option) is skipped with
 * the reason. What only one provider does (prompt caching, thinking, timeouts, reported cost) is
 * tested beside it: openai.test.ts, anthropic.test.ts, ai-sdk.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CancelledError, ProviderError, RlmError, withRetry, type Message, type Model } from '../../src/index.ts';
import { startScriptedServer, type ScriptedModelServer, type ScriptedReply } from '../../src/testing/index.ts';
import { freePort } from '../support/net.ts';
import { PROVIDERS, type ModelSettings, type ProviderSubject } from './provider-contract-subjects.ts';

/** The server's models and key; every case's model is made against them unless it says otherwise. */
const MODELS = ['m', 'other'];
const API_KEY = 'contract-key';

/** What a case is given: its provider, a server, and ways to script one reply and make a model. */
interface CaseContext {
  subject: ProviderSubject;
  server: ScriptedModelServer;
  /** Messages whose answer is `reply` (each call gets a prompt of its own, so cases never share replies). */
  ask(reply: ScriptedReply, system?: string): Message[];
  /** The provider's model for this server, with `overrides`. */
  model(overrides?: Partial<ModelSettings>): Model;
}

interface ContractCase {
  name: string;
  /** Why the case does not apply to this provider, if it does not. */
  skip?(subject: ProviderSubject): string | undefined;
  run(context: CaseContext): Promise<void>;
}

/** The call's rejection, which must be a {@link ProviderError} with `code`. */
async function providerError(call: Promise<unknown>, code: string): Promise<ProviderError> {
  const error = await call.then(
    () => assert.fail(`expected ${code}, the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ProviderError, `expected a ProviderError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

/**
 * A one-off server on 127.0.0.1 for what the scripted server cannot do (an answer cut off
 * half-way): it reads each request whole, then hands the response to `answer`.
 */
async function rawServer(answer: (res: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes `text`, then cuts the connection once it has gone out. */
function cutAfter(res: ServerResponse, text: string): void {
  res.write(text, () => setTimeout(() => res.socket?.destroy(), 20));
}

const CASES: ContractCase[] = [
  {
    name: 'answers with the text, usage, finish reason and model, sending the messages, model and key',
    async run({ ask, model, server }) {
      const messages = ask({ content: 'the answer', usage: { promptTokens: 11, completionTokens: 3, cachedTokens: 4 } }, 'be brief');
      const result = await model().generate({ messages });
      assert.equal(result.text, 'the answer');
      assert.equal(result.finishReason, 'stop');
      assert.equal(result.modelId, 'm');
      const { inputTokens, cachedInputTokens, outputTokens } = result.usage;
      assert.deepEqual({ inputTokens, cachedInputTokens, outputTokens }, { inputTokens: 11, cachedInputTokens: 4, outputTokens: 3 });
      const sent = server.requests.at(-1)!;
      assert.equal(sent.model, 'm');
      assert.deepEqual(sent.messages, messages);
      const { authorization, 'x-api-key': apiKey } = sent.headers;
      assert.ok(authorization === `Bearer ${API_KEY}` || apiKey === API_KEY, 'the key was sent');
    },
  },
  {
    name: 'counts usage as the server reported it, and a reply cut at the output cap ends with "length"',
    async run({ ask, model, server }) {
      const result = await model().generate({ messages: ask('a reply far longer than three tokens, to be cut'), maxOutputTokens: 3 });
      const served = server.requests.at(-1)!.usage!;
      assert.equal(result.usage.inputTokens, served.prompt_tokens);
      assert.equal(result.usage.outputTokens, 3);
      assert.equal(result.finishReason, 'length');
      assert.ok(result.text.length > 0 && result.text.length < 'a reply far longer than three tokens, to be cut'.length);
    },
  },
  {
    name: 'streams a long answer, and still gets its usage',
    skip: (subject) => subject.noStreaming,
    async run({ ask, model, server }) {
      const long = 'word '.repeat(200);
      const result = await model({ stream: true }).generate({
        messages: ask({ content: long, usage: { promptTokens: 5, completionTokens: 7 } }),
      });
      assert.equal(server.requests.at(-1)!.stream, true);
      assert.equal(result.text, long);
      assert.equal(result.usage.inputTokens, 5);
      assert.equal(result.usage.outputTokens, 7);
      assert.equal(result.finishReason, 'stop');
    },
  },
  {
    name: 'withId calls another model through the same provider',
    async run({ ask, model, server }) {
      const result = await model()
        .withId('other')
        .generate({ messages: ask('from the other model') });
      assert.equal(result.text, 'from the other model');
      assert.equal(server.requests.at(-1)!.model, 'other');
    },
  },
  {
    name: 'a refused key (401) is RLM_AUTH, final',
    async run({ ask, model, server }) {
      const error = await providerError(model({ apiKey: 'wrong' }).generate({ messages: ask('unused') }), 'RLM_AUTH');
      assert.equal(error.status, 401);
      assert.equal(error.retryable, false);
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${new URL(server.url).port}`));
    },
  },
  {
    name: 'an unknown model (404) is RLM_MODEL_REJECTED, final (withRetry asks once), naming the model',
    async run({ ask, model, server }) {
      const before = server.requests.length;
      const retrying = withRetry(model({ model: 'no-such-model' }), { baseDelayMs: 1 });
      const error = await providerError(retrying.generate({ messages: ask('unused') }), 'RLM_MODEL_REJECTED');
      assert.equal(server.requests.length - before, 1);
      assert.equal(error.status, 404);
      assert.equal(error.retryable, false);
      assert.match(error.message, /no-such-model/);
    },
  },
  {
    name: 'a 429 is a retryable RLM_PROVIDER carrying the Retry-After delay',
    async run({ ask, model }) {
      const error = await providerError(
        model().generate({ messages: ask({ fail: { status: 429, retryAfterSeconds: 7, message: 'slow down' } }) }),
        'RLM_PROVIDER',
      );
      assert.equal(error.status, 429);
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfterMs, 7000);
      assert.match(error.message, /slow down/);
    },
  },
  {
    name: "a 500 is a retryable RLM_PROVIDER with the server's message",
    async run({ ask, model }) {
      const error = await providerError(
        model().generate({ messages: ask({ fail: { status: 500, message: 'the backend fell over' } }) }),
        'RLM_PROVIDER',
      );
      assert.equal(error.status, 500);
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfterMs, undefined);
      assert.match(error.message, /the backend fell over/);
    },
  },
  {
    name: "a body that is not the API's is a retryable RLM_PROVIDER saying so",
    async run({ ask, model }) {
      const error = await providerError(model().generate({ messages: ask({ fail: 'malformed' }) }), 'RLM_PROVIDER');
      assert.equal(error.retryable, true);
      assert.match(error.message, /^malformed response from /);
    },
  },
  {
    name: 'a 429 whose Retry-After is an HTTP date carries the delay until then',
    async run({ ask, model }) {
      const until = new Date(Date.now() + 30_000).toUTCString();
      // The scripted server says seconds; this fetch rewrites the header as the date form.
      const dating: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        const headers = new Headers(response.headers);
        if (headers.has('retry-after')) headers.set('retry-after', until);
        return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
      };
      const error = await providerError(
        model({ fetch: dating }).generate({ messages: ask({ fail: { status: 429, retryAfterSeconds: 1 } }) }),
        'RLM_PROVIDER',
      );
      assert.equal(error.retryable, true);
      // HTTP dates count whole seconds: up to a second less than asked, and the time the call took.
      assert.ok(
        error.retryAfterMs !== undefined && error.retryAfterMs > 25_000 && error.retryAfterMs <= 30_000,
        String(error.retryAfterMs),
      );
    },
  },
  {
    name: 'an answer cut off half-way through its body is a retryable RLM_PROVIDER',
    async run({ ask, model }) {
      const server = await rawServer((res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4000' });
        cutAfter(
          res,
          '{"id": "cut", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "half an ans',
        );
      });
      try {
        const error = await providerError(model({ url: server.url }).generate({ messages: ask('unused') }), 'RLM_PROVIDER');
        assert.equal(error.retryable, true);
      } finally {
        await server.close();
      }
    },
  },
  {
    name: 'a stream cut off half-way, or ended before its end, is a retryable RLM_PROVIDER, not a short answer',
    skip: (subject) => subject.noStreaming,
    async run({ ask, model }) {
      const chunk = (content: string) =>
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
      for (const end of ['cut', 'ended'] as const) {
        const server = await rawServer((res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          if (end === 'cut') cutAfter(res, chunk('half ') + chunk('an answer'));
          else res.end(chunk('half ') + chunk('an answer'));
        });
        try {
          const error = await providerError(model({ url: server.url, stream: true }).generate({ messages: ask('unused') }), 'RLM_PROVIDER');
          assert.equal(error.retryable, true, end);
        } finally {
          await server.close();
        }
      }
    },
  },
  {
    name: 'aborting the signal ends a hanging call with RLM_CANCELLED, or with the abort reason if it is an rlm error',
    async run({ ask, model }) {
      const started = performance.now();
      const cancel = new AbortController();
      setTimeout(() => cancel.abort(), 50);
      await assert.rejects(
        model().generate({ messages: ask({ fail: 'hang' }), signal: cancel.signal }),
        (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_CANCELLED',
      );
      const stopped = new CancelledError('stopped by the caller');
      const stop = new AbortController();
      setTimeout(() => stop.abort(stopped), 50);
      await assert.rejects(model().generate({ messages: ask({ fail: 'hang' }), signal: stop.signal }), (e: unknown) => e === stopped);
      // The server never answers: ending at all, and within seconds, is the abort's doing.
      assert.ok(performance.now() - started < 10_000);
    },
  },
  {
    name: 'an endpoint nothing listens on is a retryable RLM_ENDPOINT_UNREACHABLE naming it',
    async run({ ask, model }) {
      const port = await freePort();
      const error = await providerError(
        model({ url: `http://127.0.0.1:${port}/v1` }).generate({ messages: ask('unused') }),
        'RLM_ENDPOINT_UNREACHABLE',
      );
      assert.equal(error.retryable, true);
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    },
  },
  {
    name: 'a custom fetch carries every request, and extra headers reach the server',
    async run({ ask, model, server }) {
      const fetched: string[] = [];
      const counting: typeof fetch = (input, init) => {
        fetched.push(input instanceof Request ? input.url : String(input));
        return fetch(input, init);
      };
      const injected = model({ fetch: counting, headers: { 'x-contract': 'yes' } });
      await injected.generate({ messages: ask('first') });
      await injected.withId('other').generate({ messages: ask('second') });
      assert.equal(fetched.length, 2);
      assert.ok(
        fetched.every((url) => url.startsWith(server.anthropicUrl)),
        fetched.join(', '),
      );
      assert.deepEqual(
        server.requests.slice(-2).map((r) => r.headers['x-contract']),
        ['yes', 'yes'],
      );
    },
  },
  {
    name: 'a ready SDK client is used as is: its key, URL and headers',
    skip: (subject) => subject.noClient,
    async run({ ask, subject, server }) {
      const model = subject.fromClient!({ url: server.url, model: 'm', apiKey: API_KEY, headers: { 'x-from-client': 'client' } });
      assert.equal((await model.generate({ messages: ask('through the client') })).text, 'through the client');
      assert.equal(server.requests.at(-1)!.headers['x-from-client'], 'client');
      assert.ok(model.url.startsWith(server.anthropicUrl), model.url);
    },
  },
  {
    name: "a ready SDK client's errors are the provider's own: a refused key is RLM_AUTH, final",
    skip: (subject) => subject.noClient,
    async run({ ask, subject, server }) {
      const model = subject.fromClient!({ url: server.url, model: 'm', apiKey: 'wrong' });
      const error = await providerError(model.generate({ messages: ask('unused') }), 'RLM_AUTH');
      assert.equal(error.status, 401);
      assert.equal(error.retryable, false);
    },
  },
];

for (const subject of PROVIDERS) {
  describe(`${subject.name} provider: the contract`, () => {
    let server: ScriptedModelServer;
    const replies = new Map<string, ScriptedReply>();
    before(async () => {
      server = await startScriptedServer({
        script: (request) => replies.get(request.lastUser) ?? `no reply scripted for "${request.lastUser}"`,
        models: MODELS,
        apiKey: API_KEY,
      });
    });
    after(() => server.close());

    const context = (): CaseContext => ({
      subject,
      server,
      ask(reply, system) {
        const prompt = `prompt ${replies.size + 1}`;
        replies.set(prompt, reply);
        return [...(system === undefined ? [] : [{ role: 'system' as const, content: system }]), { role: 'user', content: prompt }];
      },
      model: (overrides = {}) => subject.make({ url: server.url, model: 'm', apiKey: API_KEY, ...overrides }),
    });

    for (const contractCase of CASES) {
      it(contractCase.name, { skip: contractCase.skip?.(subject) ?? false }, () => contractCase.run(context()));
    }
  });
}
