import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadCorpus } from '../../src/inputs/load-corpus.ts';
import { byTurn, repl, type ScriptedRequest } from '../../src/testing/index.ts';
import { gate, withChatServer } from './chat-harness.ts';

/** The root asks one sub-call, prints what it said, then answers with it and the context's length. */
const twoTurns = (request: ScriptedRequest) =>
  request.model === 'sub'
    ? 'forty-two'
    : byTurn([
        repl("const said = await llm_query('what is the answer?'); print(said)"),
        repl('FINAL(`the answer is 42, context ${context.length}`)'),
      ])(request);

describe('chat completions with the official openai client', () => {
  it('lists the models: rlm and each corpus', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-corpus-'));
    await writeFile(join(dir, 'a.md'), 'alpha');
    const corpora = new Map([['docs', await loadCorpus([dir])]]);
    await withChatServer(twoTurns, { corpora }, async ({ client }) => {
      const ids = [];
      for await (const model of client.models.list()) ids.push(model.id);
      assert.deepEqual(ids, ['rlm', 'rlm/docs']);
      assert.equal((await client.models.retrieve('rlm/docs')).id, 'rlm/docs');
      assert.equal((await client.models.retrieve('rlm/some-root-model')).id, 'rlm/some-root-model');
    });
  });

  it('answers without streaming, with the usage of the whole tree and the run named', { timeout: 60_000 }, async () => {
    await withChatServer(twoTurns, {}, async ({ client, scripted }) => {
      const { data, response } = await client.chat.completions
        .create({ model: 'rlm', messages: [{ role: 'user', content: 'what is the answer?' }] })
        .withResponse();
      assert.equal(data.object, 'chat.completion');
      assert.equal(data.choices[0]!.message.content, 'the answer is 42, context 0');
      assert.equal(data.choices[0]!.finish_reason, 'stop');
      const sent = scripted.requests.filter((r) => r.status === 200);
      assert.equal(sent.length, 3, 'two root turns and one sub-call');
      const prompt = sent.reduce((n, r) => n + r.usage!.prompt_tokens, 0);
      const completion = sent.reduce((n, r) => n + r.usage!.completion_tokens, 0);
      assert.equal(data.usage?.prompt_tokens, prompt);
      assert.equal(data.usage?.completion_tokens, completion);
      assert.equal(data.usage?.total_tokens, prompt + completion);
      const runId = response.headers.get('x-rlm-run-id');
      assert.match(runId ?? '', /^run_/);
      assert.deepEqual((data as unknown as { rlm: { run_id: string; calls: number; status: string } }).rlm.run_id, runId);
    });
  });

  it('streams progress as reasoning before the answer as content, then the usage', { timeout: 60_000 }, async () => {
    await withChatServer(twoTurns, {}, async ({ client }) => {
      const stream = await client.chat.completions.create({
        model: 'rlm',
        messages: [{ role: 'user', content: 'what is the answer?' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const order: string[] = [];
      let reasoning = '';
      let content = '';
      let usage: { total_tokens: number } | undefined;
      let finish: string | null = null;
      for await (const chunk of stream) {
        assert.equal(chunk.object, 'chat.completion.chunk');
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        if (!choice) continue;
        const delta = choice.delta as { content?: string | null; reasoning_content?: string };
        if (delta.reasoning_content) {
          order.push('reasoning');
          reasoning += delta.reasoning_content;
        }
        if (delta.content) {
          order.push('content');
          content += delta.content;
        }
        finish = choice.finish_reason ?? finish;
      }
      assert.equal(content, 'the answer is 42, context 0');
      assert.equal(finish, 'stop');
      assert.match(reasoning, /turn 1\/\d+ · sub-calls 0 done/);
      assert.match(reasoning, /turn 2\/\d+/);
      assert.match(reasoning, /· done\n$/);
      assert.ok(order.indexOf('reasoning') < order.indexOf('content'), 'reasoning first');
      assert.ok(usage && usage.total_tokens > 0);
    });
  });

  it('earlier messages and an attached text file are the context; the last user message the question', { timeout: 60_000 }, async () => {
    const seen: ScriptedRequest[] = [];
    const root = byTurn([repl('FINAL(JSON.stringify(context))')]);
    await withChatServer(
      (r) => (seen.push(r), root(r)),
      {},
      async ({ client }) => {
        const completion = await client.chat.completions.create({
          model: 'rlm',
          messages: [
            { role: 'system', content: 'Answer in French.' },
            { role: 'user', content: 'here is my file' },
            { role: 'assistant', content: 'thanks' },
            {
              role: 'user',
              content: [
                { type: 'text', text: 'which fruit?' },
                {
                  type: 'file',
                  file: {
                    filename: 'notes.md',
                    file_data: `data:text/markdown;base64,${Buffer.from('the fruit is a pear').toString('base64')}`,
                  },
                },
              ],
            },
          ],
        });
        const context = JSON.parse(completion.choices[0]!.message.content!) as string[];
        assert.deepEqual(context, [
          'user (message 2):\nhere is my file',
          'assistant (message 3):\nthanks',
          'file "notes.md" (message 4):\nthe fruit is a pear',
        ]);
        const prompt = seen[0]!.messages.map((m) => m.content).join('\n');
        assert.match(prompt, /Instructions:\nAnswer in French\.\n\nQuestion: which fruit\?/);
      },
    );
  });

  it('a corpus model answers over its folder, with the conversation so far in the question', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-corpus-'));
    await writeFile(join(dir, 'a.md'), 'alpha text');
    await writeFile(join(dir, 'b.md'), 'beta text');
    const seen: ScriptedRequest[] = [];
    const root = byTurn([repl('FINAL(context.map((d) => d.path).join(","))')]);
    await withChatServer(
      (r) => (seen.push(r), root(r)),
      { corpora: new Map([['docs', await loadCorpus([dir])]]) },
      async ({ client }) => {
        const completion = await client.chat.completions.create({
          model: 'rlm/docs',
          messages: [
            { role: 'user', content: 'what files?' },
            { role: 'assistant', content: 'two' },
            { role: 'user', content: 'name them' },
          ],
        });
        assert.equal(completion.choices[0]!.message.content, 'a.md,b.md');
        const prompt = seen[0]!.messages.map((m) => m.content).join('\n');
        assert.match(prompt, /The conversation so far:\nuser \(message 1\):\nwhat files\?/);
      },
    );
  });

  it('response_format json_schema: the answer is the checked value as JSON', { timeout: 60_000 }, async () => {
    await withChatServer(byTurn([repl('FINAL({ total: 3 })')]), {}, async ({ client }) => {
      const completion = await client.chat.completions.create({
        model: 'rlm',
        messages: [{ role: 'user', content: 'how many?' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'count', schema: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] } },
        },
      });
      assert.deepEqual(JSON.parse(completion.choices[0]!.message.content!), { total: 3 });
    });
  });

  it('a run stopped by its limit is an error, streaming or not, never an answer', { timeout: 60_000 }, async () => {
    const looping = byTurn([repl("print('still looking')")]);
    await withChatServer(looping, {}, async ({ client }) => {
      await assert.rejects(
        client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'q' }], rlm: { max_calls: 2 } } as never),
        (error: { status?: number; message: string; headers?: Headers }) => {
          assert.equal(error.status, 400);
          assert.match(error.message, /ended without an answer \(budget\)/);
          return true;
        },
      );
      const stream = await client.chat.completions.create({
        model: 'rlm',
        messages: [{ role: 'user', content: 'q' }],
        stream: true,
        rlm: { max_calls: 2 },
      } as never);
      let content = '';
      await assert.rejects(
        (async () => {
          for await (const chunk of stream as unknown as AsyncIterable<{ choices: { delta: { content?: string } }[] }>)
            content += chunk.choices[0]?.delta.content ?? '';
        })(),
        /ended without an answer \(budget\)/,
      );
      assert.equal(content, '');
    });
  });

  it('a request limit above the cap is lowered to the cap', { timeout: 60_000 }, async () => {
    const looping = byTurn([repl("print('still looking')")]);
    await withChatServer(looping, { caps: { maxCalls: 2 } }, async ({ client, scripted }) => {
      await assert.rejects(
        client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'q' }], rlm: { max_calls: 1000 } } as never),
        /budget/,
      );
      assert.ok(scripted.requests.length <= 2, `at most the cap's 2 calls, got ${scripted.requests.length}`);
    });
  });

  it('a queued streaming run says it waits before it starts', { timeout: 60_000 }, async () => {
    const held = gate();
    const root = byTurn([async () => (await held.promise, repl("FINAL('ok')"))]);
    await withChatServer(root, { maxRunning: 1, maxQueued: 4 }, async ({ client }) => {
      const first = client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'a' }] });
      const second = await client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'b' }], stream: true });
      const iterator = second[Symbol.asyncIterator]();
      let reasoning = '';
      while (!/waiting for a free slot/.test(reasoning)) {
        const next = await iterator.next();
        assert.ok(!next.done);
        reasoning += (next.value.choices[0]?.delta as { reasoning_content?: string }).reasoning_content ?? '';
      }
      held.open();
      let content = '';
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        content += next.value.choices[0]?.delta.content ?? '';
      }
      assert.equal(content, 'ok');
      assert.equal((await first).choices[0]!.message.content, 'ok');
    });
  });

  it('a long silent stretch of a stream is filled with comments, which the client skips', { timeout: 60_000 }, async () => {
    const held = gate();
    const root = byTurn([async () => (await held.promise, repl("FINAL('after the silence')"))]);
    await withChatServer(root, { keepAliveMs: 100 }, async ({ baseURL, scripted }) => {
      const response = await fetch(`${baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'rlm', stream: true, messages: [{ role: 'user', content: 'q' }] }),
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes(': keep-alive')) {
        const next = await reader.read();
        assert.ok(!next.done);
        text += next.value;
      }
      assert.equal(scripted.requests.length, 1, 'the run is still waiting on its first turn');
      held.open();
      for (;;) {
        const next = await reader.read();
        if (next.done) break;
        text += next.value;
      }
      assert.match(text, /"content":"after the silence"/);
      assert.ok(text.endsWith('data: [DONE]\n\n'));
    });
  });

  it('a batch of sub-calls is a few progress lines, not one a call', { timeout: 60_000 }, async () => {
    const script = (request: ScriptedRequest) =>
      request.model === 'sub'
        ? 'ok'
        : byTurn([
            repl("const all = await llm_query_batched(Array.from({ length: 40 }, (_, i) => 'q' + i)); print(all.length)"),
            repl("FINAL('batched')"),
          ])(request);
    await withChatServer(script, {}, async ({ client }) => {
      const stream = await client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'q' }], stream: true });
      const lines: string[] = [];
      for await (const chunk of stream) {
        const reasoning = (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content;
        if (reasoning) lines.push(reasoning);
      }
      assert.match(lines.at(-1)!, /sub-calls 40 done, 0 running .* · done\n$/);
      assert.ok(lines.length < 10, `${lines.length} lines for 40 sub-calls`);
    });
  });
});
