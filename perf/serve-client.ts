/**
 * A client of `rlm serve` as a user writes one: the official `openai` npm client asking the
 * same trivial question `--n` times, `--concurrency` at a time, streamed or not. It checks every
 * answer and prints one JSON line: requests, wall time, per-request latencies.
 *
 *   node perf/serve-client.ts http://127.0.0.1:8787/v1 --n 20 [--concurrency 1] [--stream] [--expect 42]
 */
import OpenAI from 'openai';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    n: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1' },
    stream: { type: 'boolean', default: false },
    expect: { type: 'string', default: '42' },
  },
});
const baseURL = positionals[0];
if (!baseURL) throw new Error('usage: serve-client.ts <base-url> [--n N] [--concurrency C] [--stream] [--expect ANSWER]');
const n = Number(values.n);
const concurrency = Number(values.concurrency);

const client = new OpenAI({ baseURL, apiKey: process.env.RLM_SERVER_TOKEN ?? 'none', maxRetries: 0, timeout: 600_000 });
const messages = [{ role: 'user' as const, content: 'What is 6 x 7?' }];

async function ask(): Promise<string> {
  if (!values.stream) {
    const completion = await client.chat.completions.create({ model: 'rlm', messages });
    return completion.choices[0]?.message.content ?? '';
  }
  let answer = '';
  const stream = await client.chat.completions.create({ model: 'rlm', messages, stream: true });
  for await (const chunk of stream) answer += chunk.choices[0]?.delta.content ?? '';
  return answer;
}

const latencies: number[] = [];
let next = 0;
let wrong = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) {
      next++;
      const t0 = performance.now();
      const answer = await ask();
      latencies.push(performance.now() - t0);
      if (answer.trim() !== values.expect) wrong++;
    }
  }),
);
const wallMs = performance.now() - started;
const sorted = [...latencies].sort((a, b) => a - b);
const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);
console.log(
  JSON.stringify({
    requests: n,
    concurrency,
    stream: values.stream,
    wrong,
    wallMs: Math.round(wallMs),
    perSecond: +(n / (wallMs / 1000)).toFixed(2),
    latencyMs: { min: at(0), median: at(0.5), max: at(1) },
  }),
);
if (wrong > 0) process.exitCode = 1;
