import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAIModel, RLM } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { haystack } from './support.ts';

describe('needle in a 10 MB context', () => {
  let server: ScriptedModelServer;
  const context = haystack();
  before(async () => {
    const root = byTurn([
      repl('print(context.length);\nprint(context.slice(0, 300));', 'First, a look at the context.'),
      repl(
        `const matches = [...context.matchAll(/secret code is ([\\w-]+)/g)].map((m) => ({ code: m[1], around: context.slice(m.index - 120, m.index + 120) }));
print(matches.length, 'candidates:', matches.map((m) => m.code));`,
      ),
      repl(
        `const verdicts = await llm_query_batched(matches.map((m) => 'Does this passage state the real secret code (not a decoy)? Reply YES or NO.\\n\\n' + m.around));
const answer = matches[verdicts.indexOf('YES')].code;
print(verdicts);`,
      ),
      repl(`print('confirmed by', verdicts.filter((v) => v === 'YES').length, 'sub-call');`),
      repl('FINAL_VAR("answer")'),
    ]);
    server = await startScriptedServer({
      script: (request) =>
        request.model === 'root' ? root(request) : /decoy/i.test(request.lastUser.split('\n\n')[1] ?? '') ? 'NO' : 'YES',
    });
  });
  after(() => server.close());

  it('peeks, searches, confirms with a sub-call and answers from a variable set two cells earlier', async () => {
    assert.ok(context.length >= 10_000_000, `context is ${context.length} characters`);
    const rlm = new RLM({
      model: createOpenAIModel({ model: 'root', baseURL: server.url }),
      subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
    });
    const result = await rlm.run({ context, query: 'What is the secret code?' });
    assert.equal(result.status, 'done');
    assert.equal(result.answer, '48291-ALPHA');
    assert.equal(result.iterations, 5);

    const rootRequests = server.requests.filter((r) => r.model === 'root');
    const subRequests = server.requests.filter((r) => r.model === 'sub');
    assert.equal(rootRequests.length, 5);
    assert.equal(subRequests.length, 3);
    for (const request of rootRequests) {
      const chars = request.messages.reduce((n, m) => n + m.content.length, 0);
      // Everything the root saw, prompt included, is far below 50,000 characters: the context
      // itself reached it only as metadata and printed slices.
      assert.ok(chars < 50_000, `a root request carried ${chars} characters`);
    }
    const first = rootRequests[0]!.messages.map((m) => m.content).join('\n');
    assert.match(first, /string of 1\d,\d{3},\d{3} characters/);
    assert.match(rootRequests[2]!.messages.at(-1)!.content, /3 candidates: \[ '11111-DECOY', '48291-ALPHA', '22222-DECOY' \]/);
  });
});
