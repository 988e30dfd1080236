/**
 * Load on a real `rlm serve` process: 50 chat requests at once against a cap of 8 runs and a queue
 * of 16, every model call taking 100 ms. Each request is answered (its own answer) or refused with
 * 429 and a Retry-After; none is lost or left hanging. Five of them are streams their clients drop
 * mid-run: those runs stop asking the model. After the burst, the server's memory is back near
 * where it started.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { byTurn, repl, startScriptedServer, type ScriptedRequest } from '../../src/testing/index.ts';
import { BIN } from '../cli/support.ts';
import { until } from './chat-harness.ts';

const MIB = 1024 * 1024;

/** A run asked `QUERY:<n>` makes one sub-call, then answers `answer to <n>`; one asked `DROP:<n>` looks forever. */
function script(request: ScriptedRequest) {
  if (request.model === 'sub') return 'a sub-call reply';
  const text = request.messages.map((m) => m.content).join('\n');
  if (/DROP:\d+/.test(text)) return repl("print('still looking')");
  const n = /QUERY:(\d+)/.exec(text)?.[1] ?? '?';
  return byTurn([repl("print(await llm_query('look'))"), repl(`FINAL('answer to ${n}')`)])(request);
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** The RSS of the process and of every process under it (its REPLs), and how many those are. */
async function treeRss(pid: number): Promise<{ rss: number; processes: number }> {
  let rss = 0;
  let processes = 0;
  const visit = async (id: number): Promise<void> => {
    try {
      rss += await rssOf(id);
      processes++;
      const children = await readFile(`/proc/${id}/task/${id}/children`, 'utf8');
      for (const child of children.trim().split(/\s+/).filter(Boolean)) await visit(Number(child));
    } catch {
      // gone between the listing and the read
    }
  };
  await visit(pid);
  return { rss, processes };
}

type Outcome = { kind: 'answered'; content: string } | { kind: 'refused'; retryAfter: string | null } | { kind: 'failed'; error: string };

describe('rlm serve under load', () => {
  it(
    '50 requests at once, a cap of 8: each answered or told 429 with Retry-After; dropped streams stop spending; memory comes back',
    { timeout: 300_000 },
    async (t) => {
      const scripted = await startScriptedServer({ script, latencyMs: 100 });
      const traces = await mkdtemp(join(tmpdir(), 'rlm-load-'));
      const child = spawn(
        process.execPath,
        [
          BIN,
          'serve',
          '--port',
          '0',
          '--base-url',
          scripted.url,
          '--model',
          'root',
          '--sub-model',
          'sub',
          '--max-runs',
          '8',
          '--max-queued',
          '16',
          '--trace-dir',
          traces,
        ],
        { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      try {
        await until(() => /http:\/\/\S+\/v1 ·/.test(stderr) || child.exitCode !== null);
        const baseURL = /(http:\/\/\S+\/v1) ·/.exec(stderr)?.[1];
        assert.ok(baseURL, stderr);
        const client = new OpenAI({ baseURL, apiKey: 'none', maxRetries: 0, timeout: 120_000 });
        const ask = (content: string) => client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content }] });

        // Warm up (the first run loads the REPL's code), then take the baseline.
        assert.equal((await ask('QUERY:0')).choices[0]!.message.content, 'answer to 0');
        const startRss = await rssOf(child.pid!);

        // Five streams that will be dropped, each once its run has begun.
        const drops = await Promise.all(
          [1, 2, 3, 4, 5].map(async (n) => {
            const stream = await client.chat.completions.create({
              model: 'rlm',
              messages: [{ role: 'user', content: `DROP:${n}` }],
              stream: true,
            });
            const iterator = stream[Symbol.asyncIterator]();
            for (;;) {
              const next = await iterator.next();
              assert.ok(!next.done, 'a dropped stream ended before its run began');
              if ((next.value.choices[0]?.delta as { reasoning_content?: string }).reasoning_content?.includes('turn 1')) return iterator;
            }
          }),
        );
        const dropped = (n: number) => scripted.requests.filter((r) => r.messages.some((m) => m.content.includes(`DROP:${n}`))).length;

        // The 45 others, all at once: a third of them streamed.
        const startTree = await treeRss(child.pid!);
        let peakRss = startRss;
        let peakTree = startTree;
        const sampling = setInterval(() => {
          void rssOf(child.pid!).then(
            (rss) => (peakRss = Math.max(peakRss, rss)),
            () => {},
          );
          void treeRss(child.pid!).then((tree) => (peakTree = tree.rss > peakTree.rss ? tree : peakTree));
        }, 100);
        const burst = Array.from({ length: 45 }, async (_, i): Promise<Outcome> => {
          const n = i + 1;
          try {
            if (i % 3 !== 0) return { kind: 'answered', content: (await ask(`QUERY:${n}`)).choices[0]!.message.content ?? '' };
            const stream = await client.chat.completions.create({
              model: 'rlm',
              messages: [{ role: 'user', content: `QUERY:${n}` }],
              stream: true,
              stream_options: { include_usage: true },
            });
            let content = '';
            for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
            return { kind: 'answered', content };
          } catch (error) {
            if (error instanceof OpenAI.RateLimitError) return { kind: 'refused', retryAfter: error.headers?.get('retry-after') ?? null };
            return { kind: 'failed', error: String(error) };
          }
        });
        // Dropped mid-burst, while runs queue behind them.
        for (const iterator of drops) await iterator.return?.();
        const dropCounts = [1, 2, 3, 4, 5].map(dropped);
        const outcomes = await Promise.all(burst);
        clearInterval(sampling);

        const answered = outcomes.flatMap((o, i) => (o.kind === 'answered' ? [{ n: i + 1, content: o.content }] : []));
        const refused = outcomes.filter((o) => o.kind === 'refused');
        const failed = outcomes.filter((o) => o.kind === 'failed');
        assert.deepEqual(failed, [], 'no request failed otherwise');
        assert.equal(answered.length + refused.length, 45, 'every request accounted for');
        for (const { n, content } of answered) assert.equal(content, `answer to ${n}`);
        for (const o of refused) assert.ok(Number((o as { retryAfter: string }).retryAfter) >= 1, 'Retry-After on every 429');
        assert.ok(refused.length > 0, 'the burst went past the queue');
        assert.ok(answered.length >= 8 + 16 - 5, `at least the slots and the queue were answered, got ${answered.length}`);

        // A dropped run asked nothing more after its client left (each asks one turn at a time).
        await until(() => scripted.inFlight === 0);
        const after = [1, 2, 3, 4, 5].map(dropped);
        for (const [i, count] of after.entries())
          assert.ok(count <= dropCounts[i]! + 1, `run DROP:${i + 1} kept asking: ${dropCounts[i]} then ${count}`);
        assert.ok(
          after.every((count) => count < 10),
          `dropped runs stopped early: ${after.join(', ')}`,
        );

        const health = (await (await fetch(`${baseURL}/health`)).json()) as { running: number; queued: number };
        assert.deepEqual([health.running, health.queued], [0, 0]);

        // Memory back near where it was: read until it settles under the bound (the GC frees in its own time).
        const bound = startRss + 150 * MIB;
        let endRss = await rssOf(child.pid!);
        for (let i = 0; i < 100 && endRss >= bound; i++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          endRss = await rssOf(child.pid!);
        }
        const endTree = await treeRss(child.pid!);
        const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
        t.diagnostic(
          `answered ${answered.length}, refused 429 ${refused.length}; server RSS start ${mib(startRss)}, peak ${mib(peakRss)}, after ${mib(endRss)}; with its REPL processes: start ${mib(startTree.rss)} (${startTree.processes} processes), peak ${mib(peakTree.rss)} (${peakTree.processes}), after ${mib(endTree.rss)} (${endTree.processes}); dropped runs' requests ${after.join(', ')}`,
        );
        assert.ok(endRss < bound, `RSS ${(endRss / MIB).toFixed(1)} MiB, start ${(startRss / MIB).toFixed(1)} MiB`);

        child.kill('SIGTERM');
        assert.equal(await exited, 0, stderr);
      } finally {
        child.kill('SIGKILL');
        await scripted.close();
      }
    },
  );
});
