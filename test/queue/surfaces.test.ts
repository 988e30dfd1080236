/**
 * Every surface of a server whose runs are run by workers (`rlm serve --redis`), with the client
 * its users run: the official openai client streaming a chat completion, a run cancelled from
 * the other server, and the MCP SDK's client asking over a corpus that the worker reads from the
 * same folder, with progress notifications.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer, type ScriptedRequest } from '../../src/testing/index.ts';
import { RlmError } from '../../src/errors.ts';
import { RemoteJobs } from '../../src/queue/remote-jobs.ts';
import { launchChromium, skipWithoutChromium } from '../support/browser.ts';
import { skipWithoutRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { endedRun, runState, startServer, startWorker, stopAll, submitRun, type RlmProcess } from './cluster.ts';

describe('a server whose runs are run by workers, through each of its surfaces', { skip: skipWithoutRedis, timeout: 240_000 }, () => {
  let redis: TestRedis;
  let model: ScriptedModelServer;
  const processes: RlmProcess[] = [];
  let servers: string[] = [];
  const requests: string[] = [];
  /** A run whose context says "hold" waits here for its first sub-call's answer. */
  let releaseHeld: (() => void) | undefined;
  const held = new Promise<void>((resolve) => (releaseHeld = resolve));
  let dir: string;

  before(async () => {
    redis = await startRedis();
    model = await startScriptedServer({
      script: async (request: ScriptedRequest) => {
        requests.push(JSON.stringify(request.messages));
        if (request.lastUser.startsWith('SUB:')) {
          if (request.lastUser.includes('hold')) await held;
          return `seen ${request.lastUser.slice(4)}`;
        }
        return byTurn([
          repl("const seen = await llm_query('SUB:' + String(context).slice(0, 40)); print(seen)"),
          repl("FINAL(typeof context === 'string' ? 'answer: ' + context.slice(0, 12) : 'files: ' + context.length)"),
        ])(request);
      },
    });
    dir = await mkdtemp(join(tmpdir(), 'rlm-surfaces-'));
    await mkdir(join(dir, 'docs'));
    await writeFile(join(dir, 'docs', 'a.md'), 'alpha');
    await writeFile(join(dir, 'docs', 'b.md'), 'beta');
    await mkdir(join(dir, 'private'));
    await writeFile(join(dir, 'private', 'c.md'), "not under the workers' --root");
    processes.push(
      startWorker(redis.url, model.url, ['--root', join(dir, 'docs')]),
      startWorker(redis.url, model.url, ['--root', join(dir, 'docs')]),
    );
    const corpora = ['--corpus', `docs=${join(dir, 'docs')}`, '--corpus', `private=${join(dir, 'private')}`];
    const a = startServer(redis.url, join(dir, 'a'), corpora);
    const b = startServer(redis.url, join(dir, 'b'), corpora);
    processes.push(a, b);
    await Promise.all(processes.map((p) => p.ready));
    servers = [await a.ready, await b.ready];
  });

  after(async () => {
    releaseHeld?.();
    await stopAll(processes);
    await model?.close();
    await redis?.stop();
  });

  it('streams a chat completion to the openai client: progress as reasoning, then the answer, with usage', async () => {
    const client = new OpenAI({ baseURL: `${servers[0]}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'rlm',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'user', content: 'the ledger for March' },
        { role: 'user', content: 'what is it?' },
      ],
    });
    let content = '';
    let reasoning = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      content += delta?.content ?? '';
      reasoning += delta?.reasoning_content ?? '';
      usage ??= chunk.usage ?? undefined;
    }
    assert.match(content, /^answer: /);
    assert.match(reasoning, /turn 1/);
    assert.ok(usage && usage.total_tokens > 0, JSON.stringify(usage));
  });

  it('cancels from the other server a run a worker is running: the model is asked nothing more', async () => {
    const id = await submitRun(servers[0]!, { query: 'q', context: 'hold this one' });
    for (let tries = 0; !requests.some((r) => r.includes('SUB:hold')); tries++) {
      assert.ok(tries < 600, 'the run reached its sub-call');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const cancelled = await fetch(`${servers[1]}/v1/runs/${id}`, { method: 'DELETE' });
    assert.equal(cancelled.status, 200);
    const run = await endedRun(servers[0]!, id);
    assert.equal(run.state, 'cancelled');
    assert.equal(run.answer, undefined);
    assert.match(run.error?.message ?? '', /cancelled by the client/);
    const asked = requests.filter((r) => r.includes('hold this one')).length;
    releaseHeld?.();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(requests.filter((r) => r.includes('hold this one')).length, asked, 'no request after the cancel');
    assert.equal((await runState(servers[1]!, id)).state, 'cancelled');
  });

  it('answers an MCP ask over a corpus the worker reads from the same folder, with progress', async () => {
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${servers[1]}/mcp`)));
    const progress: string[] = [];
    const result = await client.callTool({ name: 'ask', arguments: { query: 'how many files?', corpus: 'docs' } }, undefined, {
      onprogress: (p) => progress.push(p.message ?? ''),
    });
    assert.equal((result.content as { text: string }[])[0]!.text.split('\n')[0], 'files: 2', JSON.stringify(result));
    assert.ok(
      progress.some((line) => /turn/.test(line)),
      `progress: ${JSON.stringify(progress)}`,
    );
    await client.close();
  });

  it(
    'shows the queue and its workers on the web page, and a run started on one server on the page of the other',
    { skip: skipWithoutChromium },
    async () => {
      const id = await submitRun(servers[0]!, { query: 'q', context: 'seen from afar' });
      await endedRun(servers[0]!, id);
      const browser = await launchChromium();
      try {
        const tab = await browser.newPage();
        await tab.goto(`${servers[1]}/`);
        await tab.locator('#health', { hasText: 'waiting' }).waitFor();
        assert.match(
          (await tab.textContent('#health')) ?? '',
          /running \(of 8 at once\), \d+ waiting · 0 failed on the queue · ended: .*done/,
        );
        await tab.locator('#workers li').nth(1).waitFor();
        assert.equal(await tab.locator('#workers li').count(), 2);
        assert.match((await tab.locator('#workers li').first().textContent()) ?? '', /^worker \S+: \d+ of 4 running, \d+ finished/);
        await tab.locator(`[data-run="${id}"]`).waitFor();
        await tab.goto(`${servers[1]}/runs/${id}`);
        await tab.waitForSelector('#answer-box');
        assert.match((await tab.textContent('#answer-box')) ?? '', /answer: seen from af/);
        await tab.waitForSelector('[data-turn="r0:2"]');
      } finally {
        await browser.close();
      }
    },
  );

  it("fails a job of a kind no worker runs with the worker's reason and code", async () => {
    const jobs = await RemoteJobs.connect(redis.url);
    try {
      await assert.rejects(jobs.run('nonsense', { any: 1 }), (error: unknown) => {
        assert.ok(RlmError.isInstance(error));
        assert.equal(error.code, 'RLM_USAGE');
        assert.match(error.message, /a worker failed the nonsense job: this worker cannot run jobs of kind "nonsense"/);
        return true;
      });
    } finally {
      await jobs.close();
    }
  });

  it("ends a run over a corpus outside the workers' folders with that error, not an answer", async () => {
    const id = await submitRun(servers[0]!, { model: 'rlm/private', query: 'what is in it?' });
    const run = await endedRun(servers[0]!, id);
    assert.equal(run.state, 'error');
    assert.equal(run.answer, undefined);
    assert.match(run.error?.message ?? '', /this worker may not read .*private.*--root/);
    assert.ok(!requests.some((r) => r.includes('not under the workers')), 'nothing of it reached a model');
  });
});
