import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { ASK_OPTIONS } from '../../src/cli/args.ts';
import { freePort } from '../support/net.ts';
import { spawn } from 'node:child_process';
import { BIN, noStack, runCli } from './support.ts';

let dir: string;
let book: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rlm-cli-test-'));
  book = join(dir, 'book.txt');
  await writeFile(book, 'Chapter 1\nThe treasure is buried under the old oak.\n'.repeat(500));
  await writeFile(join(dir, 'empty.txt'), '');
  await writeFile(join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  await writeFile(join(dir, 'zeros.txt'), Buffer.alloc(64));
  await mkdir(join(dir, 'folder'));
});

/** Asserts the CLI failed with `code` and one line on stderr that matches `pattern`. */
function assertOneLineError(run: { code: number | null; stdout: string; stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `exit code; stderr: ${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${run.stderr}`);
  assert.match(lines[0]!, /^rlm: /);
  assert.match(lines[0]!, pattern);
  assert.ok(noStack(run.stderr));
  assert.equal(run.stdout, '');
}

describe('rlm ask --help', () => {
  it('names every flag rlm ask accepts', async () => {
    const help = await runCli(['ask', '--help']);
    assert.equal(help.code, 0);
    for (const [name, option] of Object.entries(ASK_OPTIONS)) {
      // --cache-dir is how --cache=<dir> is parsed, not a flag of its own.
      if (name === 'cache-dir') continue;
      assert.match(help.stdout, new RegExp(`${'short' in option ? `-${option.short}, ` : ''}--${name}\\b`), name);
    }
  });
});

describe('rlm ask: bad usage and input (exit 2)', () => {
  it('a missing file', async () => {
    assertOneLineError(await runCli(['ask', '-c', join(dir, 'nope.txt'), 'q']), 2, /no such file: .*nope\.txt/);
  });
  it('an empty context', async () => {
    assertOneLineError(await runCli(['ask', '-c', join(dir, 'empty.txt'), 'q']), 2, /the context is empty/);
  });
  it('an empty standard input', async () => {
    assertOneLineError(await runCli(['ask', '-c', '-', 'q'], { stdin: '' }), 2, /the context is empty \(standard input\)/);
  });
  it('a folder with no readable document', async () => {
    assertOneLineError(await runCli(['ask', '-c', join(dir, 'folder'), 'q']), 2, /no readable document in .*folder/);
  });
  it('a file of NUL bytes, valid UTF-8 but binary', async () => {
    assertOneLineError(
      await runCli(['ask', '-c', join(dir, 'zeros.txt'), 'q']),
      2,
      /zeros\.txt is a binary file \(a NUL byte at offset 0\)/,
    );
  });
  it('invalid UTF-8', async () => {
    assertOneLineError(await runCli(['ask', '-c', join(dir, 'latin1.txt'), 'q']), 2, /not valid UTF-8 \(first bad byte at offset 3\)/);
  });
  it('an unknown flag', async () => {
    assertOneLineError(await runCli(['ask', '--frobnicate', '-c', book, 'q']), 2, /unknown option --frobnicate/);
  });
  it('a malformed number', async () => {
    assertOneLineError(
      await runCli(['ask', '--concurrency', 'lots', '-c', book, 'q']),
      2,
      /--concurrency expects a whole number of at least 1, got 'lots'/,
    );
    assertOneLineError(await runCli(['ask', '--max-cost', '-3', '-c', book, 'q']), 2, /--max-cost/);
  });
  it('a flag without its value', async () => {
    assertOneLineError(await runCli(['ask', '-c', book, 'q', '--model']), 2, /--model/);
  });
  it('no query', async () => {
    assertOneLineError(await runCli(['ask', '-c', book]), 2, /no query given/);
  });
  it('no context', async () => {
    assertOneLineError(await runCli(['ask', 'q']), 2, /no context given/);
  });
  it('an unknown command', async () => {
    assertOneLineError(await runCli(['frob']), 2, /unknown command 'frob'/);
  });
  it('no key and no local server: says what it tried and how to configure one', async () => {
    const local = `http://127.0.0.1:${await freePort()}/v1`;
    const run = await runCli(['ask', '-c', book, 'q'], { env: { RLM_LOCAL_URL: local } });
    assertOneLineError(run, 2, /OPENAI_API_KEY and RLM_API_KEY are not set/);
    assert.match(run.stderr, new RegExp(`no local server answered at ${local.replace(/[./]/g, '\\$&')}/models \\(ECONNREFUSED\\)`));
    assert.match(run.stderr, /--base-url/);
  });
  it('an explicit OpenAI URL without a key', async () => {
    assertOneLineError(
      await runCli(['ask', '-c', book, '--base-url', 'https://api.openai.com/v1', 'q']),
      2,
      /no API key for https:\/\/api\.openai\.com\/v1/,
    );
  });
});

describe('rlm ask: endpoint failures (exit 3)', () => {
  it('an unreachable endpoint, naming the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}/v1`;
    const run = await runCli(['ask', '-q', '-c', book, '--base-url', url, '--model', 'm', 'q']);
    assertOneLineError(run, 3, new RegExp(`cannot reach ${url.replace(/[./]/g, '\\$&')}`));
  });

  describe('against a scripted server', () => {
    let server: ScriptedModelServer;
    before(async () => {
      server = await startScriptedServer({ script: () => 'hello', models: ['good'], apiKey: 'secret' });
    });
    after(() => server.close());

    it('a model name the server rejects', async () => {
      const run = await runCli(['ask', '-q', '-c', book, '--base-url', server.url, '--model', 'nonexistent', 'q'], {
        env: { RLM_API_KEY: 'secret' },
      });
      assertOneLineError(run, 3, /does not list the model "nonexistent" \(--model\); it lists: good$/);
      assert.equal(server.requests.length, 0);
    });
    it('a key the server refuses', async () => {
      const run = await runCli(['ask', '-q', '-c', book, '--base-url', server.url, '--model', 'good', 'q'], {
        env: { RLM_API_KEY: 'wrong' },
      });
      assertOneLineError(run, 3, /refused the API key \(401\)/);
    });
  });

  it('a sub-model the server does not list is refused before the first root turn', async () => {
    const root = byTurn([repl("const a = await llm_query('what is buried?');\nprint(a)"), repl("FINAL('made up')")]);
    const server = await startScriptedServer({ script: root, models: ['good'] });
    try {
      const run = await runCli(['ask', '-q', '-c', book, '--base-url', server.url, '--model', 'good', '--sub-model', 'nonexistent', 'q']);
      assertOneLineError(run, 3, /does not list the model "nonexistent" \(--sub-model\); it lists: good$/);
      assert.equal(server.requests.length, 0, 'no root turn was paid for');
    } finally {
      await server.close();
    }
  });
});

describe('rlm ask: answers', () => {
  let server: ScriptedModelServer;
  const root = byTurn([repl('const where = context.match(/buried under ([^.]+)/)[1];\nprint(where)'), repl('FINAL(`under ${where}`)')]);
  before(async () => {
    server = await startScriptedServer({
      models: ['root', 'local-first', 'sub'],
      script: (request) => (request.model === 'sub' ? 'sub answer' : root(request)),
    });
  });
  after(() => server.close());

  it('prints the answer on stdout and progress on stderr, exit 0', async () => {
    const run = await runCli(['ask', '-c', book, '--base-url', server.url, '--model', 'root', 'Where is the treasure?']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'under the old oak\n');
    assert.match(run.stderr, /rlm: turn 1\/30 · sub-calls 0 done, 0 running/);
    assert.match(run.stderr, /· done$/m);
  });

  it('--json prints one object with answer, status, usage, iterations and duration', async () => {
    const run = await runCli(['ask', '-q', '--json', '-c', book, '--base-url', server.url, '--model', 'root', 'Where?']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ['answer', 'status', 'usage', 'iterations', 'durationMs']);
    assert.equal(out.answer, 'under the old oak');
    assert.equal(out.status, 'done');
    assert.equal(out.iterations, 2);
  });

  it('reads the context from standard input', async () => {
    const run = await runCli(['ask', '-q', '-c', '-', '--base-url', server.url, '--model', 'root', 'Where?'], {
      stdin: 'The coin is buried under the red stone.',
    });
    assert.equal(run.stdout, 'under the red stone\n');
  });

  it('several files become a list', async () => {
    const second = join(dir, 'second.txt');
    await writeFile(second, 'nothing buried under here.');
    const before = server.requests.length;
    const run = await runCli(['ask', '-q', '--json', '-c', book, '-c', second, '--base-url', server.url, '--model', 'root', 'Where?']);
    assert.equal(run.code, 0, run.stderr);
    const first = server.requests[before]!;
    assert.match(first.messages[1]!.content, /a list of 2 strings/);
    // context.match on an array fails in the model's code; the run still answers on a later turn.
    assert.equal(typeof (JSON.parse(run.stdout) as { answer: unknown }).answer, 'string');
  });

  it('with no key, finds a local OpenAI-compatible server and its first model', async () => {
    const run = await runCli(['ask', '-q', '-c', book, 'Where?'], { env: { RLM_LOCAL_URL: server.url } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(server.requests.at(-1)!.model, 'root');
  });

  it('--sub-model routes sub-calls', async () => {
    const sub = await startScriptedServer({
      models: ['r', 's'],
      script: byTurn([repl("const a = await llm_query('hi');\nFINAL(a)")]),
    });
    try {
      const run = await runCli(['ask', '-q', '-c', book, '--base-url', sub.url, '--model', 'r', '--sub-model', 's', 'q']);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(
        sub.requests.map((r) => r.model),
        ['r', 's'],
      );
    } finally {
      await sub.close();
    }
  });
});

describe('rlm ask --repl python', () => {
  it("runs the model's Python in the Python REPL, sub-calls included, and prints the answer", async () => {
    const root = byTurn([
      repl("import re\nwhere = re.search(r'buried under ([^.]+)', context).group(1)\nprint(where)"),
      repl("check = llm_query('Is this a place? ' + where)\nFINAL(f'under {where} ({check})')"),
    ]);
    const server = await startScriptedServer({
      models: ['root', 'sub'],
      script: (request) => (request.model === 'sub' ? 'yes' : root(request)),
    });
    try {
      const run = await runCli([
        'ask',
        '-q',
        '--repl',
        'python',
        '-c',
        book,
        '--base-url',
        server.url,
        '--model',
        'root',
        '--sub-model',
        'sub',
        'Where is the treasure?',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'under the old oak (yes)\n');
      const first = server.requests.find((r) => r.model === 'root')!;
      assert.match(first.messages[0]!.content, /Python code in the REPL/);
    } finally {
      await server.close();
    }
  });

  it('an unknown language is a usage error', async () => {
    assertOneLineError(await runCli(['ask', '--repl', 'ruby', '-c', book, 'q']), 2, /--repl must be js or python, got 'ruby'/);
  });
});

describe('rlm ask: interrupted', () => {
  it('Ctrl-C (SIGINT) stops the run promptly, exit 130', async () => {
    const server = await startScriptedServer({
      models: ['root'],
      script: (request) => (request.model === 'root' && request.index === 0 ? repl("await llm_query('wait forever')") : { fail: 'hang' }),
    });
    try {
      const child = spawn(process.execPath, [BIN, 'ask', '-c', book, '--base-url', server.url, '--model', 'root', 'q'], {
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      // Wait until the sub-call is hanging at the server.
      while (server.requests.length < 2) await new Promise((r) => setTimeout(r, 50));
      const sent = performance.now();
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 130, stderr);
      // The sub-call would hang for good: the interrupt ended the run.
      assert.ok(performance.now() - sent < 10_000);
      assert.match(stderr, /^rlm: no answer: .*cancel/im);
      assert.ok(noStack(stderr));
    } finally {
      await server.close();
    }
  });
});

describe('rlm ask --cache', () => {
  it('the second identical run answers its sub-calls from the cache', async () => {
    const root = byTurn([repl("const a = await llm_query('the question');\nFINAL(a)")]);
    const server = await startScriptedServer({ models: ['r', 's'], script: (r) => (r.model === 'r' ? root(r) : 'from the model') });
    const cache = await mkdtemp(join(tmpdir(), 'rlm-cli-cache-'));
    try {
      const args = [
        'ask',
        '-q',
        '--json',
        `--cache=${cache}`,
        '-c',
        book,
        '--base-url',
        server.url,
        '--model',
        'r',
        '--sub-model',
        's',
        'q',
      ];
      const first = JSON.parse((await runCli(args)).stdout) as { answer: string; usage: { memo: { hits: number } } };
      const second = JSON.parse((await runCli(args)).stdout) as { answer: string; usage: { memo: { hits: number } } };
      assert.equal(second.answer, 'from the model');
      assert.equal(first.usage.memo.hits, 0);
      assert.equal(second.usage.memo.hits, 1);
      assert.equal(server.requests.filter((r) => r.model === 's').length, 1);
    } finally {
      await server.close();
    }
  });

  it('--cache-sampled without --cache is a usage error', async () => {
    const run = await runCli(['ask', '--cache-sampled', '-c', book, 'q']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--cache-sampled goes with --cache/);
  });
});

describe('rlm ask --max-cost and --prices', () => {
  it('a cost limit on a model of unknown price is refused at start, in one line', async () => {
    const server = await startScriptedServer({ models: ['unpriced'], script: () => 'x' });
    try {
      const run = await runCli(['ask', '-q', '--max-cost', '1', '-c', book, '--base-url', server.url, '--model', 'unpriced', 'q']);
      assertOneLineError(run, 2, /a cost limit needs a known price, and "unpriced" has none/);
      assert.equal(server.requests.length, 0);
    } finally {
      await server.close();
    }
  });

  it('prices from a file cost the run, and a bad prices file is refused', async () => {
    const root = byTurn([repl("FINAL('paid')")]);
    const server = await startScriptedServer({
      models: ['mine'],
      script: async (r) => ({ content: (await root(r)) as string, usage: { promptTokens: 1000, completionTokens: 100 } }),
    });
    try {
      const prices = join(dir, 'prices.json');
      await writeFile(prices, JSON.stringify({ mine: { input: 2, cachedInput: 1, output: 10 } }));
      const run = await runCli([
        'ask',
        '-q',
        '--json',
        '--max-cost',
        '1',
        '--prices',
        prices,
        '-c',
        book,
        '--base-url',
        server.url,
        '--model',
        'mine',
        'q',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const out = JSON.parse(run.stdout) as { usage: { total: { costUsd: number } } };
      assert.ok(Math.abs(out.usage.total.costUsd - (1000 * 2 + 100 * 10) / 1e6) < 1e-12);
      await writeFile(prices, '{ not json');
      assertOneLineError(
        await runCli(['ask', '--prices', prices, '-c', book, '--base-url', server.url, '--model', 'mine', 'q']),
        2,
        /is not valid JSON/,
      );
    } finally {
      await server.close();
    }
  });
});

describe('rlm ask --provider anthropic', () => {
  it('runs against a Messages endpoint', async () => {
    const root = byTurn([repl("FINAL('from claude')")]);
    const server = await startScriptedServer({ script: (r) => root(r) });
    try {
      const run = await runCli(
        ['ask', '-q', '--provider', 'anthropic', '--base-url', server.anthropicUrl, '--model', 'claude-x', '-c', book, 'q'],
        { env: { RLM_API_KEY: 'k' } },
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'from claude\n');
      assert.equal(server.requests[0]!.wire, 'anthropic');
    } finally {
      await server.close();
    }
  });

  it('without a key it says which one to set', async () => {
    assertOneLineError(await runCli(['ask', '--provider', 'anthropic', '-c', book, 'q']), 2, /set ANTHROPIC_API_KEY/);
  });
});

describe('rlm ask: progress on a terminal', () => {
  it('updates one status line in place through a pseudo-terminal, and keeps stdout clean', async () => {
    const root = byTurn([repl("const a = await llm_query_batched(['1', '2', '3']);\nprint(a)"), repl("FINAL('tty done')")]);
    const server = await startScriptedServer({
      models: ['r', 's'],
      script: (r) => (r.model === 'r' ? root(r) : { content: 'x', delayMs: 300 }),
    });
    try {
      // `script` runs the command with a pseudo-terminal as its stderr (and stdout).
      const command = [process.execPath, BIN, 'ask', '-c', book, '--base-url', server.url, '--model', 'r', '--sub-model', 's', 'q']
        .map((a) => `'${a}'`)
        .join(' ');
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        env: { PATH: process.env.PATH ?? '', TERM: 'xterm' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, out);
      // In place: carriage return and erase-line before each redraw, not a new line per update.
      assert.match(out, /\r\x1b\[2Krlm: turn 1\/30 · sub-calls \d done, \d running/);
      assert.match(out, /\r\x1b\[2Krlm: turn 2\/30 · sub-calls 3 done, 0 running · [\d.k]+ tokens · [\d.]+s · done/);
      assert.match(out, /tty done/);
    } finally {
      await server.close();
    }
  });
});
