/** Hostile input: closing a session while a question runs. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOpenAIModel, RLM } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';

/** Processes whose parent is this one (the REPL processes a run started). */
function children(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,ppid=,args=', '-A'], { encoding: 'utf8' });
  const mine = new Set([String(process.pid)]);
  const rows = out.split('\n').map((l) => l.trim().split(/\s+/));
  // descendants, a few levels down (unshare wrappers)
  for (let round = 0; round < 4; round++) for (const [pid, ppid] of rows) if (ppid && mine.has(ppid)) mine.add(pid!);
  mine.delete(String(process.pid));
  return rows.filter(([pid, , cmd]) => mine.has(pid!) && cmd !== 'ps').map((r) => r.join(' '));
}

describe('hostile input: closing a session mid-question', () => {
  for (const [name, code] of [
    ['a hung sub-call', 'const x = await llm_query("hi"); FINAL(x)'],
    ['a busy cell', 'const t = Date.now(); while (Date.now() - t < 20000) {} FINAL("late")'],
    ['a hung root request', null],
  ] as const) {
    it(
      `${name}: the question ends cancelled and no REPL process stays never settles a question inside a cell)`,
      { timeout: 15_000 },
      async () => {
        const server = await startScriptedServer({
          script: (r) => (code === null || r.model === 'sub' ? { fail: 'hang' } : byTurn([repl(code)])(r)),
        });
        const rlm = new RLM({
          model: createOpenAIModel({ model: 'm', baseURL: server.url, apiKey: 'k' }),
          subModel: createOpenAIModel({ model: 'sub', baseURL: server.url, apiKey: 'k' }),
        });
        const session = rlm.session({ context: 'hello' });
        const asked = session.ask('q');
        await sleep(1500);
        const started = Date.now();
        session.close();
        const result = await asked;
        assert.equal(result.status, 'cancelled', JSON.stringify(result.error));
        assert.ok(Date.now() - started < 5000, `ended ${Date.now() - started} ms after close`);
        await sleep(1000);
        assert.deepEqual(children(), []);
        await server.close();
      },
    );
  }
});
