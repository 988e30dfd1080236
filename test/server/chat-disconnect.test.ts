import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunManager } from '../../src/server/run-manager.ts';
import { byTurn, repl, type ScriptedRequest } from '../../src/testing/index.ts';
import { gate, withChatServer, until } from './chat-harness.ts';

/** Requests of the run asked `query`, as the scripted server recorded them. */
const asked = (requests: readonly { messages: { content: string }[] }[], query: string) =>
  requests.filter((r) => r.messages.some((m) => m.content.includes(query))).length;

/**
 * The run asked DROPPED prints at its first turn and, at its second, waits for a reply that never
 * comes on its own: only a cancel ends it. Any other run answers at once.
 */
function script(request: ScriptedRequest) {
  if (!request.messages.some((m) => m.content.includes('DROPPED'))) return byTurn([repl("FINAL('other answered')")])(request);
  return byTurn([repl("print('looking')"), { fail: 'hang' as const }])(request);
}

describe('a client that disconnects cancels its run', () => {
  it('streaming: dropping the stream mid-run cancels the run, which asks nothing more', { timeout: 60_000 }, async () => {
    await withChatServer(script, {}, async ({ client, server, scripted }) => {
      const stream = await client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'DROPPED' }], stream: true });
      let reasoning = '';
      for await (const chunk of stream) {
        reasoning += (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
        if (/turn 2/.test(reasoning)) break; // leaving the loop aborts the request
      }
      const run = server.state.manager.list()[0]!;
      const result = await run.finished;
      assert.equal(result.status, 'cancelled');
      assert.equal(result.answer, undefined);
      const atCancel = asked(scripted.requests, 'DROPPED');
      assert.equal(atCancel, 2);
      await until(() => scripted.inFlight === 0);
      // Another run, start to end: the cancelled one has asked nothing in the meantime.
      const other = await client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'another' }] });
      assert.equal(other.choices[0]!.message.content, 'other answered');
      assert.equal(asked(scripted.requests, 'DROPPED'), atCancel);
      assert.equal((server.state.manager as RunManager).stats().running, 0);
    });
  });

  it('not streaming: aborting the request cancels the run', { timeout: 60_000 }, async () => {
    await withChatServer(script, {}, async ({ client, server, scripted }) => {
      const abort = new AbortController();
      const pending = client.chat.completions.create(
        { model: 'rlm', messages: [{ role: 'user', content: 'DROPPED' }] },
        { signal: abort.signal },
      );
      await until(() => asked(scripted.requests, 'DROPPED') === 2);
      abort.abort();
      await assert.rejects(pending, /abort/i);
      const result = await server.state.manager.list()[0]!.finished;
      assert.equal(result.status, 'cancelled');
      await until(() => scripted.inFlight === 0);
      assert.equal(asked(scripted.requests, 'DROPPED'), 2);
    });
  });

  it('a queued stream dropped before its run starts: the run is cancelled and never takes a slot', { timeout: 60_000 }, async () => {
    const held = gate();
    const root = byTurn([async () => (await held.promise, repl("FINAL('first done')"))]);
    await withChatServer(root, { maxRunning: 1, maxQueued: 4 }, async ({ client, server, scripted }) => {
      const first = client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'first' }] });
      await until(() => scripted.requests.length === 1);
      const stream = await client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'queued' }], stream: true });
      for await (const chunk of stream) {
        if ((chunk.choices[0]?.delta as { reasoning_content?: string }).reasoning_content?.includes('waiting for a free slot')) break;
      }
      const queued = server.state.manager.list().find((run) => run.request.query === 'queued')!;
      assert.equal((await queued.finished).status, 'cancelled');
      assert.equal((server.state.manager as RunManager).stats().queued, 0);
      held.open();
      assert.equal((await first).choices[0]!.message.content, 'first done');
      await until(() => (server.state.manager as RunManager).stats().running === 0);
      assert.equal(scripted.requests.length, 1, 'the dropped run asked nothing');
    });
  });
});
