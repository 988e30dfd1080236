/**
 * Child RLMs with a schema: `rlm_query(prompt, context, { schema })` (Python: `schema=`) runs a
 * child whose FINAL must match the JSON Schema, corrected like a root's; model code gets the
 * checked value itself. At the deepest level the sub-call is one model call whose JSON reply is
 * checked. Real REPLs, a scripted model server on loopback.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createOpenAIModel, PythonSandbox, RLM, type RLMOptions } from '../src/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedReply, type ScriptedRequest } from '../src/testing/index.ts';

after(() => PythonSandbox.coolDown());

const TOTAL = { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] };

/** Runs an RLM against a server where `root` answers the root model and `sub` every other request. */
async function run(
  options: Partial<RLMOptions>,
  root: (r: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>,
  sub: (r: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>,
) {
  const requests: ScriptedRequest[] = [];
  const server = await startScriptedServer({ script: (r) => (requests.push(r), r.model === 'root' ? root(r) : sub(r)) });
  try {
    const models = ['root', 'child'].map((id) => createOpenAIModel({ model: id, baseURL: server.url, apiKey: 'k' }));
    const result = await new RLM({ model: models[0]!, modelsByDepth: models, ...options }).run({ context: 'a: 1, b: 2', query: 'q' });
    return { result, subRequests: requests.filter((r) => r.model !== 'root') };
  } finally {
    await server.close();
  }
}

describe('child RLMs with a schema', () => {
  it('a JavaScript root gets the child’s checked value as an object', async () => {
    const root = byTurn([
      repl(
        `const r = await rlm_query('the total?', context, { schema: ${JSON.stringify(TOTAL)} });\nFINAL(typeof r + ' ' + (r.total + 1))`,
      ),
    ]);
    const { result, subRequests } = await run({ maxDepth: 2 }, root, byTurn([repl('FINAL({ total: 3 })')]));
    assert.equal(result.answer, 'object 4');
    const told = subRequests[0]!.messages.map((m) => m.content).join('\n');
    assert.match(told, /must match this JSON Schema:\n```json\n[^`]*"total"/, 'the child is shown the schema');
  });

  it('a child whose first FINAL does not match is told what is wrong and corrects it', async () => {
    const root = byTurn([
      repl(`const r = await rlm_query('the total?', context, { schema: ${JSON.stringify(TOTAL)} });\nFINAL(r.total * 10)`),
    ]);
    const child = byTurn([repl("FINAL({ total: 'three' })"), repl('FINAL({ total: 3 })')]);
    const { result, subRequests } = await run({ maxDepth: 2 }, root, child);
    assert.equal(result.answer, '30');
    assert.equal(subRequests.length, 2);
    assert.match(subRequests[1]!.lastUser, /at \.total: .*expected number/);
  });

  it('a child that never matches is an error for model code, and the root goes on', async () => {
    const root = byTurn([
      repl(
        `let said;\ntry { await rlm_query('the total?', context, { schema: ${JSON.stringify(TOTAL)} }) } catch (e) { said = e.message }\nFINAL('caught: ' + said)`,
      ),
    ]);
    const { result } = await run({ maxDepth: 2 }, root, byTurn([repl("FINAL({ total: 'never' })")]));
    assert.match(result.answer ?? '', /^caught: the child RLM ended without an answer \(error: the answer did not match the schema/);
  });

  it('a Python root gets a dict', async () => {
    const root = byTurn([
      repl(`r = rlm_query('the total?', context, schema=${JSON.stringify(TOTAL)})\nFINAL(type(r).__name__ + ' ' + str(r['total'] + 1))`),
    ]);
    const { result } = await run({ maxDepth: 2, repl: 'python' }, root, byTurn([repl("FINAL({'total': 3})")]));
    assert.equal(result.answer, 'dict 4');
  });

  it('at the deepest level a JSON reply is parsed, fenced or not, and one that does not match is an error in its slot', async () => {
    const root = byTurn([
      repl(
        `const rs = await rlm_query_batched(['good', 'bare', 'bad'], ['c1', 'c2', 'c3'], { schema: ${JSON.stringify(TOTAL)} });\nFINAL(JSON.stringify(rs))`,
      ),
    ]);
    const sub = (r: ScriptedRequest) =>
      r.lastUser.startsWith('good') ? '```json\n{ "total": 5 }\n```' : r.lastUser.startsWith('bare') ? '{"total": 6}' : '{"total": "many"}';
    const { result, subRequests } = await run({ maxDepth: 1 }, root, sub);
    const slots = JSON.parse(result.answer ?? 'null') as unknown[];
    assert.deepEqual(slots.slice(0, 2), [{ total: 5 }, { total: 6 }]);
    assert.match(String(slots[2]), /^Error: the reply did not match the schema: at \.total: .*expected number/);
    assert.equal(subRequests.length, 3);
    for (const request of subRequests) {
      assert.match(request.lastUser, /Answer with JSON only/);
      assert.match(request.lastUser, /"required": \[\n\s+"total"/);
    }
  });

  it('at the deepest level, Python gets a dict too; without a schema the reply is text as before', async () => {
    const root = byTurn([
      repl(`r = rlm_query('n?', 'ctx', schema={'type': 'object'})\ns = rlm_query('plain', 'ctx')\nFINAL(type(r).__name__ + ' ' + s)`),
    ]);
    const sub = (r: ScriptedRequest) => (r.lastUser.startsWith('n?') ? '{"n": 1}' : 'just text');
    const { result, subRequests } = await run({ maxDepth: 1, repl: 'python' }, root, sub);
    assert.equal(result.answer, 'dict just text');
    assert.doesNotMatch(subRequests[1]!.lastUser, /JSON/);
  });

  it('a schema that is not a valid JSON Schema is an error for model code, with the reason', async () => {
    for (const maxDepth of [1, 2]) {
      const root = byTurn([
        repl(
          "let said = [];\nfor (const schema of [{ type: 'nonsense' }, [1]]) {\n  try { await rlm_query('q', 'c', { schema }) } catch (e) { said.push(e.message) }\n}\nFINAL(said.join(' | '))",
        ),
      ]);
      const { result, subRequests } = await run({ maxDepth }, root, () => repl("FINAL('unreachable')"));
      assert.match(result.answer ?? '', /^rlm_query: the schema is not a valid JSON Schema \(draft 2020-12\): .*type/);
      assert.match(result.answer ?? '', / \| rlm_query: the schema must be a JSON Schema object.*got an array$/);
      assert.equal(subRequests.length, 0, 'no model was asked');
    }
  });
});
