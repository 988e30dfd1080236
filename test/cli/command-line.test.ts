import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { noStack, runCli } from './support.ts';

let dir: string;
let server: ScriptedModelServer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rlm-cmdline-'));
  await mkdir(join(dir, 'g'));
  await mkdir(join(dir, 'cache'));
  await writeFile(join(dir, 'g', 'a.md'), 'first file\n');
  await writeFile(join(dir, 'g', 'b.md'), 'second file\n');
  server = await startScriptedServer({
    models: ['r', 's'],
    script: (r) => (r.model === 's' ? 'sub' : repl('FINAL(JSON.stringify(context))')),
  });
});
after(() => server.close());

/** Refused before anything runs: exit `code`, nothing on stdout, one line on stderr. */
function assertRefused(run: { code: number | null; stdout: string; stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, run.stderr);
  assert.equal(run.stdout, '');
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${run.stderr}`);
  assert.match(lines[0]!, /^rlm: /);
  assert.match(lines[0]!, pattern);
  assert.ok(noStack(run.stderr));
}

const endpoint = () => ['--base-url', server.url, '--model', 'r'];

describe('rlm ask: what follows the query', () => {
  it('--cache DIR "q" is refused with a hint to write --cache=DIR, whether the folder exists or not', async () => {
    const before = server.requests.length;
    const cache = join(dir, 'cache');
    assertRefused(
      await runCli(['ask', '-q', '-c', join(dir, 'g', 'a.md'), ...endpoint(), '--cache', cache, 'q']),
      2,
      new RegExp(`use --cache=${cache.replace(/[./]/g, '\\$&')}`),
    );
    assertRefused(
      await runCli(['ask', '-q', '-c', join(dir, 'g', 'a.md'), ...endpoint(), '--cache', 'not-yet', 'q']),
      2,
      /use --cache=not-yet/,
    );
    assert.equal(server.requests.length, before);
  });

  it('a glob the shell expanded for -c is refused with a hint to quote it', async () => {
    const run = await runCli(['ask', '-q', '-c', join(dir, 'g', 'a.md'), join(dir, 'g', 'b.md'), ...endpoint(), 'q']);
    assertRefused(run, 2, /b\.md' is a file, not the query: .*quote the glob \(-c '.*\/g\/\*\.md'\)/);
    // The same with the query forgotten: the second file would have been the query.
    assertRefused(await runCli(['ask', '-q', '-c', join(dir, 'g', 'a.md'), join(dir, 'g', 'b.md'), ...endpoint()]), 2, /quote the glob/);
  });

  it('a quoted glob is expanded by rlm: its files, in name order, become the list of documents', async () => {
    const run = await runCli(['ask', '-q', '-c', join(dir, 'g', '*.md'), ...endpoint(), 'q']);
    assert.equal(run.code, 0, run.stderr);
    const documents = JSON.parse(run.stdout) as Array<{ path: string; text: string; kind: string }>;
    assert.deepEqual(
      documents.map((d) => [d.path.split('/').at(-1), d.kind, d.text]),
      [
        ['a.md', 'text', 'first file\n'],
        ['b.md', 'text', 'second file\n'],
      ],
    );
    assertRefused(await runCli(['ask', '-q', '-c', join(dir, 'g', '*.txt'), ...endpoint(), 'q']), 2, /no file matches .*\*\.txt/);
  });

  it('an unquoted query is refused rather than joined', async () => {
    assertRefused(
      await runCli(['ask', '-q', '-c', join(dir, 'g', 'a.md'), ...endpoint(), 'where', 'is', 'it']),
      2,
      /one query expected, got 3 arguments \('where' 'is' 'it'\): quote the query/,
    );
  });
});

describe('rlm ask: negative numbers', () => {
  for (const [flag, value, pattern] of [
    ['--timeout', '-5', /--timeout must be at least 1, got -5/],
    ['--max-iterations', '-1', /--max-iterations must be at least 1, got -1/],
    ['--max-depth', '-2', /--max-depth must be at least 0, got -2/],
    ['--concurrency', '0', /--concurrency must be at least 1, got 0/],
    ['--max-cost', '-3', /--max-cost must be more than \$0, got -3/],
  ] as const) {
    it(`${flag} ${value}`, async () => {
      assertRefused(await runCli(['ask', '-c', join(dir, 'g', 'a.md'), flag, value, 'q']), 2, pattern);
    });
  }
});

describe('every command takes --help: usage on stdout, exit 0', () => {
  for (const args of [
    ['--help'],
    ['ask', '--help'],
    ['ask', '-h'],
    ['demo', '--help'],
    ['view', '--help'],
    ['view', '-h'],
    ['bench', '--help'],
    ['bench', 'run', '--help'],
    ['bench', 'export', '--help'],
    ['bench', 'report', '--help'],
  ]) {
    it(`rlm ${args.join(' ')}`, async () => {
      const run = await runCli(args);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^Usage: rlm/);
      assert.equal(run.stderr, '');
    });
  }
});

describe('rlm ask: models the endpoint does not list', () => {
  it('a root model or a sub-model not listed is refused before the first root turn, exit 3', async () => {
    const before = server.requests.length;
    const a = join(dir, 'g', 'a.md');
    assertRefused(
      await runCli(['ask', '-c', a, '--base-url', server.url, '--model', 'rr', 'q']),
      3,
      /does not list the model "rr" \(--model\); it lists: r, s$/,
    );
    assertRefused(
      await runCli(['ask', '-c', a, '--base-url', server.url, '--model', 'r', '--sub-model', 'ss', 'q']),
      3,
      /does not list the model "ss" \(--sub-model\)/,
    );
    assert.equal(server.requests.length, before, 'no request was made');
  });

  it('an endpoint that cannot list its models is taken at its word', async () => {
    // A bare OpenAI-compatible server without GET /v1/models.
    const bare: Server = createServer((req, res) => {
      if (req.method === 'GET') return void res.writeHead(404).end('not here');
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 0,
            model: 'any',
            choices: [{ index: 0, message: { role: 'assistant', content: 'FINAL(fine)' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/v1`;
      const run = await runCli(['ask', '-q', '-c', join(dir, 'g', 'a.md'), '--base-url', url, '--model', 'anything', 'q']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'fine\n');
    } finally {
      await new Promise((resolve) => bare.close(resolve));
    }
  });
});

describe('rlm ask --prices', () => {
  it('a file that is not JSON is refused in one line that quotes the whole complaint', async () => {
    const prices = join(dir, 'prices.yaml');
    await writeFile(prices, 'mine:\n  input: 1\n  output: 2\n');
    const run = await runCli(['ask', '--prices', prices, '-c', join(dir, 'g', 'a.md'), ...endpoint(), 'q']);
    assertRefused(
      run,
      2,
      /the prices file .*prices\.yaml is not valid JSON: Unexpected token 'm', "mine:\\n {2}in"\.\.\. is not valid JSON$/,
    );
  });
});
