/**
 * Host calls made by JavaScript model code, as the official RLM makes them: rlm_query's options,
 * the original context kept as `context_0`, one clear error for a cell that timed out while it
 * waited on calls, and no call outliving the cell that made it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsolateRepl } from '../../../src/sandboxes/repl-process/isolate-repl.ts';
import { recordingBridge, runOk, sleep, withRepl } from './helpers.ts';

describe('IsolateRepl: rlm_query options', () => {
  it('rlm_query(prompt, context, { model }) passes the model on; a second argument that is only { model } is options', async () => {
    await withRepl({}, async (repl, recorded) => {
      await runOk(
        repl,
        [
          'await rlm_query("with context", { part: 1 }, { model: "m1" })',
          'await rlm_query("options only", { model: "m2" })',
          'await rlm_query("context with a model key", { model: "m3", text: "x" })',
          'await rlm_query("model not a string", { model: 3 })',
          'await rlm_query("plain")',
          'await rlm_query("context, no options", "ctx")',
          'await rlm_query("undefined context", undefined, { model: "m4" })',
          'await rlm_query_batched(["b1", "b2"], ["c1"], { model: "m5" })',
          'await rlm_query_batched(["b3"], { model: "m6" })',
        ].join('\n'),
      );
      assert.deepEqual(
        recorded.calls.map((c) => [c.prompt, c.context, c.options]),
        [
          ['with context', { part: 1 }, { model: 'm1' }],
          ['options only', undefined, { model: 'm2' }],
          ['context with a model key', { model: 'm3', text: 'x' }, {}],
          ['model not a string', { model: 3 }, {}],
          ['plain', undefined, {}],
          ['context, no options', 'ctx', {}],
          ['undefined context', undefined, { model: 'm4' }],
          ['b1', 'c1', { model: 'm5' }],
          ['b2', undefined, { model: 'm5' }],
          ['b3', undefined, { model: 'm6' }],
        ],
      );
      const bad = await repl.run('await rlm_query("q", "ctx", { model: 5 })');
      assert.match(bad.error ?? '', /^TypeError: rlm_query: options\.model must be a string/);
    });
  });
});

describe('IsolateRepl: context_0', () => {
  it('context_0 is the original context; context may be replaced and the original stays reachable', async () => {
    await withRepl({ context: ['doc one', 'doc two'] }, async (repl) => {
      assert.equal(await runOk(repl, 'context_0 === context'), 'true\n');
      assert.equal(await runOk(repl, 'SHOW_VARS()'), 'Variables:\n  context: Array, 2 items\n');
      await runOk(repl, 'context = context.map((d) => d.toUpperCase())');
      assert.equal(await runOk(repl, 'context.join("|") + " / " + context_0.join("|")'), 'DOC ONE|DOC TWO / doc one|doc two\n');
      assert.equal(
        await runOk(repl, 'SHOW_VARS()'),
        'Variables:\n  context: Array, 2 items\n  context_0: Array, 2 items (the context as loaded)\n',
      );
      const replace = await repl.run('context_0 = "gone"');
      assert.match(replace.error ?? '', /context_0/);
      const redeclare = await repl.run('let context_0 = 1');
      assert.match(redeclare.error ?? '', /context_0/);
      assert.equal(await runOk(repl, 'context_0.length'), '2\n');
      assert.deepEqual(await repl.variable('context_0'), { found: true, value: '[\n  "doc one",\n  "doc two"\n]' });
      const names = await repl.variable('missing');
      assert.ok(!names.found && !names.names.includes('context_0'));
    });
  });
});

describe('IsolateRepl: contexts added as values', () => {
  it('addContext(value) in this process loads the value as context_1 and `context`', async () => {
    await withRepl({ context: 'first' }, async (repl) => {
      await runOk(repl, 'const kept = 1');
      assert.equal(await repl.addContext({ n: 2 }), 1);
      assert.equal(await runOk(repl, 'print(context.n, context_1 === context, context_0, kept)'), '2 true first 1\n');
    });
  });
});

describe('IsolateRepl: a timed-out cell gives one clear error', () => {
  it('a cell awaiting calls that never answer reports only its timeout, then and in the next cell', async () => {
    await withRepl({}, async (repl) => {
      const cells = [
        'const a = llm_query("HANG a"); const b = llm_query("HANG b"); await a; await b',
        'await llm_query_batched(["HANG c", "HANG d"])',
        'await rlm_query_batched(["HANG e", "HANG f"])',
        'await Promise.all([llm_query("HANG g"), rlm_query("HANG h")])',
      ];
      for (const code of cells) {
        const result = await repl.run(code, { timeoutMs: 300 });
        assert.match(
          result.error ?? '',
          /^TimeoutError: the cell was still waiting \(on sub-calls or a promise that never settles\) after 300 ms and was stopped$/,
          code,
        );
        await sleep(50);
        const next = await repl.run('"next"');
        assert.equal(next.error, undefined, `after: ${code}`);
        assert.equal(next.output, 'next\n');
      }
    });
  });
});

describe('IsolateRepl: no call outlives its cell', () => {
  it('an unawaited loop of llm_query is ended with its cell: the bridge sees no call after the result', async () => {
    // Answers take long enough that the loop's first call is surely open when the cell returns,
    // however slow the machine (with 2 ms, an answer could land first and the next call be refused).
    await withRepl({ bridge: { delayMs: 500 } }, async (repl, recorded) => {
      const result = await repl.run('(async () => { for (;;) { await llm_query("x") } })(); "returned"');
      assert.equal(result.output, 'returned\n');
      assert.match(result.error ?? '', /call this cell started was still running when the cell ended, and was cancelled/);
      const seen = recorded.calls.length;
      assert.ok(seen <= 1, `${seen} calls`);
      await sleep(300);
      assert.equal(recorded.calls.length, seen, 'no call after the cell ended');
      assert.ok(recorded.calls.every((c) => c.signal.aborted));
      assert.equal(await runOk(repl, 'await llm_query("next cell")'), 'answer:next cell\n');
      await sleep(100);
      assert.equal(recorded.calls.length, seen + 1);
    });
  });

  it('a call attempted when no cell runs is refused, and a call left unawaited is ended and said so', async () => {
    await withRepl({ bridge: { delayMs: 2 } }, async (repl, recorded) => {
      const left = await repl.run('globalThis.p = llm_query("HANG never awaited"); "returned"');
      assert.match(left.error ?? '', /^Error: 1 call this cell started was still running when the cell ended, and was cancelled/);
      assert.equal(recorded.calls[0]?.signal.aborted, true);
      const later = await repl.run('await p.then(() => "answered", (e) => e.message)');
      assert.match(later.output, /cancelled: the cell that made it had ended/);
      // A getter the host reads between cells (variable()) cannot start a call.
      await runOk(
        repl,
        'Object.defineProperty(globalThis, "sneaky", { get() { llm_query("from a getter").catch(() => {}); return "v" } })',
      );
      const before = recorded.calls.length;
      assert.deepEqual(await repl.variable('sneaky'), { found: true, value: 'v' });
      await sleep(50);
      assert.equal(recorded.calls.length, before);
    });
  });

  it('400,000 unawaited calls and a timeout do not freeze the REPL', async () => {
    const recorded = recordingBridge({ delayMs: 60_000 });
    const repl = await IsolateRepl.create({ context: 'c', bridge: recorded.bridge, cellTimeoutMs: 30_000 });
    try {
      const started = performance.now();
      const result = await repl.run('for (let i = 0; i < 400_000; i++) llm_query("x"); await new Promise(() => {})', { timeoutMs: 3000 });
      // Calls past the bound are refused in the isolate at once, unawaited: the cell ends on that
      // unhandled refusal, or at its limit if the refusal is seen later.
      assert.match(
        result.error ?? '',
        /^TimeoutError|^Unhandled promise rejection: too many calls at once: 32 in flight and 10,000 waiting/,
      );
      const next = await repl.run('"next"', { timeoutMs: 30_000 });
      assert.equal(next.output, 'next\n');
      const took = performance.now() - started;
      assert.ok(took < 60_000, `the cell and the next took ${Math.round(took)} ms`);
      assert.ok(recorded.calls.every((c) => c.signal.aborted));
    } finally {
      repl.dispose();
    }
  });
});
