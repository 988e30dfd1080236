import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RlmEvent } from '../../src/index.ts';
import { repl, turnIndex, type ScriptedRequest } from '../../src/testing/index.ts';
import { scriptedRun } from './support.ts';

describe('compaction of a long conversation', () => {
  it('summarises near the window, continues from the summary, and keeps everything in `history`', async () => {
    const turns = [
      repl("const marker = 'SECRET-' + 'OUTPUT';\nprint(marker + ' ' + 'x'.repeat(6000))"),
      repl("print('second look ' + 'y'.repeat(6000))"),
      repl(
        "const seen = history.filter((m) => m.content.includes('SECRET-' + 'OUTPUT x')).length;\nFINAL(`${history.length} messages, marker seen ${seen}`)",
      ),
    ];
    let code = 0;
    const root = (request: ScriptedRequest) =>
      request.lastUser.startsWith('Your conversation is close to the limit')
        ? 'Summary: marker printed in turn 1; the variable `marker` holds it.'
        : turns[Math.min(code++, turns.length - 1)]!;
    const events: RlmEvent[] = [];
    const run = await scriptedRun([root], { contextWindow: 4000, compactAt: 0.5, onEvent: (e) => events.push(e) });
    try {
      const result = await run.rlm.run({ context: 'ctx', query: 'q' });
      assert.equal(result.status, 'done');
      const compactions = events.filter((e) => e.type === 'compaction');
      assert.ok(compactions.length >= 1, 'compacted at least once');
      const roots = run.rootRequests();
      const summaryAsked = roots.findIndex((r) => r.messages.at(-1)!.content.startsWith('Your conversation is close to the limit'));
      assert.ok(summaryAsked > 0);
      // The request after the summary starts again from it: system, first message, summary, go on.
      const after = roots[summaryAsked + 1]!;
      assert.equal(after.messages.length, 4);
      assert.match(after.messages[2]!.content, /^Summary: marker printed/);
      assert.match(after.messages[3]!.content, /was compacted: your summary above replaces it/);
      assert.ok(!after.messages.some((m) => m.content.includes('SECRET-OUTPUT x')), 'the long output left the conversation');
      // ...but the REPL's `history` still has it all.
      assert.match(result.answer!, /^\d+ messages, marker seen 1$/);
      assert.ok(Number(result.answer!.split(' ')[0]) > after.messages.length);
      assert.equal(turnIndex(after as unknown as ScriptedRequest), 1);
    } finally {
      await run.close();
    }
  });
});
