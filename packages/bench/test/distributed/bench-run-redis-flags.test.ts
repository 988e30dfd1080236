/**
 * `rlm bench run --redis`: what the submitting side needs (the models' names, no key, no
 * endpoint) and what it refuses in one line before anything is queued.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { noStack, runCli } from '../cli/support.ts';

const REDIS = 'redis://127.0.0.1:9';

describe('rlm bench run --redis', () => {
  it('plans without a key or an endpoint: the models by name, 8 instances at once unless told', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'rlm-bench-redis-')), 'results');
    const args = ['bench', 'run', '--redis', REDIS, '--tasks', 'sniah', '--sizes', '8k', '-n', '3', '--out', out, '--dry-run'];
    const run = await runCli([...args, '--model', 'root', '--sub-model', 'sub']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^rlm bench: 15 runs \(sniah at 8k; 3 each; .*\) with root and sub for sub-calls\.$/m);
    assert.match(run.stdout, new RegExp(`^  On the rlm workers of ${REDIS}, 8 instances at once\\.$`, 'm'));

    const fromEnv = await runCli([...args, '--concurrency', '3'], { env: { RLM_MODEL: 'root' } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /with root\.\n/);
    assert.match(fromEnv.stdout, /3 instances at once\./);
  });

  it('refuses in one line what the workers decide, traces, and a bench without a model name', async () => {
    const bench = ['bench', 'run', '--redis', REDIS, '--tasks', 'sniah', '--sizes', '8k', '-n', '1', '--dry-run'];
    for (const [args, message] of [
      [['--model', 'root', '--traces'], '--traces is not supported with --redis yet: the runs, and so their events, are on the workers'],
      [
        ['--model', 'root', '--base-url', 'http://127.0.0.1:1/v1'],
        '--base-url does not go with --redis: the workers call their own endpoint (rlm worker --base-url)',
      ],
      [
        ['--model', 'root', '--provider', 'anthropic'],
        '--provider does not go with --redis: the workers speak to their own endpoint (rlm worker --provider)',
      ],
      [[], "--redis needs --model (or RLM_MODEL): the workers' endpoint is theirs, so the bench cannot pick its default"],
      [['--redis', ' '], "--redis needs the workers' Redis: redis://host:port"],
    ] as const) {
      const run = await runCli([...bench, ...args], { env: { OPENAI_API_KEY: 'sk-unused' } });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr, `rlm: ${message}\n`);
      assert.ok(noStack(run.stderr));
    }
  });
});
