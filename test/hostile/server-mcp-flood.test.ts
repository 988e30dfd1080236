/**
 * A client flooding `rlm mcp` over stdio with `ask` calls: only --max-runs run at once (each holds
 * a REPL process and spends), the next ones wait for a slot and say so, and past a queue of four
 * times the cap an ask is refused with a tool error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repl, startScriptedServer } from '../../src/testing/index.ts';
import { connectStdio, textOf } from '../mcp/support.ts';

describe('rlm mcp over stdio, flooded with asks', () => {
  it('runs at most --max-runs asks at once; the rest wait, and past the queue one is refused', { timeout: 180_000 }, async () => {
    let open!: () => void;
    const held = new Promise<void>((resolve) => (open = resolve));
    // Before the gate opens, a second request at the model means a second ask is running.
    let opened = false;
    let overflow!: (error: Error) => void;
    const overflowed = new Promise<never>((_, reject) => (overflow = reject));
    overflowed.catch(() => {});
    let calls = 0;
    const model = await startScriptedServer({
      script: async () => {
        if (++calls > 1 && !opened) overflow(new Error(`${calls} asks reached the model at once`));
        return (await held, repl("FINAL('done')"));
      },
    });
    const { client } = await connectStdio(['--base-url', model.url, '--model', 'root', '--sub-model', 'sub', '--max-runs', '1']);
    try {
      const waiting = new Set<number>();
      let sawWaiting!: () => void;
      const fourWaiting = new Promise<void>((resolve) => (sawWaiting = resolve));
      // One runs, four wait (the queue holds four times the cap), the sixth is refused.
      const asks = Array.from({ length: 6 }, (_, i) =>
        client.callTool({ name: 'ask', arguments: { query: `ask ${i}`, text: `input ${i}` } }, undefined, {
          timeout: 170_000,
          onprogress: (p) => {
            if (p.message?.startsWith('waiting for a free slot')) waiting.add(i);
            if (waiting.size === 4) sawWaiting();
          },
        }),
      );
      const refused = await Promise.race([overflowed, ...asks.map((ask, i) => ask.then((result) => ({ i, result })))]);
      assert.equal(refused.result.isError, true, textOf(refused.result));
      assert.match(textOf(refused.result), /too many asks at once: 1 running and 4 waiting/);
      // Four wait; the one running may not have reached the model yet, but no second one has.
      await Promise.race([fourWaiting, overflowed]);
      assert.ok(calls <= 1, `${calls} asks reached the model`);
      opened = true;
      open();
      const results = await Promise.all(asks);
      const answered = results.filter((result) => !result.isError);
      assert.equal(answered.length, 5, results.map(textOf).join('\n'));
      for (const result of answered) assert.equal((result.content as { text: string }[])[0]!.text, 'done');
      assert.equal(model.maxInFlight, 1);
    } finally {
      await client.close();
      await model.close();
    }
  });
});
