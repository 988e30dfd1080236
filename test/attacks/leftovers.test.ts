/**
 * Finding 9: a context left behind. `rlm ask` killed with SIGKILL mid-run cannot remove its REPL's
 * private folder (rlm-repl-*, which holds a copy of the context). Promised: the next `rlm ask`, or
 * the next RLM.run in any program, removes the folders whose owner died, and never one whose
 * owner is still running. Each test uses a private TMPDIR.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { assertAnswered, attackRun, finalTurn, runAsk, type CliResult } from './support.ts';

const SECRET = 'the context holds a secret: 7f3a-SECRET';

function replDirs(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('rlm-repl-'));
}

async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A private temp folder, a context file in it, and a server whose root runs one cell and then hangs. */
async function setUp(): Promise<{ tmp: string; context: string; server: ScriptedModelServer }> {
  const tmp = await mkdtemp(join(tmpdir(), 'rlm-attack-tmp-'));
  const context = join(tmp, 'context.txt');
  await writeFile(context, SECRET);
  const server = await startScriptedServer({
    models: ['root'],
    // A query naming "hang" runs a cell, then waits for a reply that never comes.
    script: (request) => {
      const hangs = request.messages.some((m) => m.role === 'user' && m.content.includes('hang'));
      return byTurn([repl('print(context.length)'), hangs ? { fail: 'hang' } : finalTurn()])(request);
    },
  });
  return { tmp, context, server };
}

/** Starts `rlm ask` that will hang mid-run, waits until its REPL folder exists and its cell ran. */
async function hangingAsk(
  tmp: string,
  context: string,
  server: ScriptedModelServer,
): Promise<{ pid: number; dir: string; done: Promise<CliResult> }> {
  const before = new Set(replDirs(tmp));
  const requests = server.requests.length;
  let pid = 0;
  const done = runAsk(['ask', '-q', '-c', context, '--model', 'root', '--base-url', server.url, 'hang'], {
    env: { TMPDIR: tmp },
    onStart: (p) => (pid = p),
  });
  await until(
    () => server.requests.length >= requests + 2 && replDirs(tmp).some((d) => !before.has(d)),
    'the run to reach its second turn',
  );
  const dir = replDirs(tmp).find((d) => !before.has(d))!;
  return { pid, dir, done };
}

describe('finding 9: REPL folders left by a killed run', () => {
  it(
    'rlm ask killed with SIGKILL leaves its folder; the next rlm ask removes it, and not the folder of a run still going',
    { timeout: 60_000 },
    async () => {
      const { tmp, context, server } = await setUp();
      try {
        const killed = await hangingAsk(tmp, context, server);
        process.kill(killed.pid, 'SIGKILL');
        const result = await killed.done;
        assert.equal(result.signal, 'SIGKILL');
        assert.ok(existsSync(join(tmp, killed.dir)), "the killed run left its folder (the attack's premise)");

        const alive = await hangingAsk(tmp, context, server);
        try {
          const next = await runAsk(['ask', '-q', '-c', context, '--model', 'root', '--base-url', server.url, 'q'], {
            env: { TMPDIR: tmp },
          });
          assert.equal(next.code, 0, next.stderr.toString());
          assert.ok(!existsSync(join(tmp, killed.dir)), `the next rlm ask left ${killed.dir}, whose owner died`);
          assert.ok(existsSync(join(tmp, alive.dir)), 'the next rlm ask removed the folder of a run still going');
        } finally {
          process.kill(alive.pid, 'SIGKILL');
          await alive.done;
        }
      } finally {
        await server.close();
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  );

  it('a new RLM.run in another program removes the folder of an rlm ask killed with SIGKILL', { timeout: 60_000 }, async () => {
    const { tmp, context, server } = await setUp();
    const saved = process.env.TMPDIR;
    try {
      const killed = await hangingAsk(tmp, context, server);
      process.kill(killed.pid, 'SIGKILL');
      await killed.done;
      assert.ok(existsSync(join(tmp, killed.dir)), "the killed run left its folder (the attack's premise)");
      // os.tmpdir() reads TMPDIR at each call: this process's REPL folders go to the private one.
      process.env.TMPDIR = tmp;
      const run = await attackRun([repl('print(1)'), finalTurn()]);
      try {
        assertAnswered(await run.rlm.run({ context: 'c', query: 'q' }));
      } finally {
        await run.close();
      }
      assert.ok(!existsSync(join(tmp, killed.dir)), `RLM.run left ${killed.dir}, whose owner died`);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await server.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
