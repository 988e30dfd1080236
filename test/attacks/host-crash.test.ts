/**
 * Finding 1: a value nested deeper than the host's serialisers can follow (1,700 levels of
 * objects in JavaScript, 900 of lists of dicts in Python) handed to rlm_query or to a user's
 * tool. Promised: the host survives and stays responsive, the cell gets an error, and the run
 * goes on to the FINAL of a later turn; through `rlm ask` too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repl, startScriptedServer, byTurn } from '../../src/testing/index.ts';
import {
  assertAnswered,
  assertCliResponsive,
  contextFile,
  assertContained,
  attackRun,
  finalTurn,
  LANGUAGES,
  runAsk,
  shown,
  watched,
  type Language,
} from './support.ts';

const NESTED: Record<Language, string> = {
  javascript: 'let v = {};\nfor (let i = 0; i < 1700; i++) v = { a: v };',
  python: "v = {}\nfor i in range(900):\n    v = [{'a': v}]",
};

function call(language: Language, how: 'rlm_query' | 'tool'): string {
  const target = how === 'rlm_query' ? "rlm_query('q', v)" : 'lookup(v)';
  return `${NESTED[language]}\n${language === 'javascript' ? `await ${target}` : target}\nprint('after the call')`;
}

const TOOLS = { lookup: { description: 'lookup(value) -> a string', run: () => 'found' } };

describe('finding 1: deeply nested values handed to the host', () => {
  for (const language of LANGUAGES) {
    for (const [how, maxDepth] of [
      ['rlm_query', 0],
      ['rlm_query', 1],
      ['rlm_query', 2],
      ['tool', 1],
    ] as const) {
      it(
        `${language}: a nested value through ${how} (maxDepth ${maxDepth}): the host survives, the cell errors, the run goes on`,
        { timeout: 60_000 },
        async (t) => {
          const run = await attackRun([repl(call(language, how)), finalTurn()], {
            repl: language,
            maxDepth,
            cellTimeoutMs: 10_000,
            ...(how === 'tool' ? { tools: TOOLS } : {}),
            // A child RLM (maxDepth 2) answers at once.
            sub: () => finalTurn('child'),
          });
          try {
            const { value: result, figures } = await watched(t, () => run.rlm.run({ context: 'c', query: 'q' }));
            assertAnswered(result);
            const cell = run.cells().find((c) => c.depth === 0);
            assert.ok(cell, 'the attack cell ran');
            assert.ok(cell.error, `the cell got no error; it printed ${JSON.stringify(cell.output.slice(0, 200))}`);
            assert.doesNotMatch(cell.output, /after the call/);
            // The model was told, briefly.
            assert.ok(shown(run.rootRequests()[1]).length < 100_000);
            assertContained(figures);
          } finally {
            await run.close();
          }
        },
      );
    }
  }

  it('rlm ask: a nested value through rlm_query does not crash the command; the run answers, exit 0', { timeout: 60_000 }, async (t) => {
    const context = contextFile();
    const server = await startScriptedServer({ models: ['root'], script: byTurn([repl(call('javascript', 'rlm_query')), finalTurn()]) });
    try {
      let pid = 0;
      const { value: cli } = await watched(
        t,
        (watch) =>
          runAsk(['ask', '-q', '-c', context, '--model', 'root', '--base-url', server.url, 'q'], {
            onStart: (p) => ((pid = p), watch.setRoot(p)),
          }),
        0,
      );
      assert.ok(pid > 0);
      assert.equal(cli.signal, null, `the command was killed by ${cli.signal}`);
      assert.equal(cli.code, 0, cli.stderr.toString());
      assert.equal(cli.stdout.toString(), 'ok\n');
      assertCliResponsive(t, cli);
      const second = server.requests.filter((r) => r.model === 'root')[1];
      assert.ok(second, 'the run went on to a second turn');
    } finally {
      await server.close();
    }
  });
});
