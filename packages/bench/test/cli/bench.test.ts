import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { REPORT_OPTIONS } from '../../src/cli/bench-report.ts';
import { RUN_OPTIONS } from '../../src/cli/bench-run.ts';
import { EXPORT_OPTIONS } from '../../src/cli/bench.ts';
import { codeBaseTokens, generateTask, scoreAnswer, type TaskInstance } from '../../src/tasks/index.ts';
import { startScriptedServer, type ScriptedModelServer, type ScriptedRequest, type ScriptedServerOptions } from 'rlm/testing';
import { benchModel } from '../benchmark/scripted-models.ts';
import { PACKAGE_ROOT } from '../tasks/code-rules.ts';
import { BIN, noStack, runCli } from './support.ts';

describe('rlm bench --help', () => {
  it('names every flag that run and export accept, and run --help and export --help print it too', async () => {
    const help = await runCli(['bench', '--help']);
    assert.equal(help.code, 0);
    for (const [name, option] of Object.entries({ ...RUN_OPTIONS, ...EXPORT_OPTIONS, ...REPORT_OPTIONS })) {
      assert.match(help.stdout, new RegExp(`${'short' in option ? `-${option.short}, ` : ''}--${name}\\b`), name);
    }
    for (const sub of ['run', 'export', 'report']) assert.deepEqual(await runCli(['bench', sub, '--help']), { ...help, stderr: '' });
  });
});

describe('rlm bench export', () => {
  it('writes one task a line, the same for the same seed, each scorable against its own truth', async () => {
    const args = [
      'bench',
      'export',
      '--tasks',
      'sniah,oolong,oolong-pairs,browsecomp,codeqa',
      '--code',
      PACKAGE_ROOT,
      '--sizes',
      '8k,16k',
      '-n',
      '2',
      '--seed',
      '4',
    ];
    const run = await runCli(args);
    assert.equal(run.code, 0, run.stderr);
    const tasks = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TaskInstance);
    const families = ['sniah', 'oolong', 'oolong-pairs', 'browsecomp', 'codeqa'];
    assert.equal(tasks.length, 20);
    assert.deepEqual(
      tasks.map((t) => t.id.replace(/-[0-9a-f]{8}$/, '')),
      families.flatMap((f) => ['8k', '16k'].flatMap((s) => [0, 1].map((i) => `${f}-${s}-${i}-s4`))),
    );
    assert.deepEqual(tasks[7], generateTask('oolong', 16_000, 1, 4));
    assert.deepEqual(tasks[13], generateTask('browsecomp', 8_000, 1, 4));
    assert.deepEqual(tasks[19], generateTask('codeqa', 16_000, 1, 4, { codeRoot: PACKAGE_ROOT }));
    assert.deepEqual(
      tasks.slice(16).map((t) => t.score),
      ['choice', 'choice', 'choice', 'choice'],
    );
    for (const task of tasks) assert.equal(scoreAnswer(task, task.answer), 1, task.id);
    assert.equal((await runCli(args)).stdout, run.stdout);
  });

  it('writes to a file with -o and says so', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'rlm-bench-')), 'tasks.jsonl');
    const run = await runCli(['bench', 'export', '--tasks', 'sniah', '--sizes', '8k', '-n', '3', '-o', path]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /wrote 3 tasks to .*tasks\.jsonl/);
    assert.equal((await readFile(path, 'utf8')).trim().split('\n').length, 3);
  });

  it('ends quietly, and at once, when its reader stops early (rlm bench export | head -1)', async () => {
    const child = spawn(process.execPath, [BIN, 'bench', 'export', '--tasks', 'sniah', '--sizes', '1m', '-n', '50'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // Like `head -1`: read the first line, then close the pipe.
    let first = '';
    for await (const chunk of child.stdout) {
      first += (chunk as Buffer).toString();
      if (first.includes('\n')) break;
    }
    child.stdout.destroy();
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal((JSON.parse(first.slice(0, first.indexOf('\n'))) as TaskInstance).id, 'sniah-1m-0-s1');
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('bad usage is one line and exit 2', async () => {
    for (const [args, pattern] of [
      [['bench', 'export', '--tasks', 'nope'], /unknown task 'nope'/],
      [['bench', 'export', '--sizes', 'big'], /--sizes: a size must look like 8k/],
      [
        ['bench', 'export', '--tasks', 'codeqa', '--code', '/nonexistent/tree'],
        /--code: \/nonexistent\/tree is not a folder; point at a package tree with JavaScript or TypeScript sources/,
      ],
      [['bench', 'export', '-n', '0'], /--instances must be at least 1, got 0/],
      [['bench', 'export', '-o', '/nonexistent/dir/x.jsonl'], /cannot write \/nonexistent\/dir\/x\.jsonl: ENOENT/],
      [['bench', 'frob'], /unknown bench command 'frob'/],
      [['bench', 'run', '--methods', 'rlm,guess'], /--methods: unknown method 'guess'/],
      [['bench', 'run', '--max-cost', 'free'], /--max-cost expects an amount in USD above 0, got 'free'/],
      [['bench', 'run', '--repl', 'ruby'], /--repl must be js or python/],
      [['bench', 'run', '--top-k', '0'], /--top-k must be at least 1, got 0/],
      [['bench', 'run', '--passage', 'big'], /--passage: a size must look like 8k/],
      [['bench', 'run', '--concurrency', '-2'], /--concurrency must be at least 1, got -2/],
      [['bench', 'export', '-n', '-3'], /--instances must be at least 1, got -3/],
    ] as const) {
      const run = await runCli([...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr.trim().split('\n').length, 1);
      assert.match(run.stderr, pattern);
      assert.ok(noStack(run.stderr));
    }
  });
});

/** A scripted server and an output folder for one bench; the server is closed whatever happens. */
async function withBenchServer(
  options: ScriptedServerOptions,
  body: (server: ScriptedModelServer, out: string) => Promise<void>,
): Promise<void> {
  const server = await startScriptedServer(options);
  try {
    await body(server, join(await mkdtemp(join(tmpdir(), 'rlm-bench-run-')), 'results'));
  } finally {
    await server.close();
  }
}

describe('rlm bench run', () => {
  it('prints the plan and an estimate, writes results, table and chart, and resumes when run again', async () => {
    await withBenchServer({ script: benchModel }, async (server, out) => {
      const args = [
        'bench',
        'run',
        '--tasks',
        'sniah,oolong',
        '--sizes',
        '64k',
        '-n',
        '2',
        '--methods',
        'rlm,direct',
        '--window',
        '8k',
        '--base-url',
        server.url,
        '--model',
        'root',
        '--sub-model',
        'sub',
        '--out',
        out,
      ];
      const run = await runCli(args);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /rlm bench: 8 runs \(sniah, oolong at 64k; 2 each; rlm, direct\) with root and sub for sub-calls\./);
      assert.match(run.stderr, /Estimate \(rough\): about 528K input tokens, cost unknown/);
      assert.match(run.stderr, /sniah-64k-0-s1 · rlm: score 1\.00 · done/);
      assert.match(run.stdout, /\| rlm \| 100\.0 \(\d+K tokens\) \| 100\.0 \(\d+K tokens\) \|/);
      assert.match(
        run.stdout,
        /\| sniah \| rlm \| 2 \| 100\.0 \| \$0\.00 \| \$0\.00 \| \$0\.00 \| \d+K \/ [\d.]+K? \| [\d.]+ s \| cost unknown in 2 \|/,
      );
      const rows = (await readFile(join(out, 'results.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { method: string; cut?: unknown });
      assert.equal(rows.length, 8);
      assert.ok(
        rows.filter((r) => r.method === 'direct').every((r) => r.cut),
        'direct was cut to its 8K window',
      );
      assert.equal(await readFile(join(out, 'report.md'), 'utf8'), run.stdout);
      assert.match(
        await readFile(join(out, 'chart.svg'), 'utf8'),
        /^<svg[^>]+>.*data-method="rlm" data-family="sniah" data-size="64000" data-score="100.00"/s,
      );

      const served = server.requests.length;
      const again = await runCli(args);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /8 results were already in .*results\.jsonl and were not run again/);
      assert.equal(server.requests.length, served);
      assert.equal(again.stdout, run.stdout);

      // Another window for direct into the same folder: refused before the plan, nothing run.
      const otherWindow = await runCli(args.map((arg) => (arg === '8k' ? '16k' : arg)));
      assert.equal(otherWindow.code, 2);
      assert.equal(
        otherWindow.stderr,
        `rlm: ${join(out, 'results.jsonl')} holds direct results run with window 8000, not 16000: give another output folder to run with other settings, or remove the file to start again\n`,
      );
      assert.equal(server.requests.length, served);
    });
  });

  it('runs every method through the Anthropic Messages API with --provider anthropic', async () => {
    // The server refuses any request without the key, sent as Anthropic's x-api-key.
    await withBenchServer({ script: benchModel, apiKey: 'test-key' }, async (server, out) => {
      const methods = ['rlm', 'rlm-no-subcalls', 'direct', 'summary', 'retrieval'];
      const run = await runCli(
        [
          'bench',
          'run',
          '--provider',
          'anthropic',
          '--base-url',
          server.anthropicUrl,
          '--model',
          'claude-root',
          '--sub-model',
          'claude-sub',
          '--tasks',
          'sniah',
          '--sizes',
          '16k',
          '-n',
          '1',
          '--methods',
          methods.join(','),
          '--window',
          '8k',
          '--out',
          out,
          '-q',
        ],
        { env: { ANTHROPIC_API_KEY: 'test-key' } },
      );
      assert.equal(run.code, 0, run.stderr);
      const rows = (await readFile(join(out, 'results.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { method: string; status: string; calls: number });
      assert.deepEqual(
        rows.map((r) => r.method),
        methods,
      );
      assert.ok(
        rows.every((r) => r.status === 'done' && r.calls > 0),
        JSON.stringify(rows),
      );
      assert.ok(server.requests.length > 0 && server.requests.every((r) => r.wire === 'anthropic'));
      assert.deepEqual([...new Set(server.requests.map((r) => r.model))].sort(), ['claude-root', 'claude-sub']);
    });
  });

  it('Ctrl-C stops the bench with exit 130 and says how to resume; the same command then runs only what is left', async () => {
    let hang = true;
    let requests = 0;
    // The first run's second request hangs until the bench is interrupted.
    const script = (request: ScriptedRequest) => (hang && ++requests >= 2 ? { fail: 'hang' as const } : benchModel(request));
    await withBenchServer({ script }, async (server, out) => {
      const args = [
        'bench',
        'run',
        '--tasks',
        'sniah',
        '--sizes',
        '16k',
        '-n',
        '3',
        '--methods',
        'direct',
        '--concurrency',
        '1',
        '--base-url',
        server.url,
        '--model',
        'root',
        '--out',
        out,
      ];
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      while (server.requests.length < 2) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGINT');
      const [code] = (await once(child, 'close')) as [number | null];
      assert.equal(code, 130, stderr);
      assert.match(
        stderr,
        /rlm bench: interrupted; the 1 results so far are in .*report\.md and .*chart\.svg; run the same command again to resume from .*results\.jsonl\n$/,
      );
      assert.match(await readFile(join(out, 'report.md'), 'utf8'), /\| sniah \| direct \| 1 \|/);
      assert.ok(noStack(stderr));
      const first = (await readFile(join(out, 'results.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { taskId: string; status: string });
      assert.deepEqual(first[0], { ...first[0], taskId: 'sniah-16k-0-s1', status: 'done' });

      hang = false;
      const again = await runCli(args);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /1 results were already in .*results\.jsonl and were not run again/);
      assert.doesNotMatch(again.stderr, /sniah-16k-0-s1 · direct/);
      assert.match(again.stderr, /sniah-16k-1-s1 · direct: score 1\.00 · done/);
      assert.match(again.stderr, /sniah-16k-2-s1 · direct: score 1\.00 · done/);
      assert.match(again.stdout, /\| sniah \| direct \| 3 \|/);
    });
  });

  it('one bench at a time in a folder: a second is refused in one line while the first runs; a killed one leaves no lock behind', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    // The first bench's first request waits until the test lets it go.
    const script = async (request: ScriptedRequest) => (await held, benchModel(request));
    await withBenchServer({ script }, async (server, out) => {
      const args = [
        'bench',
        'run',
        '--tasks',
        'sniah',
        '--sizes',
        '8k',
        '-n',
        '1',
        '--methods',
        'direct',
        '--base-url',
        server.url,
        '--model',
        'root',
        '--out',
        out,
        '-q',
      ];
      const first = spawn(process.execPath, [BIN, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        stdio: 'ignore',
      });
      while (server.requests.length < 1) await new Promise((r) => setTimeout(r, 20));
      const second = await runCli(args);
      assert.equal(second.code, 2);
      assert.equal(
        second.stderr,
        `rlm: ${out} is in use by another rlm bench (process ${first.pid}): wait for it to end, or give another --out\n`,
      );
      // Killed outright, the first bench cannot remove its lock; the next one takes it over.
      first.kill('SIGKILL');
      await once(first, 'close');
      release();
      const third = await runCli(args);
      assert.equal(third.code, 0, third.stderr);
      assert.match(third.stdout, /\| sniah \| direct \| 1 \|/);
      assert.deepEqual(await readdir(out).then((names) => names.filter((name) => name.includes('lock'))), []);
    });
  });

  it('keeps --max-cost with the prices of --prices; without a price, a cost limit is refused before the plan', async () => {
    await withBenchServer({ script: benchModel }, async (server, out) => {
      const dir = dirname(out);
      const base = [
        'bench',
        'run',
        '--tasks',
        'sniah',
        '--sizes',
        '16k',
        '-n',
        '4',
        '--methods',
        'direct',
        '--concurrency',
        '1',
        '--base-url',
        server.url,
        '--model',
        'root',
        '--out',
        join(dir, 'out'),
      ];
      const unpriced = await runCli([...base, '--max-cost', '1']);
      assert.equal(unpriced.code, 2);
      assert.equal(
        unpriced.stderr,
        'rlm: a cost limit needs a known price, and "root" has none; give its prices per million tokens (--prices, or the `prices` option), or drop the cost limit\n',
      );
      assert.equal(server.requests.length, 0);

      // $10 per million input tokens: a 16K-token instance costs about $0.16. A request is sent only
      // when the most it can cost fits in what is left (its prompt at up to a token a byte, about
      // $0.65, plus its output cap), so $1 pays for three, and never more than $1 is spent.
      const pricesFile = join(dir, 'prices.json');
      await writeFile(pricesFile, JSON.stringify({ root: { input: 10, cachedInput: 1, output: 10 } }));
      const run = await runCli([...base, '--max-cost', '0.2', '--prices', pricesFile].map((a) => (a === '0.2' ? '1' : a)));
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /Estimate \(rough\): about 64K input tokens, about \$0\.66; the bench stops starting instances at \$1\./);
      const rows = (await readFile(join(dir, 'out', 'results.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { costUsd: number; unpricedCalls: number });
      assert.equal(rows.length, 3);
      assert.ok(
        rows.every((r) => r.costUsd > 0.1 && r.unpricedCalls === 0),
        JSON.stringify(rows),
      );
      assert.ok(rows.reduce((n, r) => n + r.costUsd, 0) <= 1);
      assert.match(run.stderr, /1 run was not started: the bench's cost limit was reached/);
      assert.match(run.stdout, /\| direct \| 100\.0 \(\$0\.16\) \|/);
      // Each result with what the bench has spent so far.
      assert.match(run.stderr, /sniah-16k-0-s1 · direct: score 1\.00 · done · \$0\.16\d\d \(bench \$0\.16\)/);
      assert.match(run.stderr, /sniah-16k-1-s1 · direct: score 1\.00 · done · \$0\.16\d\d \(bench \$0\.32\)/);

      // --dry-run: the plan and the estimate on stdout, even with -q, and nothing run.
      const served = server.requests.length;
      const dry = await runCli([...base, '--prices', pricesFile, '--dry-run', '-q']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal(dry.stderr, '');
      assert.match(
        dry.stdout,
        /^rlm bench: 4 runs \(sniah at 16k; 4 each; direct\) with root\.\n  Estimate \(rough\): about 64K input tokens, about \$0\.66\.\n$/,
      );
      assert.equal(server.requests.length, served);

      assert.equal(
        (await runCli([...base, '--prices', join(dir, 'missing.json')])).stderr,
        `rlm: cannot read the prices file ${join(dir, 'missing.json')}\n`,
      );
    });
  });

  it('a key the endpoint refuses stops the bench at once: one line, exit 3', async () => {
    await withBenchServer({ script: benchModel, apiKey: 'the-right-key' }, async (server, out) => {
      const run = await runCli(
        [
          'bench',
          'run',
          '--tasks',
          'sniah',
          '--sizes',
          '8k',
          '-n',
          '5',
          '--methods',
          'direct',
          '--base-url',
          server.url,
          '--model',
          'root',
          '--out',
          out,
          '-q',
        ],
        { env: { RLM_API_KEY: 'a-wrong-key' } },
      );
      assert.equal(run.code, 3);
      assert.match(run.stderr, /^rlm: the bench stopped at sniah-8k-[01]-s1 \(direct\): .* refused the API key \(401\).*\n$/);
      assert.equal(run.stderr.split('\n').length, 2);
      assert.ok(server.requests.length <= 2);
    });
  });

  it('rlm bench report puts two benches of different models side by side, in one table and one chart', async () => {
    await withBenchServer({ script: benchModel }, async (server, out) => {
      const dir = dirname(out);
      const bench = (model: string) =>
        runCli([
          'bench',
          'run',
          '--tasks',
          'sniah',
          '--sizes',
          '8k,16k',
          '-n',
          '1',
          '--methods',
          'rlm,direct',
          '--window',
          '8k',
          '--base-url',
          server.url,
          '--model',
          model,
          '--sub-model',
          'sub',
          '--out',
          join(dir, model),
          '-q',
        ]);
      for (const model of ['root', 'root-2']) assert.equal((await bench(model)).code, 0);
      const report = await runCli(['bench', 'report', join(dir, 'root'), join(dir, 'root-2', 'results.jsonl'), '--out', join(dir, 'both')]);
      assert.equal(report.code, 0, report.stderr);
      assert.match(report.stderr, /^rlm: wrote .*both\/report\.md and .*both\/chart\.svg from 8 results\n$/);
      for (const series of ['rlm · root', 'direct · root', 'rlm · root-2', 'direct · root-2'])
        assert.match(report.stdout, new RegExp(`^\\| ${series} \\| [\\d.]+ \\(`, 'm'), series);
      assert.equal(await readFile(join(dir, 'both', 'report.md'), 'utf8'), report.stdout);
      const chart = await readFile(join(dir, 'both', 'chart.svg'), 'utf8');
      assert.equal([...chart.matchAll(/<circle [^>]*data-method="rlm · root-2"/g)].length, 2);

      for (const [args, pattern] of [
        [
          ['bench', 'report'],
          /^rlm: give the results to report: rlm bench report <the --out folder of a bench, or its results\.jsonl>\.\.\.\n$/,
        ],
        [['bench', 'report', join(dir, 'nothing-here')], /^rlm: no such file or folder: \S+nothing-here\n$/],
        [['bench', 'report', dir], /^rlm: \S+ holds no bench results \(no results\.jsonl in it\)\n$/],
      ] as const) {
        const bad = await runCli([...args]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, pattern);
        assert.equal(bad.stderr.split('\n').length, 2);
      }
    });
  });

  it('estimates a codeqa context as at most its code base', async () => {
    await withBenchServer({ script: benchModel }, async (server, out) => {
      const run = await runCli([
        'bench',
        'run',
        '--tasks',
        'codeqa',
        '--code',
        PACKAGE_ROOT,
        '--sizes',
        '10m',
        '-n',
        '1',
        '--methods',
        'rlm',
        '--base-url',
        server.url,
        '--model',
        'root',
        '--sub-model',
        'sub',
        '--out',
        out,
      ]);
      assert.equal(run.code, 0, run.stderr);
      // The root's turns (60K) and the whole tree once through sub-calls, not 10M tokens.
      const tokens = Math.round((60_000 + codeBaseTokens(PACKAGE_ROOT)) / 1000);
      assert.match(run.stderr, new RegExp(`Estimate \\(rough\\): about ${tokens}K input tokens`));
    });
  });

  it('runs the summary and retrieval baselines and writes a trace per run with --traces', async () => {
    await withBenchServer({ script: benchModel }, async (server, out) => {
      const run = await runCli([
        'bench',
        'run',
        '--tasks',
        'sniah',
        '--sizes',
        '64k',
        '-n',
        '1',
        '--methods',
        'summary,retrieval',
        '--window',
        '8k',
        '--top-k',
        '3',
        '--passage',
        '500',
        '--traces',
        '--base-url',
        server.url,
        '--model',
        'root',
        '--sub-model',
        'sub',
        '--out',
        out,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const rows = (await readFile(join(out, 'results.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              method: string;
              score: number;
              trace: string;
              retrieved?: { passages: number };
              summarised?: { parts: number };
            },
        );
      assert.deepEqual(
        rows.map((r) => r.method),
        ['summary', 'retrieval'],
      );
      assert.ok(rows.every((r) => r.score === 1));
      assert.equal(rows[1]!.retrieved?.passages, 3);
      assert.ok(rows[0]!.summarised!.parts >= 10);
      for (const row of rows) assert.equal(row.trace, join(out, 'traces', `sniah-64k-0-s1.${row.method}.jsonl`));
      assert.match(await readFile(rows[0]!.trace, 'utf8'), /^\{"type":"trace".*\n.*"type":"run-start"/);
    });
  });
});
