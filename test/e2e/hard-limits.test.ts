/**
 * Limits are promises: with 64 sub-calls in flight at once, what the scripted server itself
 * counted never passes a cost or token limit, and a run that ends without a final answer gives
 * none. Before reserves, `--max-cost 0.5` with 24 concurrent sub-calls spent $0.9986.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Price } from '../../src/models/prices.ts';
import { repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { runCli } from '../cli/support.ts';
import { scriptedRun } from './support.ts';

const FAN_OUT = repl(
  'const parts = Array.from({ length: 64 }, (_, i) => `part ${i}: ` + "lorem ipsum ".repeat(1500));\nconst notes = await llm_query_batched(parts);\nprint(notes.filter((n) => !n.startsWith("Error")).length)',
);
const PRICES: Record<string, Price> = { root: { input: 2, cachedInput: 0.2, output: 8 }, sub: { input: 1, cachedInput: 0.1, output: 4 } };
/** A long sub-answer: 2,000 tokens of output by the server's count. */
const LONG_NOTE = 'note '.repeat(1600);

function spentByServer(server: ScriptedModelServer): { tokens: number; costUsd: number } {
  let tokens = 0;
  let costUsd = 0;
  for (const request of server.requests) {
    if (!request.usage) continue;
    tokens += request.usage.prompt_tokens + request.usage.completion_tokens;
    const price = PRICES[request.model]!;
    costUsd += (request.usage.prompt_tokens * price.input + request.usage.completion_tokens * price.output) / 1e6;
  }
  return { tokens, costUsd };
}

describe('hard limits with 64 sub-calls in flight', () => {
  for (const limit of ['cost', 'tokens'] as const) {
    it(`a ${limit} limit is never passed, by the server's own count, and the run is stopped by it`, async () => {
      const limits = limit === 'cost' ? { maxCostUsd: 0.5 } : { maxTokens: 150_000 };
      const run = await scriptedRun([FAN_OUT, FAN_OUT, FAN_OUT, 'What I have:\nFINAL(partial)'], {
        limits,
        prices: PRICES,
        concurrency: 64,
        sub: () => ({ content: LONG_NOTE, delayMs: 20 }),
      });
      try {
        const result = await run.rlm.run({ context: 'x'.repeat(1000), query: 'q' });
        const spent = spentByServer(run.server);
        if (limit === 'cost') assert.ok(spent.costUsd <= 0.5, `spent $${spent.costUsd}`);
        else assert.ok(spent.tokens <= 150_000, `spent ${spent.tokens} tokens`);
        // Stopped by the limit, not by running out of work: more than one sub-call ran, not all.
        const subs = run.server.requests.filter((r) => r.model === 'sub').length;
        assert.ok(subs > 1 && subs < 192, `${subs} sub-calls`);
        assert.equal(result.status, 'budget');
        assert.equal(result.error?.code, 'RLM_BUDGET_EXCEEDED');
        // The ledger agrees with the server.
        assert.ok(Math.abs(result.usage.total.costUsd - spent.costUsd) < 1e-9);
        assert.equal(result.usage.total.inputTokens + result.usage.total.outputTokens, spent.tokens);
        assert.ok(run.server.maxInFlight > 1, 'sub-calls overlapped');
      } finally {
        await run.close();
      }
    });
  }

  it('a call that cannot fit even alone is refused before it is sent: a token limit smaller than the first prompt spends nothing', async () => {
    const run = await scriptedRun([FAN_OUT], { limits: { maxTokens: 2_000 } });
    try {
      const result = await run.rlm.run({ context: 'x'.repeat(1000), query: 'q' });
      assert.equal(run.server.requests.length, 0);
      assert.equal(result.status, 'budget');
      assert.equal(result.answer, undefined);
      assert.match(result.error?.message ?? '', /token limit reached \(2000 tokens\)/);
    } finally {
      await run.close();
    }
  });

  it('a provider that reports no usage is booked at the bounds of each call, so the limit still holds', async () => {
    const run = await scriptedRun([FAN_OUT, FAN_OUT, 'FINAL(partial)'], {
      limits: { maxTokens: 150_000 },
      concurrency: 64,
      sub: () => ({ content: LONG_NOTE, noUsage: true }),
    });
    try {
      const result = await run.rlm.run({ context: 'x'.repeat(1000), query: 'q' });
      assert.equal(result.status, 'budget');
      assert.ok(result.usage.total.estimatedCalls > 1);
      assert.ok(result.usage.total.inputTokens + result.usage.total.outputTokens <= 150_000);
      // Each unreported call was booked at no less than the server would have counted.
      const counted = spentByServer(run.server).tokens;
      assert.ok(result.usage.total.inputTokens + result.usage.total.outputTokens >= counted);
    } finally {
      await run.close();
    }
  });

  it('rlm ask: the limit holds with 64 concurrent sub-calls, stdout stays empty when no answer came, exit code 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-limits-'));
    const prices = join(dir, 'prices.json');
    await writeFile(prices, JSON.stringify(PRICES));
    const context = join(dir, 'context.txt');
    await writeFile(context, 'x'.repeat(1000));
    // A root that never answers: code every turn, then a plan rather than a FINAL.
    const server = await startScriptedServer({
      models: ['root', 'sub'],
      script: (request) =>
        request.model === 'root'
          ? request.lastUser.includes('reached a limit')
            ? 'Thinking...\n```repl\nprint(1)\n```'
            : FAN_OUT
          : { content: LONG_NOTE, delayMs: 20 },
    });
    try {
      const cli = await runCli(
        [
          'ask',
          '-q',
          '-c',
          context,
          '--model',
          'root',
          '--sub-model',
          'sub',
          '--base-url',
          server.url,
          '--prices',
          prices,
          '--max-cost',
          '0.5',
          '--concurrency',
          '64',
          'q',
        ],
        {
          env: { RLM_API_KEY: 'k' },
        },
      );
      assert.ok(spentByServer(server).costUsd <= 0.5, `spent $${spentByServer(server).costUsd}`);
      assert.equal(cli.stdout, '');
      assert.equal(cli.code, 1, cli.stderr);
      assert.match(cli.stderr, /cost limit reached/);
    } finally {
      await server.close();
    }
  });

  it('rlm ask says so when the endpoint reports no usage, and books those calls at their bounds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-usage-'));
    const context = join(dir, 'context.txt');
    await writeFile(context, 'x'.repeat(1000));
    const server = await startScriptedServer({ models: ['root'], script: () => ({ content: repl("FINAL('done')"), noUsage: true }) });
    try {
      const cli = await runCli(['ask', '-c', context, '--model', 'root', '--base-url', server.url, '--json', 'q'], {
        env: { RLM_API_KEY: 'k' },
      });
      assert.equal(cli.code, 0, cli.stderr);
      const out = JSON.parse(cli.stdout) as { answer: string; usage: { total: { estimatedCalls: number; outputTokens: number } } };
      assert.equal(out.answer, 'done');
      assert.equal(out.usage.total.estimatedCalls, 1);
      assert.ok(out.usage.total.outputTokens > 0);
      assert.match(cli.stderr, /the endpoint reported no usage for 1 call: booked at the most each could have used/);
    } finally {
      await server.close();
    }
  });
});
