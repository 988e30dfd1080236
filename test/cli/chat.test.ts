import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';
import { BIN, runCli } from './support.ts';

/**
 * `rlm chat` in a pseudo-terminal, as a person uses it: util-linux's `script` runs it on a pty
 * and passes on what the test types, Ctrl-C included (readline reads it in raw mode).
 */
function inTerminal(args: string[], env: Record<string, string>) {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'dumb', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    type: (text: string) => child.stdin.write(text),
    /** Waits until the screen (after `from`) shows `pattern`; fails the test after a generous bound. */
    async waitFor(pattern: RegExp, from = 0): Promise<number> {
      const deadline = Date.now() + 60_000;
      while (!pattern.test(screen.slice(from))) {
        if (Date.now() > deadline) throw new Error(`never saw ${pattern} on the screen:\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return screen.length;
    },
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

describe('rlm chat', () => {
  it('in a terminal: a follow-up reuses the REPL, Ctrl-C cancels the question and not the session, /exit leaves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-chat-'));
    const context = join(dir, 'words.txt');
    await writeFile(context, 'alpha\nbeta\ngamma\ndelta');
    const root = byTurn([
      repl("const words = context.split('\\n');\nFINAL(words.length + ' words')"),
      repl("await llm_query('slow');\nFINAL('never')"),
      repl("FINAL('the last word is ' + words.at(-1))"),
    ]);
    const server = await startScriptedServer({ script: (r) => (r.model === 'sub' ? { content: 'late', delayMs: 60_000 } : root(r)) });
    const chat = inTerminal(['chat', '-c', context, '--base-url', server.url, '-m', 'm', '--sub-model', 'sub'], { RLM_API_KEY: 'k' });
    try {
      let at = await chat.waitFor(/> /);
      chat.type('How many words?\r');
      at = await chat.waitFor(/4 words[\s\S]*> /, at);
      chat.type('Wait for the slow one\r');
      while (server.inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      chat.type('\x03');
      at = await chat.waitFor(/no answer: .*cancel[\s\S]*> /, at);
      chat.type('And the last one?\r');
      await chat.waitFor(/the last word is delta[\s\S]*> /, at);
      chat.type('/exit\r');
      assert.equal(await chat.exited, 0);
    } finally {
      chat.kill();
      await server.close();
    }
  });

  it('refuses a query argument and a missing context, one line each, exit 2', async () => {
    const noContext = await runCli(['chat']);
    assert.equal(noContext.code, 2);
    assert.match(noContext.stderr, /needs a context/);
    const query = await runCli(['chat', '-c', 'x.txt', 'what?']);
    assert.equal(query.code, 2);
    assert.match(query.stderr, /takes no query/);
    assert.equal(query.stderr.trim().split('\n').length, 1);
  });
});
