import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateText, Output, streamText, type TextStreamPart, type ToolSet } from 'ai';
import { z } from 'zod';
import { loadCorpus, RLM, RlmError, type RlmEvent } from '../../src/index.ts';
import { NoAnswerError, rlmModel } from '../../src/ai-sdk/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { makePdf } from '../inputs/make-pdf.ts';
import { tempDir } from '../inputs/temp-dir.ts';
import { reportedUsage, rootAndSub, scriptedRlm, until } from './support.ts';

const DOC = 'the quick brown fox jumps over the lazy dog';

async function withServer<T>(
  script: Parameters<typeof startScriptedServer>[0]['script'],
  body: (server: ScriptedModelServer) => Promise<T>,
): Promise<T> {
  const server = await startScriptedServer({ script });
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

/** Two turns: a sub-call, then an answer made from the context and the sub-call's reply. */
const countWords = byTurn([
  repl("const note = await llm_query('say hi');\nprint(note)"),
  repl("FINAL(context.split(' ').length + ' words, ' + note)"),
]);

describe('rlmModel: an RLM as an AI SDK language model', () => {
  it('generateText: the answer from the earlier message as context, usage of the whole tree, the run in providerMetadata', async () => {
    await withServer(rootAndSub(countWords), async (server) => {
      const result = await generateText({
        model: rlmModel({ rlm: scriptedRlm(server.url), modelId: 'rlm-test' }),
        system: 'Answer briefly.',
        messages: [
          { role: 'user', content: DOC },
          { role: 'user', content: 'How many words?' },
        ],
        temperature: 0.2,
        headers: { 'x-team': 'search' },
      });
      assert.equal(result.text, '9 words, sub answer');
      // The earlier message is the REPL's context; the system message goes with the question.
      const first = server.requests[0]!.messages.at(-1)!.content;
      assert.match(first, /a string of 43 characters/);
      assert.match(first, /Query: Instructions:\nAnswer briefly\.\n\nQuestion: How many words\?/);
      const spent = reportedUsage(server.requests);
      assert.equal(server.requests.length, 3);
      assert.equal(result.usage.inputTokens, spent.inputTokens);
      assert.equal(result.usage.outputTokens, spent.outputTokens);
      assert.deepEqual(
        { ...result.providerMetadata?.rlm, durationMs: 0 },
        { status: 'done', iterations: 2, durationMs: 0, calls: 3, costUsd: 0, unpricedCalls: 3 },
      );
      assert.equal(result.finishReason, 'stop');
      assert.match(result.reasoningText ?? '', /^turn 2\/30 · sub-calls 1 done, 0 running · .* tokens · .*s · done$/);
      assert.deepEqual(result.warnings, [
        { type: 'unsupported', feature: 'temperature', details: "an RLM's models and limits are set on the RLM, not per call" },
        {
          type: 'unsupported',
          feature: 'headers',
          details: "x-team: the RLM's models send their own headers (createOpenAIModel({ headers }))",
        },
      ]);
      assert.equal(result.response.modelId, 'rlm-test');
    });
  });

  it('streamText: progress as reasoning parts, one per root turn and a last one with the status, then the answer as text', async () => {
    await withServer(rootAndSub(countWords), async (server) => {
      const result = streamText({
        model: rlmModel({ rlm: scriptedRlm(server.url) }),
        prompt: [
          {
            role: 'user',
            content: [
              { type: 'file', data: new TextEncoder().encode(DOC), mediaType: 'text/plain', filename: 'doc.txt' },
              { type: 'text', text: 'How many words?' },
            ],
          },
        ],
      });
      const parts: TextStreamPart<ToolSet>[] = [];
      for await (const part of result.fullStream) parts.push(part);
      const types = parts.map((p) => p.type);
      const reasoning = parts.flatMap((p) => (p.type === 'reasoning-delta' ? [p.text] : []));
      assert.match(reasoning[0]!, /^turn 1\/30 · sub-calls 0 done/);
      assert.ok(
        reasoning.some((line) => line.startsWith('turn 2/30 ')),
        reasoning.join(''),
      );
      assert.match(reasoning.at(-1)!, / · done\n$/);
      assert.ok(types.indexOf('reasoning-end') < types.indexOf('text-start'), types.join());
      assert.equal(await result.text, '9 words, sub answer');
      // The file attached to the question is the context.
      assert.match(server.requests[0]!.messages.at(-1)!.content, /a string of 43 characters[\s\S]*the quick brown fox/);
      const usage = await result.totalUsage;
      const spent = reportedUsage(server.requests);
      assert.equal(usage.inputTokens, spent.inputTokens);
      assert.equal(usage.outputTokens, spent.outputTokens);
      assert.equal((await result.providerMetadata)?.rlm?.status, 'done');
    });
  });

  it('a run without an answer is an error for generateText and for streamText, never text', async () => {
    const neverAnswers = byTurn([repl('print(1)')]);
    await withServer(rootAndSub(neverAnswers), async (server) => {
      const model = rlmModel({ rlm: scriptedRlm(server.url, { maxIterations: 1 }) });
      await assert.rejects(generateText({ model, prompt: 'q' }), (e: unknown) => {
        assert.ok(NoAnswerError.isInstance(e), String(e));
        assert.equal(e.code, 'RLM_MAX_ITERATIONS');
        assert.match(e.message, /ended without an answer \(status max_iterations\): no final answer after 1 turns/);
        assert.equal(e.result.status, 'max_iterations');
        return true;
      });
      const errors: unknown[] = [];
      const stream = streamText({ model, prompt: 'q', onError: ({ error }) => void errors.push(error) });
      const parts: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const part of stream.fullStream) parts.push(part.type);
        })(),
        /ended without an answer \(status max_iterations\)/,
      );
      assert.ok(parts.includes('error'), parts.join());
      assert.ok(!parts.includes('text-delta'), parts.join());
      await assert.rejects(async () => stream.text, /ended without an answer/);
      assert.equal(errors.length, 1);
    });
  });

  it('a limit that stops the run before any answer is an error with the limit in it', async () => {
    const slow = byTurn([repl("await llm_query('a');\nprint(2)"), repl("await llm_query('b');\nprint(3)")]);
    await withServer(rootAndSub(slow), async (server) => {
      const model = rlmModel({ rlm: scriptedRlm(server.url, { limits: { maxCalls: 2 } }) });
      await assert.rejects(generateText({ model, prompt: 'q' }), (e: unknown) => {
        assert.ok(NoAnswerError.isInstance(e), String(e));
        assert.equal(e.code, 'RLM_BUDGET_EXCEEDED');
        assert.match(e.message, /status budget/);
        return true;
      });
    });
  });

  it('aborting streamText mid-run stops the run and its spending: no request after the cancel', async () => {
    const fanOut = byTurn([repl("await llm_query_batched(['a', 'b', 'c']);\nFINAL('never')")]);
    await withServer(
      rootAndSub(fanOut, () => ({ fail: 'hang' })),
      async (server) => {
        const ends: RlmEvent[] = [];
        const rlm = new RLM({ ...scriptedRlm(server.url), onEvent: (e) => void (e.type === 'run-end' && ends.push(e)) });
        const controller = new AbortController();
        const stream = streamText({ model: rlmModel({ rlm }), prompt: 'q', abortSignal: controller.signal, onError: () => {} });
        const reading = (async () => {
          const types: string[] = [];
          for await (const part of stream.fullStream) types.push(part.type);
          return types;
        })();
        await until(() => server.requests.filter((r) => r.model === 'sub').length === 3, 'the three sub-calls');
        controller.abort();
        const types = await reading;
        assert.ok(!types.includes('text-delta'), types.join());
        await until(() => ends.length === 1, 'the end of the run');
        assert.equal(ends[0]!.type === 'run-end' && ends[0].status, 'cancelled');
        await until(() => server.inFlight === 0, 'the sub-calls in flight to be cut');
        const count = server.requests.length;
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(server.requests.length, count);
        assert.equal(count, 4);
      },
    );
  });

  it('aborting generateText rejects with the abort reason and cancels the run', async () => {
    await withServer(
      rootAndSub(byTurn([repl("await llm_query('a');\nFINAL('never')")]), () => ({ fail: 'hang' })),
      async (server) => {
        const ends: string[] = [];
        const rlm = new RLM({ ...scriptedRlm(server.url), onEvent: (e) => void (e.type === 'run-end' && ends.push(e.status)) });
        const controller = new AbortController();
        const generating = generateText({ model: rlmModel({ rlm }), prompt: 'q', abortSignal: controller.signal });
        await until(() => server.requests.some((r) => r.model === 'sub'), 'the sub-call');
        controller.abort(new Error('user left'));
        await assert.rejects(generating, /user left/);
        await until(() => ends.length === 1, 'the end of the run');
        assert.deepEqual(ends, ['cancelled']);
      },
    );
  });

  it('over a fixed corpus: the prompt is the question, earlier turns go with it as the conversation so far', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.md'), 'alpha release: March');
    await writeFile(join(dir, 'b.md'), 'beta release: June');
    const corpus = await loadCorpus([dir]);
    const root = byTurn([repl("FINAL(context.map((d) => d.path + '=' + d.text).join('; '))")]);
    await withServer(rootAndSub(root), async (server) => {
      const { text } = await generateText({
        model: rlmModel({ rlm: scriptedRlm(server.url), context: corpus }),
        messages: [
          { role: 'user', content: 'When is alpha?' },
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'turn 1 ...' },
              { type: 'text', text: 'In March.' },
            ],
          },
          { role: 'user', content: 'And beta?' },
        ],
      });
      assert.equal(text, 'a.md=alpha release: March; b.md=beta release: June');
      const first = server.requests[0]!.messages.at(-1)!.content;
      assert.match(first, /corpus of 2 documents/);
      assert.match(first, /Query: The conversation so far:\nuser: When is alpha\?\n\nassistant: In March\.\n\nQuestion: And beta\?/);
      assert.doesNotMatch(first, /turn 1 \.\.\./);
    });
  });

  it('several pieces before the question are a list; a PDF is read as text', async () => {
    const root = byTurn([repl("FINAL(context.length + ' | ' + context[1])")]);
    await withServer(rootAndSub(root), async (server) => {
      const { text } = await generateText({
        model: rlmModel({ rlm: scriptedRlm(server.url) }),
        messages: [
          { role: 'user', content: 'first note' },
          {
            role: 'user',
            content: [
              { type: 'file', data: makePdf(['page one text']), mediaType: 'application/pdf', filename: 'r.pdf' },
              { type: 'text', text: 'Summarise.' },
            ],
          },
        ],
      });
      assert.equal(text, '2 | file r.pdf:\npage one text');
    });
  });

  it('refuses in one line what it cannot read: an image, a prompt that does not end with a question, files beside a fixed context', async () => {
    const model = rlmModel({ rlm: scriptedRlm('http://127.0.0.1:9/v1') });
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    await assert.rejects(
      generateText({
        model,
        maxRetries: 0,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', image: png, mediaType: 'image/png' },
              { type: 'text', text: 'What is it?' },
            ],
          },
        ],
      }),
      (e: unknown) =>
        RlmError.isInstance(e) &&
        e.code === 'RLM_INPUT' &&
        /^message 1's image\/png file: rlmModel reads text, PDF and DOCX files, not image\/png$/.test(e.message),
    );
    await assert.rejects(
      generateText({
        model,
        maxRetries: 0,
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'prefill' },
        ],
      }),
      /rlmModel needs the prompt to end with a user message, the question; it ends with an assistant message/,
    );
    await assert.rejects(
      generateText({
        model,
        maxRetries: 0,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'file', data: new Uint8Array([0, 1, 2]), mediaType: 'text/plain', filename: 'x.txt' },
              { type: 'text', text: 'q' },
            ],
          },
        ],
      }),
      /message 1's file "x.txt" is binary/,
    );
    const fixed = rlmModel({ rlm: scriptedRlm('http://127.0.0.1:9/v1'), context: 'doc' });
    await assert.rejects(
      generateText({
        model: fixed,
        maxRetries: 0,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'file', data: 'aGk=', mediaType: 'text/plain' },
              { type: 'text', text: 'q' },
            ],
          },
        ],
      }),
      /made over a fixed context; put files in that context/,
    );
  });

  it('Output.object: the JSON schema becomes the answer schema, the text is the checked value as JSON', async () => {
    const root = byTurn([repl("FINAL({ total: context.split(' ').length, unit: 'words' })")]);
    await withServer(rootAndSub(root), async (server) => {
      const result = await generateText({
        model: rlmModel({ rlm: scriptedRlm(server.url), context: DOC }),
        output: Output.object({ schema: z.object({ total: z.number(), unit: z.string() }) }),
        prompt: 'Count the words.',
      });
      assert.deepEqual(result.output, { total: 9, unit: 'words' });
      // The model was shown the schema.
      assert.match(server.requests[0]!.messages.map((m) => m.content).join('\n'), /"total"/);
    });
  });

  it('Output.json without a schema: the answer is any JSON value, handed back as JSON', async () => {
    const root = byTurn([repl("FINAL('plain words')")]);
    await withServer(rootAndSub(root), async (server) => {
      const result = await generateText({
        model: rlmModel({ rlm: scriptedRlm(server.url), context: DOC }),
        output: Output.json(),
        prompt: 'Say it.',
      });
      assert.equal(result.text, '"plain words"');
      assert.equal(result.output, 'plain words');
    });
  });
});
