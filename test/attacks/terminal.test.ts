/**
 * Finding 8: terminal injection through `rlm ask`. An answer holding OSC 52 (write the user's
 * clipboard) and ESC[2J (clear the screen), the same in a cell's output shown by --verbose, and
 * in an error line (a model name the endpoint refuses). Promised: on a terminal no escape
 * sequence from the model reaches it raw; through a pipe the answer is byte-exact (README: "The
 * answer goes to stdout"), so scripts get what the model gave.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';
import { BIN } from '../cli/support.ts';
import { contextFile, runAsk } from './support.ts';

const OSC52 = '\x1b]52;c;ZXZpbA==\x07';
const CLEAR = '\x1b[2J';
const ANSWER = `hi ${OSC52} ${CLEAR} bye`;
/** The model's code: JavaScript string escapes, which the isolate turns into the bytes above. */
const FINAL_CODE = String.raw`FINAL('hi \x1b]52;c;ZXZpbA==\x07 \x1b[2J bye')`;
const PRINT_CODE = String.raw`print('shown \x1b]52;c;ZXZpbA==\x07 \x1b[2J here')`;
const THROW_CODE = String.raw`throw new Error('boom \x1b]52;c;ZXZpbA==\x07 \x1b[2J')`;
/** A child RLM on a model the endpoint does not list: the error names the model. */
const EVIL_MODEL_CODE = String.raw`await rlm_query('p', 'ctx', { model: 'evil\x1b]52;c;ZXZpbA==\x07\x1b[2J' })`;

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/** Runs `rlm ask` with stdin, stdout and stderr on a pseudo-terminal (util-linux `script`); returns what the terminal got. */
function askOnTerminal(args: string[], env: Record<string, string>): Promise<{ code: number | null; screen: Buffer }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'xterm', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => out.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, screen: Buffer.concat(out) })));
  });
}

function assertNoRawEscapes(screen: Buffer, what: string): void {
  const text = screen.toString('latin1');
  assert.ok(!text.includes('\x1b]52'), `OSC 52 reached the terminal raw in ${what}`);
  assert.ok(!text.includes(CLEAR), `ESC[2J reached the terminal raw in ${what}`);
  assert.ok(!text.includes('\x07'), `a BEL reached the terminal raw in ${what}`);
}

describe('finding 8: terminal injection through rlm ask', () => {
  it('through a pipe, the answer is byte-exact', { timeout: 60_000 }, async () => {
    const context = contextFile();
    const server = await startScriptedServer({ models: ['root'], script: byTurn([repl(FINAL_CODE)]) });
    try {
      const cli = await runAsk(['ask', '-q', '-c', context, '--model', 'root', '--base-url', server.url, 'q']);
      assert.equal(cli.code, 0, cli.stderr.toString());
      assert.deepEqual(cli.stdout, Buffer.from(`${ANSWER}\n`));
    } finally {
      await server.close();
    }
  });

  it('on a terminal, the answer and --verbose output carry no raw escape sequence from the model', { timeout: 60_000 }, async (t) => {
    if (!hasScript) return t.skip('no `script` command (util-linux) to give rlm ask a pseudo-terminal');
    const context = contextFile();
    const server = await startScriptedServer({ models: ['root'], script: byTurn([repl(PRINT_CODE), repl(FINAL_CODE)]) });
    try {
      const { code, screen } = await askOnTerminal(['ask', '--verbose', '-c', context, '--model', 'root', '--base-url', server.url, 'q'], {
        RLM_API_KEY: 'k',
      });
      assert.equal(code, 0, screen.toString());
      assert.match(screen.toString(), /hi[\s\S]*bye/, 'the answer is still shown');
      assertNoRawEscapes(screen, 'the answer or the verbose output');
    } finally {
      await server.close();
    }
  });

  it(
    "on a terminal, error lines (a cell's error, a refused model the code named) carry no raw escape sequence",
    { timeout: 60_000 },
    async (t) => {
      if (!hasScript) return t.skip('no `script` command (util-linux) to give rlm ask a pseudo-terminal');
      const context = contextFile();
      const server = await startScriptedServer({
        models: ['root'],
        script: byTurn([repl(THROW_CODE), repl(EVIL_MODEL_CODE), repl("FINAL('ok')")]),
      });
      try {
        const { code, screen } = await askOnTerminal(
          ['ask', '--verbose', '--max-depth', '2', '-c', context, '--model', 'root', '--base-url', server.url, 'q'],
          { RLM_API_KEY: 'k' },
        );
        t.diagnostic(`exit ${code}: ${JSON.stringify(screen.toString().slice(-400))}`);
        assert.match(screen.toString(), /boom/, "the cell's error was shown");
        assertNoRawEscapes(screen, 'the error line');
      } finally {
        await server.close();
      }
    },
  );
});
