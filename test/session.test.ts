import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createOpenAIModel, JsonlTrace, PythonSandbox, readTrace, RLM, type ReplLanguage } from '../src/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedRequest } from '../src/testing/index.ts';

after(() => PythonSandbox.coolDown());

const CONTEXT = 'alpha\nbeta\ngamma\ndelta';

/** The code of each question's one turn, in JavaScript and in Python. */
const CODE: Record<ReplLanguage, string[]> = {
  javascript: [
    "const words = context.split('\\n');\nFINAL(words.length + ' words')",
    "FINAL('the last word is ' + words.at(-1))",
    "FINAL(context + ' / ' + context_0.length + ' / ' + words.length)",
  ],
  python: [
    "words = context.split('\\n')\nFINAL(f'{len(words)} words')",
    "FINAL('the last word is ' + words[-1])",
    "FINAL(f'{context} / {len(context_0)} / {len(words)}')",
  ],
};

describe('sessions', () => {
  for (const language of ['javascript', 'python'] as const) {
    it(`a follow-up reuses a variable the first question computed; a context added is context_1 (${language})`, async () => {
      const seen: ScriptedRequest[] = [];
      const server = await startScriptedServer({ script: (r) => (seen.push(r), byTurn(CODE[language].map((code) => repl(code)))(r)) });
      const rlm = new RLM({ model: createOpenAIModel({ model: 'm', baseURL: server.url, apiKey: 'k' }), repl: language });
      const session = rlm.session({ context: CONTEXT });
      try {
        assert.equal((await session.ask('How many words?')).answer, '4 words');
        const second = await session.ask('And the last one?');
        assert.equal(second.answer, 'the last word is delta');
        // The follow-up was asked in the same conversation, told of the answer given.
        const followUp = seen[1]!.messages.at(-1)!.content;
        assert.match(followUp, /New question: And the last one\?/);
        assert.match(followUp, /"4 words"/);
        assert.equal(await session.addContext('epsilon'), 'context_1');
        const third = await session.ask('What is new?');
        assert.equal(third.answer, 'epsilon / 22 / 4');
        assert.match(seen[2]!.messages.at(-1)!.content, /`context_1`/);
        assert.equal(session.usage.calls, 3);
      } finally {
        session.close();
        await server.close();
      }
    });
  }

  it('cancelling a question ends that question only; the next one still has the variables', async () => {
    const root = byTurn([
      repl("const kept = 'still here';\nFINAL('set')"),
      repl("await llm_query('slow');\nFINAL('never')"),
      repl('FINAL(kept)'),
    ]);
    const server = await startScriptedServer({ script: (r) => (r.model === 'sub' ? { content: 'late', delayMs: 30_000 } : root(r)) });
    const rlm = new RLM({
      model: createOpenAIModel({ model: 'm', baseURL: server.url, apiKey: 'k' }),
      subModel: createOpenAIModel({ model: 'sub', baseURL: server.url, apiKey: 'k' }),
    });
    const session = rlm.session({ context: CONTEXT });
    try {
      assert.equal((await session.ask('set it')).answer, 'set');
      const stop = new AbortController();
      const slow = session.ask('wait', { signal: stop.signal });
      while (server.inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      stop.abort();
      const cancelled = await slow;
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.answer, undefined);
      assert.equal((await session.ask('what was kept?')).answer, 'still here');
    } finally {
      session.close();
      await server.close();
    }
  });

  it('reopens from its trace: earlier questions answered from the trace, the REPL rebuilt, new questions live', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-session-'));
    const path = join(dir, 'chat.jsonl');
    const script = byTurn(CODE.javascript.map((code) => repl(code)));
    const first = await startScriptedServer({ script });
    const trace = new JsonlTrace(path, { context: CONTEXT });
    const options = { model: createOpenAIModel({ model: 'm', baseURL: first.url, apiKey: 'k' }) };
    const session = new RLM({ ...options, onEvent: trace.onEvent }).session({ context: CONTEXT });
    await session.ask('How many words?');
    await session.addContext('epsilon');
    session.close();
    await trace.close();
    await first.close();

    const second = await startScriptedServer({ script });
    try {
      const model = createOpenAIModel({ model: 'm', baseURL: second.url, apiKey: 'k' });
      const again = new JsonlTrace(path, { context: CONTEXT, resume: true });
      const reopened = await new RLM({ model, onEvent: again.onEvent }).reopenSession(await readTrace(path));
      assert.equal(second.requests.length, 0, 'nothing asked to rebuild the session');
      const answer = await reopened.ask('And the last one?');
      assert.equal(answer.answer, 'the last word is delta');
      assert.equal(second.requests.length, 1);
      reopened.close();
      await again.close();
    } finally {
      await second.close();
    }
  });
});

describe('a long session', () => {
  it('compacts to stay inside the window, and the question asked after the first survives the compaction', async () => {
    const seen: ScriptedRequest[] = [];
    const server = await startScriptedServer({
      script: (r) => {
        seen.push(r);
        const last = r.messages.at(-1)!.content;
        if (/Summarise your progress/.test(last)) return 'Summary: `words` holds the split context.';
        if (/And the last one\?/.test(last)) return repl("FINAL('the last word is ' + words.at(-1))");
        return repl("const words = context.split('\\n');\nFINAL(words.length + ' words')");
      },
    });
    // A window the system prompt alone nearly fills: the second question compacts first.
    const rlm = new RLM({
      model: createOpenAIModel({ model: 'm', baseURL: server.url, apiKey: 'k' }),
      contextWindow: 1000,
      compactAt: 0.5,
    });
    const session = rlm.session({ context: CONTEXT });
    try {
      assert.equal((await session.ask('How many words?')).answer, '4 words');
      assert.equal((await session.ask('And the last one?')).answer, 'the last word is delta');
      assert.ok(
        seen.some((r) => /Summarise your progress/.test(r.messages.at(-1)!.content)),
        `the conversation was compacted: ${seen.map((r) => r.messages.length + ':' + r.messages.at(-1)!.content.slice(0, 40)).join(' / ')}`,
      );
    } finally {
      session.close();
      await server.close();
    }
  });
});
