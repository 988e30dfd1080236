import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';
import { BIN, noStack, runCli } from '../cli/support.ts';
import { freePort } from '../support/net.ts';
import { gate, until } from './chat-harness.ts';

function assertOneLineError(run: { code: number | null; stdout: string; stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `exit code; stderr: ${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${run.stderr}`);
  assert.match(lines[0]!, /^rlm: /);
  assert.match(lines[0]!, pattern);
  assert.ok(noStack(run.stderr));
}

/** `rlm serve` in a child process, with what it wrote to stderr so far. */
interface ServeProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  /** The OpenAI base URL it printed on start. */
  baseURL: Promise<string>;
}

function startServe(args: string[], env: Record<string, string> = {}): ServeProcess {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const baseURL = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const url = /(http:\/\/\S+\/v1) ·/.exec(stderr)?.[1];
      if (url) resolve(url);
    });
    void exited.then(() => reject(new Error(`rlm serve exited before it listened: ${stderr}`)));
  });
  return { child, stderr: () => stderr, exited, baseURL };
}

describe('rlm serve on the command line', () => {
  it('--help names its flags', async () => {
    const help = await runCli(['serve', '--help']);
    assert.equal(help.code, 0);
    for (const flag of [
      '--host',
      '--port',
      '--token',
      '--corpus',
      '--max-runs',
      '--max-queued',
      '--max-body',
      '--grace',
      '--trace-dir',
      '--model',
      '--max-cost',
    ])
      assert.match(help.stdout, new RegExp(`${flag}\\b`));
  });

  it('refuses to listen beyond loopback without a token: one line, exit 2', async () => {
    assertOneLineError(
      await runCli(['serve', '--host', '0.0.0.0', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm']),
      2,
      /--host 0\.0\.0\.0 .*token/,
    );
  });

  it('bad flags: one line, exit 2', async () => {
    assertOneLineError(await runCli(['serve', '--max-runs', 'lots']), 2, /--max-runs expects a whole number/);
    assertOneLineError(await runCli(['serve', '--max-body', 'huge']), 2, /--max-body expects a size/);
    assertOneLineError(await runCli(['serve', '--corpus', 'nothing']), 2, /--corpus expects name=path/);
    assertOneLineError(await runCli(['serve', '--frob']), 2, /unknown option --frob/);
  });

  it('no model configured: the same line as rlm ask, exit 2', async () => {
    const port = await freePort();
    const env = { RLM_LOCAL_URL: `http://127.0.0.1:${port}/v1` };
    const served = await runCli(['serve', '--port', '0'], { env });
    const asked = await runCli(['ask', '-c', BIN, 'q'], { env });
    assertOneLineError(served, 2, /no model configured/);
    assert.equal(served.stderr, asked.stderr);
  });

  it('a corpus that does not exist: one line naming it, exit 2', async () => {
    assertOneLineError(
      await runCli([
        'serve',
        '--corpus',
        `docs=${join(tmpdir(), 'no-such-folder-rlm')}`,
        '--base-url',
        'http://127.0.0.1:9/v1',
        '--model',
        'm',
      ]),
      2,
      /--corpus docs: /,
    );
  });

  it(
    'SIGTERM: the running run finishes within the grace period, a new request gets 503, the process exits 0',
    { timeout: 120_000 },
    async () => {
      const held = gate();
      const scripted = await startScriptedServer({
        script: byTurn([async () => (await held.promise, repl("FINAL('finished after SIGTERM')"))]),
      });
      const traces = await mkdtemp(join(tmpdir(), 'rlm-serve-traces-'));
      const corpus = await mkdtemp(join(tmpdir(), 'rlm-serve-corpus-'));
      await mkdir(join(corpus, 'docs'));
      await writeFile(join(corpus, 'docs', 'a.md'), 'alpha');
      const serve = startServe([
        '--port',
        '0',
        '--base-url',
        scripted.url,
        '--model',
        'root',
        '--grace',
        '60',
        '--trace-dir',
        traces,
        '--token',
        't0k3n',
        '--corpus',
        `docs=${join(corpus, 'docs')}`,
      ]);
      try {
        const baseURL = await serve.baseURL;
        assert.match(serve.stderr(), /models rlm \(root\), rlm\/docs \(1 file\)/);
        assert.match(serve.stderr(), new RegExp(`traces in ${traces}`));
        const client = new OpenAI({ baseURL, apiKey: 't0k3n', maxRetries: 0 });
        const running = client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'q' }] });
        await until(() => scripted.requests.length === 1);
        serve.child.kill('SIGTERM');
        await until(() => /stopping/.test(serve.stderr()));
        await assert.rejects(
          client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'q' }] }),
          (error: unknown) => {
            assert.ok(error instanceof OpenAI.APIError && error.status === 503, String(error));
            return true;
          },
        );
        held.open();
        assert.equal((await running).choices[0]!.message.content, 'finished after SIGTERM');
        assert.equal(await serve.exited, 0);
        assert.ok(noStack(serve.stderr()));
        assert.equal((await readdir(traces)).filter((f) => f.endsWith('.jsonl')).length, 1, "the run's trace");
      } finally {
        serve.child.kill('SIGKILL');
        await scripted.close();
      }
    },
  );
});
