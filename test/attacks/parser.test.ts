/**
 * Finding 7: replies that make the reply parser backtrack. 40,000 unclosed fences, and a FINAL(
 * followed by 100,000 spaces that never closes. Promised: the host reads each within a second or
 * two (the next request follows the reply at once) without stalling its event loop, and the run
 * goes on; through `rlm ask` too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byTurn, startScriptedServer } from '../../src/testing/index.ts';
import {
  assertAnswered,
  assertCliResponsive,
  contextFile,
  assertContained,
  attackRun,
  finalTurn,
  LANGUAGES,
  runAsk,
  watched,
} from './support.ts';

/** How long the host may take to read one reply and send the next request (the machine is loaded). */
const READ_MS = 2_000;

const REPLIES: Record<string, string> = {
  '40,000 unclosed ```a fences': '```a\n'.repeat(40_000),
  '40,000 unclosed ~~~ fences': '~~~\n'.repeat(40_000),
  'FINAL( then 100,000 spaces, never closed': `FINAL(${' '.repeat(100_000)}x`,
  'a code block, then FINAL( and 100,000 spaces': `\`\`\`repl\nprint(1)\n\`\`\`\nFINAL(${' '.repeat(100_000)}x`,
};

describe('finding 7: replies that make the parser backtrack', () => {
  for (const language of LANGUAGES) {
    for (const [name, reply] of Object.entries(REPLIES)) {
      it(`${language}: ${name}: read within ${READ_MS} ms, the run goes on`, { timeout: 60_000 }, async (t) => {
        const run = await attackRun([reply, finalTurn()], { repl: language });
        try {
          const { value: result, figures } = await watched(t, () => run.rlm.run({ context: 'c', query: 'q' }));
          const [first, second] = run.rootRequests();
          assert.ok(first?.respondedAt && second, 'the run asked again');
          // The reply is read by the time its first cell starts (before the REPL is awaited: a
          // Python REPL may still be booting), or else by the time the next request is sent.
          const cellStart = run.events.find((e) => e.type === 'cell-start' && e.iteration === 1);
          const read = (cellStart?.at ?? second.receivedAt) - first.respondedAt;
          t.diagnostic(`reply read in ${Math.round(read)} ms`);
          assert.ok(read < READ_MS, `the host took ${Math.round(read)} ms to read the reply`);
          assertAnswered(result);
          assertContained(figures);
        } finally {
          await run.close();
        }
      });
    }
  }

  it(
    'rlm ask: a reply of unclosed fences ending in an unclosed FINAL(, then an answer: the command answers within seconds',
    { timeout: 60_000 },
    async (t) => {
      const context = contextFile();
      const server = await startScriptedServer({
        models: ['root'],
        script: byTurn([`${'```a\n'.repeat(40_000)}FINAL(${' '.repeat(100_000)}x`, finalTurn()]),
      });
      try {
        const { value: cli } = await watched(
          t,
          (watch) =>
            runAsk(['ask', '-q', '-c', context, '--model', 'root', '--base-url', server.url, 'q'], { onStart: (p) => watch.setRoot(p) }),
          0,
        );
        assert.equal(cli.code, 0, cli.stderr.toString().slice(0, 2000));
        assert.equal(cli.stdout.toString(), 'ok\n');
        assertCliResponsive(t, cli);
        const gaps = server.requests.slice(1).map((r, i) => r.receivedAt - server.requests[i]!.respondedAt!);
        t.diagnostic(`gaps between reply and next request: ${gaps.map(Math.round).join(', ')} ms`);
        for (const gap of gaps) assert.ok(gap < READ_MS, `rlm ask took ${Math.round(gap)} ms to read a reply`);
      } finally {
        await server.close();
      }
    },
  );
});
