import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { BIN, noStack, runCli } from './support.ts';

let dir: string;
let book: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rlm-progress-'));
  book = join(dir, 'book.txt');
  await writeFile(book, 'The treasure is buried under the old oak.\n'.repeat(100));
});

async function withServer(
  options: Parameters<typeof startScriptedServer>[0],
  body: (server: ScriptedModelServer) => Promise<void>,
): Promise<void> {
  const server = await startScriptedServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** Runs `rlm` with a pseudo-terminal of `columns` columns as its stderr (and stdout). */
async function onTerminal(args: string[], columns: number): Promise<{ code: number | null; out: string }> {
  const command = `stty cols ${columns} rows 40; ${[process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')}`;
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, out };
}

describe('rlm ask progress', () => {
  it('shows the cost of the run so far, from the price table and --prices', async () => {
    const root = byTurn([repl('print(1)'), repl("FINAL('paid')")]);
    await withServer(
      {
        models: ['mine'],
        script: async (r) => ({ content: (await root(r)) as string, usage: { promptTokens: 1000, completionTokens: 100 } }),
      },
      async (server) => {
        const prices = join(dir, 'prices.json');
        await writeFile(prices, JSON.stringify({ mine: { input: 2, output: 10 } }));
        const run = await runCli(['ask', '--prices', prices, '-c', book, '--base-url', server.url, '--model', 'mine', 'q']);
        assert.equal(run.code, 0, run.stderr);
        // Each call: 1000 input tokens at $2 and 100 output tokens at $10 per million.
        assert.match(run.stderr, /^rlm: turn 2\/30 · .* · \$0\.0030 · [\d.]+s$/m);
        assert.match(run.stderr, /· \$0\.0060 · [\d.]+s · done$/m);
      },
    );
  });

  it('a child RLM ending is not shown as the end of the run', async () => {
    const root = byTurn([repl("const a = await rlm_query('find it');\nprint(a)"), repl("FINAL('found')")]);
    await withServer(
      { models: ['r', 's'], script: (r) => (r.model === 's' ? repl("FINAL('child says oak')") : root(r)) },
      async (server) => {
        const run = await runCli([
          'ask',
          '--max-depth',
          '2',
          '-c',
          book,
          '--base-url',
          server.url,
          '--model',
          'r',
          '--sub-model',
          's',
          'q',
        ]);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stdout, 'found\n');
        const ends = run.stderr.split('\n').filter((line) => /· (done|max_iterations|budget|timeout|cancelled|error)$/.test(line));
        assert.equal(ends.length, 1, run.stderr);
        assert.match(ends[0]!, /^rlm: turn 2\/30 /);
      },
    );
  });

  it('names the model it picked by itself, once', async () => {
    const root = byTurn([repl("FINAL('ok')")]);
    await withServer({ models: ['first', 'second'], script: root }, async (server) => {
      const run = await runCli(['ask', '-c', book, 'q'], { env: { RLM_LOCAL_URL: server.url } });
      assert.equal(run.code, 0, run.stderr);
      const named = run.stderr.split('\n').filter((line) => line.startsWith('rlm: model '));
      assert.deepEqual(named, [`rlm: model first (the first model of the local server at ${server.url}; --model picks another)`]);
      const chosen = await runCli(['ask', '-c', book, '--model', 'second', 'q'], { env: { RLM_LOCAL_URL: server.url } });
      assert.doesNotMatch(chosen.stderr, /^rlm: model /m);
    });
  });

  it('on a narrow terminal, the line is clipped to its width and updated in place; queued sub-calls are shown', async () => {
    const root = byTurn([repl("const a = await llm_query_batched(['1', '2', '3', '4']);\nprint(a)"), repl("FINAL('narrow done')")]);
    await withServer(
      { models: ['r', 's'], script: (r) => (r.model === 'r' ? root(r) : { content: 'x', delayMs: 200 }) },
      async (server) => {
        const args = ['ask', '--concurrency', '1', '-c', book, '--base-url', server.url, '--model', 'r', '--sub-model', 's', 'a question'];
        const wide = await onTerminal(args, 200);
        assert.equal(wide.code, 0, wide.out);
        assert.match(wide.out, /sub-calls \d done, 1 running, [1-3] queued/);

        const narrow = await onTerminal(args, 60);
        assert.equal(narrow.code, 0, narrow.out);
        assert.match(narrow.out, /narrow done/);
        const drawn = narrow.out
          .split('\r\x1b[2K')
          .map((s) => s.replace(/\r?\n[\s\S]*$/, ''))
          .filter((s) => s.startsWith('rlm: turn'));
        assert.ok(drawn.length > 3, narrow.out);
        for (const line of drawn) assert.ok(line.length < 60, `wider than the terminal: ${JSON.stringify(line)}`);
        // In place: the only line breaks are the final status line and the answer's.
        const lines = narrow.out.split('\n').filter((line) => line.trim() !== '');
        assert.ok(lines.length <= 3, `lines left behind: ${JSON.stringify(lines)}`);
      },
    );
  });
});

describe('rlm ask --verbose', () => {
  it("prints each turn's prose, code and output on stderr as the run goes", async () => {
    const root = byTurn([repl("print('looking: ' + context.length)", 'First I measure it.'), repl("FINAL('verbose done')")]);
    await withServer({ models: ['r'], script: root }, async (server) => {
      const run = await runCli(['ask', '--verbose', '-c', book, '--base-url', server.url, '--model', 'r', 'q']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'verbose done\n');
      assert.match(
        run.stderr,
        /── the model:\n {2}First I measure it\.\n {2}── turn 1, code:\n {2}print\('looking: ' \+ context\.length\)\n {2}── output:\n {2}looking: 4200\n/,
      );
      assert.match(run.stderr, /── turn 2, code:\n {2}FINAL\('verbose done'\)\n {2}── output: \(nothing printed\)\n/);
      assert.ok(noStack(run.stderr));
    });
  });

  it('with --quiet is a usage error', async () => {
    const run = await runCli(['ask', '--verbose', '--quiet', '-c', book, 'q']);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'rlm: --verbose and --quiet contradict each other: give one\n');
  });
});

describe('rlm ask --provider anthropic: the SDK', () => {
  it("the SDK's deprecation warning is one line, once, not one per call", async () => {
    const root = byTurn([repl('print(1)'), repl('print(2)'), repl("FINAL('old model')")]);
    await withServer({ script: root }, async (server) => {
      const run = await runCli(
        ['ask', '--provider', 'anthropic', '--base-url', server.anthropicUrl, '--model', 'claude-sonnet-4-5', '-c', book, 'q'],
        { env: { RLM_API_KEY: 'k' } },
      );
      assert.equal(run.code, 0, run.stderr);
      const warned = run.stderr.split('\n').filter((line) => /deprecated/.test(line));
      assert.equal(warned.length, 1, run.stderr);
      assert.match(warned[0]!, /^rlm: warning: The model 'claude-sonnet-4-5' is deprecated .* Please migrate/);
      assert.doesNotMatch(run.stderr, /^Please migrate/m);
    });
  });

  it('the default model is a current one, named once, with no deprecation warning', async () => {
    const root = byTurn([repl("FINAL('new model')")]);
    await withServer({ script: root }, async (server) => {
      const run = await runCli(['ask', '--provider', 'anthropic', '-c', book, 'q'], {
        env: { ANTHROPIC_BASE_URL: server.anthropicUrl, ANTHROPIC_API_KEY: 'k' },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(server.requests[0]!.model, 'claude-sonnet-5-5');
      assert.match(run.stderr, /^rlm: model claude-sonnet-5-5 \(the default on Anthropic; --model picks another\)$/m);
      assert.doesNotMatch(run.stderr, /deprecated/);
    });
  });
});

describe('rlm ask --trace-context', () => {
  it('path (default) stores one context file by path and hash; embed stores the context itself', async () => {
    const root = byTurn([repl("FINAL('traced')")]);
    await withServer({ models: ['r'], script: root }, async (server) => {
      const header = async (...flags: string[]) => {
        const path = join(dir, `trace-${flags.join('-') || 'default'}.jsonl`);
        const run = await runCli(['ask', '-q', '--trace', path, ...flags, '-c', book, '--base-url', server.url, '--model', 'r', 'q']);
        assert.equal(run.code, 0, run.stderr);
        return (JSON.parse((await readFile(path, 'utf8')).split('\n')[0]!) as { context: { file?: string; inline?: unknown } }).context;
      };
      assert.equal((await header()).file, book);
      assert.equal((await header('--trace-context', 'path')).file, book);
      const embedded = await header('--trace-context', 'embed');
      assert.equal(embedded.inline, await readFile(book, 'utf8'));
      assert.equal(embedded.file, undefined);
    });
  });

  it('a wrong value, or no --trace, is a usage error', async () => {
    const wrong = await runCli(['ask', '--trace', join(dir, 't.jsonl'), '--trace-context', 'copy', '-c', book, 'q']);
    assert.equal(wrong.code, 2);
    assert.equal(wrong.stderr, "rlm: --trace-context must be path or embed, got 'copy'\n");
    const alone = await runCli(['ask', '--trace-context', 'embed', '-c', book, 'q']);
    assert.equal(alone.code, 2);
    assert.equal(alone.stderr, 'rlm: --trace-context goes with --trace <file.jsonl>\n');
  });
});
