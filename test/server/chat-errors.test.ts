import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';
import type { RunManager } from '../../src/server/run-manager.ts';
import OpenAI from 'openai';
import { byTurn, repl } from '../../src/testing/index.ts';
import { gate, until, withChatServer } from './chat-harness.ts';

const answers = byTurn([repl("FINAL('ok')")]);
const ask = { model: 'rlm', messages: [{ role: 'user' as const, content: 'q' }] };

/** Asserts an error body in OpenAI's shape. */
async function openAIError(
  response: Response,
  status: number,
  type: string,
): Promise<{ message: string; code: string | null; param: string | null }> {
  assert.equal(response.status, status);
  const body = (await response.json()) as { error: { message: string; type: string; code: string | null; param: string | null } };
  assert.equal(body.error.type, type);
  assert.equal(typeof body.error.message, 'string');
  return body.error;
}

describe('chat completions: errors in OpenAI shape, each with its status', () => {
  it('401 for a missing or wrong token (AuthenticationError); health needs none', { timeout: 60_000 }, async () => {
    await withChatServer(answers, { token: 'right-token' }, async ({ client, baseURL, scripted }) => {
      const wrong = new OpenAI({ baseURL, apiKey: 'wrong-token', maxRetries: 0 });
      await assert.rejects(wrong.chat.completions.create(ask), OpenAI.AuthenticationError);
      await assert.rejects(wrong.models.list(), OpenAI.AuthenticationError);
      await openAIError(await fetch(`${baseURL}/models`), 401, 'authentication_error');
      assert.equal(scripted.requests.length, 0);
      assert.equal((await client.chat.completions.create(ask)).choices[0]!.message.content, 'ok');
      assert.equal((await fetch(`${baseURL}/health`)).status, 200);
      // The runs API is behind the same token.
      await openAIError(await fetch(`${baseURL}/runs`, { headers: { authorization: 'Bearer wrong-token' } }), 401, 'authentication_error');
      assert.equal((await fetch(`${baseURL}/runs`, { headers: { authorization: 'Bearer right-token' } })).status, 200);
    });
  });

  it('a token in the address of a page becomes a cookie, and the cookie is accepted', { timeout: 60_000 }, async () => {
    await withChatServer(answers, { token: 'right-token' }, async ({ baseURL }) => {
      const redirect = await fetch(`${baseURL}/models?token=right-token`, { redirect: 'manual' });
      assert.equal(redirect.status, 303);
      assert.equal(redirect.headers.get('location'), '/v1/models');
      const cookie = redirect.headers.get('set-cookie')!.split(';')[0]!;
      assert.equal((await fetch(`${baseURL}/models`, { headers: { cookie } })).status, 200);
      await openAIError(await fetch(`${baseURL}/models?token=wrong`), 401, 'authentication_error');
    });
  });

  it('404 for an unknown model (NotFoundError) and for an unknown route', { timeout: 60_000 }, async () => {
    await withChatServer(answers, {}, async ({ client, baseURL }) => {
      await assert.rejects(client.chat.completions.create({ ...ask, model: 'gpt-4o' }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.NotFoundError);
        assert.match(error.message, /the model "gpt-4o" does not exist here/);
        return true;
      });
      await openAIError(await fetch(`${baseURL}/nothing-here`), 404, 'not_found_error');
    });
  });

  it('400 for malformed JSON and for parameters it cannot honour, naming them', { timeout: 60_000 }, async () => {
    await withChatServer(answers, {}, async ({ client, baseURL, scripted }) => {
      const post = (body: string) =>
        fetch(`${baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.match(
        (await openAIError(await post('{"model": "rlm", "messages": ['), 400, 'invalid_request_error')).message,
        /not valid JSON/,
      );
      const rejects = async (body: Record<string, unknown>, param: string, pattern: RegExp) =>
        assert.rejects(client.chat.completions.create(body as never), (error: unknown) => {
          assert.ok(error instanceof OpenAI.BadRequestError, String(error));
          assert.equal((error.error as { param?: string }).param, param);
          assert.match(error.message, pattern);
          return true;
        });
      await rejects({ ...ask, n: 2 }, 'n', /n must be 1/);
      await rejects({ ...ask, tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools', /tools are not supported/);
      await rejects({ model: 'rlm', messages: [] }, 'messages', /non-empty array/);
      await rejects(
        {
          model: 'rlm',
          messages: [
            { role: 'user', content: 'q' },
            { role: 'assistant', content: 'a' },
          ],
        },
        'messages',
        /last message must be the user's question/,
      );
      await rejects({ ...ask, rlm: { max_cost: 1 } }, 'rlm.max_cost', /not a limit this server knows/);
      await rejects({ ...ask, rlm: { max_calls: -1 } }, 'rlm.max_calls', /positive whole number/);
      await rejects(
        {
          model: 'rlm',
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'q' },
                { type: 'image_url', image_url: { url: 'https://x/y.png' } },
              ],
            },
          ],
        },
        'messages[0].content[1]',
        /is an image/,
      );
      const binary = `data:application/octet-stream;base64,${Buffer.from([0, 1, 2]).toString('base64')}`;
      await rejects(
        {
          model: 'rlm',
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'q' },
                { type: 'file', file: { filename: 'x.bin', file_data: binary } },
              ],
            },
          ],
        },
        'messages[0].content[1]',
        /"x\.bin"\) is application\/octet-stream/,
      );
      const nul = `data:text/plain;base64,${Buffer.from('a\0b').toString('base64')}`;
      await rejects(
        {
          model: 'rlm',
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'q' },
                { type: 'file', file: { file_data: nul } },
              ],
            },
          ],
        },
        'messages[0].content[1]',
        /binary/,
      );
      assert.equal(scripted.requests.length, 0, 'nothing refused reached the model');
    });
  });

  it('413 for a body over the cap, whether its length is declared or it comes in chunks', { timeout: 60_000 }, async () => {
    await withChatServer(answers, { maxBodyBytes: 1024 }, async ({ client, server }) => {
      const big = { model: 'rlm', messages: [{ role: 'user' as const, content: 'x'.repeat(4096) }] };
      await assert.rejects(client.chat.completions.create(big), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError && error.status === 413, String(error));
        return true;
      });
      const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(`${server.url}/v1/chat/completions`);
        const req = httpRequest(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json' } },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode!, body }));
          },
        );
        req.on('error', reject);
        // No Content-Length: Node sends it chunked.
        for (let i = 0; i < 8; i++) req.write('x'.repeat(512));
        req.end();
      });
      assert.equal(chunked.status, 413);
      assert.equal((JSON.parse(chunked.body) as { error: { type: string } }).error.type, 'request_too_large');
      assert.equal((await client.chat.completions.create(ask)).choices[0]!.message.content, 'ok', 'a small request still passes');
    });
  });

  it('429 with Retry-After past the queue (RateLimitError)', { timeout: 60_000 }, async () => {
    const held = gate();
    const root = byTurn([async () => (await held.promise, repl("FINAL('ok')"))]);
    await withChatServer(root, { maxRunning: 1, maxQueued: 1 }, async ({ client, server }) => {
      const first = client.chat.completions.create(ask);
      const second = client.chat.completions.create(ask);
      await until(() => (server.state.manager as RunManager).stats().queued === 1);
      await assert.rejects(client.chat.completions.create(ask), (error: unknown) => {
        assert.ok(error instanceof OpenAI.RateLimitError);
        assert.ok(Number(error.headers?.get('retry-after')) >= 1);
        return true;
      });
      held.open();
      assert.equal((await first).choices[0]!.message.content, 'ok');
      assert.equal((await second).choices[0]!.message.content, 'ok');
    });
  });

  it('503 with Retry-After while draining; the running run still finishes', { timeout: 60_000 }, async () => {
    const held = gate();
    const root = byTurn([async () => (await held.promise, repl("FINAL('finished in grace')"))]);
    await withChatServer(root, {}, async ({ client, server, scripted }) => {
      const running = client.chat.completions.create(ask);
      await until(() => scripted.requests.length === 1);
      const drained = server.drain(60_000);
      await assert.rejects(client.chat.completions.create(ask), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError && error.status === 503, String(error));
        assert.ok(Number(error.headers?.get('retry-after')) >= 1);
        return true;
      });
      held.open();
      assert.equal((await running).choices[0]!.message.content, 'finished in grace');
      await drained;
    });
  });

  it(
    'a run that fails at the provider is a 500 the SDK is told not to retry (it has spent); an unknown root model a 404',
    { timeout: 60_000 },
    async () => {
      const refused = () => ({ fail: { status: 401, message: 'bad key' } });
      await withChatServer(refused, { models: ['root', 'sub'] }, async ({ baseURL, scripted }) => {
        const retrying = new OpenAI({ baseURL, apiKey: 'none', maxRetries: 2 });
        await assert.rejects(retrying.chat.completions.create(ask), (error: unknown) => {
          assert.ok(error instanceof OpenAI.InternalServerError, String(error));
          assert.equal(error.headers?.get('x-should-retry'), 'false');
          assert.match(error.message, /ended without an answer \(error\).*refused the API key/);
          return true;
        });
        assert.equal(scripted.requests.length, 1, 'one run, not three');
        await assert.rejects(retrying.chat.completions.create({ ...ask, model: 'rlm/no-such-root' }), (error: unknown) => {
          assert.ok(error instanceof OpenAI.NotFoundError, String(error));
          return true;
        });
      });
    },
  );

  it(
    'a run still going when the grace period ends is cancelled, and its client told so with a 503, streaming or not',
    { timeout: 60_000 },
    async () => {
      const never = byTurn([{ fail: 'hang' as const }]);
      await withChatServer(never, {}, async ({ client, server, scripted }) => {
        // Its outcome is taken at once: the rejection comes while the drain is awaited.
        const plain = client.chat.completions.create(ask).then(
          () => assert.fail('answered'),
          (error: unknown) => error,
        );
        const streamed = await client.chat.completions.create({ ...ask, stream: true });
        await until(() => scripted.requests.length === 2);
        await server.drain(100);
        await assert.rejects(Promise.reject(await plain), (error: unknown) => {
          assert.ok(error instanceof OpenAI.APIError && error.status === 503, String(error));
          assert.match(error.message, /ended without an answer \(cancelled\)/);
          return true;
        });
        let content = '';
        await assert.rejects(async () => {
          for await (const chunk of streamed) content += chunk.choices[0]?.delta.content ?? '';
        }, /ended without an answer \(cancelled\)/);
        assert.equal(content, '');
      });
    },
  );
});
