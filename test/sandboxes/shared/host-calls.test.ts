/**
 * The host-call dispatcher every realm serves calls with (src/sandboxes/shared/host-calls.ts),
 * and the cell deadline both engines share (src/sandboxes/repl-process/cell-deadline.ts), apart
 * from any engine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelledError } from '../../../src/errors.ts';
import { MAX_VALUE_JSON_CHARS } from '../../../src/sandboxes/limits.ts';
import { cellTimedOut, raceDeadline } from '../../../src/sandboxes/repl-process/cell-deadline.ts';
import type { Bridge } from '../../../src/sandboxes/sandbox.ts';
import { HostCalls, NO_CELL_RUNNING, type HostCallRequest } from '../../../src/sandboxes/shared/host-calls.ts';

/** A bridge whose sub-calls wait until told, recording the signals they were given. */
function waitingBridge() {
  const signals: AbortSignal[] = [];
  const release: Array<() => void> = [];
  const bridge: Bridge = {
    llm_query: (prompt, options, signal) => {
      signals.push(signal);
      return new Promise((resolve) => release.push(() => resolve(`llm:${prompt}:${options.model ?? '-'}`)));
    },
    rlm_query: async (prompt, context) => `rlm:${prompt}:${JSON.stringify(context ?? null)}`,
    budget: () => ({ calls: 1 }),
    history: () => [{ role: 'user', content: 'q' }],
    tool: async (name, args) => (name === 'huge' ? 'x'.repeat(MAX_VALUE_JSON_CHARS + 1) : { name, args }),
  };
  return { bridge, signals, release };
}

function answerOf(calls: HostCalls, request: HostCallRequest, id = 1): Promise<{ ok: boolean; payload: string }> {
  return new Promise((resolve) => calls.serve(id, request, (ok, payload) => resolve({ ok, payload })));
}

describe('HostCalls', () => {
  it('refuses a call while no cell runs', async () => {
    const calls = new HostCalls(waitingBridge().bridge, []);
    assert.deepEqual(await answerOf(calls, { name: 'rlm_query', prompt: 'p', context: undefined, options: {} }), {
      ok: false,
      payload: NO_CELL_RUNNING,
    });
  });

  it('routes each call to the bridge and answers with text, a tool with JSON text', async () => {
    const { bridge, release } = waitingBridge();
    const calls = new HostCalls(bridge, ['lookup', 'huge']);
    calls.startCell();
    const llm = answerOf(calls, { name: 'llm_query', prompt: 'p', options: { model: 'm' } }, 1);
    release.shift()!();
    assert.deepEqual(await llm, { ok: true, payload: 'llm:p:m' });
    assert.deepEqual(await answerOf(calls, { name: 'rlm_query', prompt: 'p', context: [1], options: {} }, 2), {
      ok: true,
      payload: 'rlm:p:[1]',
    });
    assert.deepEqual(await answerOf(calls, { name: 'tool', tool: 'lookup', args: ['a'] }, 3), {
      ok: true,
      payload: '{"name":"lookup","args":["a"]}',
    });
    assert.match((await answerOf(calls, { name: 'tool', tool: 'huge', args: [] }, 4)).payload, /^the result of huge is too large/);
    assert.equal(calls.sync('budget'), '{"calls":1}');
    assert.equal(calls.sync('history'), '[{"role":"user","content":"q"}]');
  });

  it('refuses what model code may have shaped: a tool not installed, arguments not a list, an unknown function, a prompt not text', async () => {
    const calls = new HostCalls(waitingBridge().bridge, ['lookup']);
    calls.startCell();
    const refused = async (request: unknown) => (await answerOf(calls, request as HostCallRequest)).payload;
    assert.equal(await refused({ name: 'tool', tool: 'secret', args: [] }), 'malformed host call: no tool named secret');
    assert.equal(await refused({ name: 'tool', tool: 'lookup', args: 'a' }), 'malformed host call: the arguments of lookup are not a list');
    assert.equal(await refused({ name: 'eval', prompt: 'process.exit()' }), 'malformed host call: no function eval');
    assert.equal(await refused({ name: 'llm_query', prompt: 5, options: {} }), 'malformed host call: the prompt of llm_query is not text');
    assert.equal(await refused({ name: 'tool', args: [] }), 'malformed host call: no function tool');
  });

  it('aborts the calls a cell leaves running when it ends, answers none of them, and counts them', async () => {
    const { bridge, signals, release } = waitingBridge();
    const calls = new HostCalls(bridge, []);
    calls.startCell();
    const answered: number[] = [];
    for (const id of [1, 2]) calls.serve(id, { name: 'llm_query', prompt: 'p', options: {} }, () => answered.push(id));
    assert.equal(calls.pending, 2);
    assert.equal(
      calls.endCell(() => new Error('the cell ended')),
      2,
    );
    assert.deepEqual(
      signals.map((s) => (s.reason as Error).message),
      ['the cell ended', 'the cell ended'],
    );
    for (const done of release) done();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(answered, []);
    assert.equal(calls.cellRunning, false);
  });

  it('cancels one call by its id, and after dispose refuses every call', async () => {
    const { bridge, signals } = waitingBridge();
    const calls = new HostCalls(bridge, []);
    calls.startCell();
    calls.serve(7, { name: 'llm_query', prompt: 'p', options: {} }, () => assert.fail('a cancelled call is not answered'));
    assert.equal(calls.has(7), true);
    calls.cancel(7, new CancelledError());
    assert.equal(calls.has(7), false);
    assert.ok(signals[0]!.aborted);
    calls.dispose(new CancelledError('sandbox disposed'));
    calls.startCell();
    assert.equal((await answerOf(calls, { name: 'llm_query', prompt: 'p', options: {} })).payload, NO_CELL_RUNNING);
  });
});

describe('raceDeadline', () => {
  it("gives the cell's outcome when it settles in time, and never asks the engine to stop it", async () => {
    const calls = new HostCalls(waitingBridge().bridge, []);
    const raced = await raceDeadline(Promise.resolve('out'), { timeoutMs: 1_000, calls }, () => assert.fail('not stopped'));
    assert.deepEqual(raced, { done: 'out' });
  });

  it("past the limit ends the cell's calls first, then lets the engine stop it, telling it how many calls were open", async () => {
    const { bridge } = waitingBridge();
    const calls = new HostCalls(bridge, []);
    calls.startCell();
    calls.serve(1, { name: 'llm_query', prompt: 'p', options: {} }, () => undefined);
    const raced = await raceDeadline(new Promise<never>(() => undefined), { timeoutMs: 20, graceMs: 10, calls }, async (request) => {
      assert.equal(calls.pending, 0);
      return request;
    });
    assert.deepEqual(raced, { stopped: { why: 'timeout', openCalls: 1 } });
  });

  it('ends in CancelledError when the signal stops the cell, after the engine stopped it', async () => {
    const controller = new AbortController();
    const calls = new HostCalls(waitingBridge().bridge, []);
    let stopped = false;
    const raced = raceDeadline(
      new Promise<never>(() => undefined),
      { timeoutMs: 60_000, signal: controller.signal, calls },
      async ({ why }) => {
        assert.equal(why, 'cancelled');
        stopped = true;
      },
    );
    controller.abort();
    await assert.rejects(raced, CancelledError);
    assert.ok(stopped);
  });

  it('words a stopped cell alike for both languages', () => {
    assert.equal(cellTimedOut('computing', 300), 'TimeoutError: the cell was still computing after 300 ms and was stopped');
    assert.equal(
      cellTimedOut('sleeping (time.sleep)', 500),
      'TimeoutError: the cell was still sleeping (time.sleep) after 500 ms and was stopped',
    );
  });
});
