/**
 * `rlm serve` under load: `--requests` chat completions sent at once (the official `openai`
 * client, not streamed) to an `rlm serve --max-runs <n>` started here as a process of its own,
 * over a scripted model that answers every call after `--latency` ms. Each run takes 2 root
 * turns: one cell of 4 concurrent `llm_query` calls, then FINAL (perf/serve-scenario.ts, `batch`).
 * While the requests run, /proc is sampled every 25 ms: the server's RSS, and its REPL processes
 * (each run holds one) by count and summed RSS. Prints the figures as JSON.
 *
 *   node --conditions=rlm-source perf/serve-load.ts --max-runs 8 [--requests 50] [--latency 100]
 *
 * The scripted model and the client run in this process; the server and its REPL processes in
 * their own. Nothing is refused: --max-queued is set to the number of requests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { BATCH_SUB_CALLS, startScenarioServer } from './serve-scenario.ts';

const { values } = parseArgs({
  options: {
    'max-runs': { type: 'string', default: '8' },
    requests: { type: 'string', default: '50' },
    latency: { type: 'string', default: '100' },
  },
});
const maxRuns = Number(values['max-runs']);
const requests = Number(values.requests);
const latencyMs = Number(values.latency);
const EXPECTED = `${BATCH_SUB_CALLS} parts ok`;

/** pid -> parent pid, for every process /proc shows. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      map.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended while we looked
    }
  }
  return map;
}

function descendants(root: number): number[] {
  const tree = parents();
  const found: number[] = [];
  const isUnder = (pid: number): boolean => {
    for (let at = tree.get(pid); at !== undefined && at > 1; at = tree.get(at)) if (at === root) return true;
    return false;
  };
  for (const pid of tree.keys()) if (isUnder(pid)) found.push(pid);
  return found;
}

/** RSS in MiB (0 if the process has gone), and whether it is a REPL process (Node under --permission). */
function probe(pid: number): { rssMiB: number; repl: boolean } {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const repl = argv.includes('--permission') && /node$/.test(argv[0] ?? '');
    if (repl) replCpu.set(pid, cpuSeconds(pid, false));
    return { rssMiB: Number(kb ?? 0) / 1024, repl };
  } catch {
    return { rssMiB: 0, repl: false };
  }
}

/** The CPU seconds each REPL process had used when last seen. */
const replCpu = new Map<number, number>();

/** Busy and total ticks of the whole machine, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

interface Sample {
  serverMiB: number;
  repls: number;
  replsMiB: number;
}

function sample(server: number): Sample {
  let repls = 0;
  let replsMiB = 0;
  for (const pid of descendants(server)) {
    const p = probe(pid);
    if (p.repl) repls++;
    replsMiB += p.rssMiB;
  }
  return { serverMiB: probe(server).rssMiB, repls, replsMiB };
}

/** utime + stime in seconds (ticks of 10 ms), with `children`: + cutime + cstime (children reaped). */
function cpuSeconds(pid: number, children = true): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (children ? [11, 12, 13, 14] : [11, 12]).reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
}

const round = (value: number, digits = 0) => Number(value.toFixed(digits));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const model = await startScenarioServer('batch', latencyMs);
const traces = mkdtempSync(join(tmpdir(), 'rlm-serve-load-'));
const serve = spawn(
  process.execPath,
  [
    'bin/rlm.js',
    'serve',
    '--port',
    '0',
    '--base-url',
    model.url,
    '--model',
    'root',
    '--max-runs',
    String(maxRuns),
    '--max-queued',
    String(requests),
    '--trace-dir',
    traces,
  ],
  { cwd: new URL('..', import.meta.url), env: { ...process.env, RLM_API_KEY: 'bench' }, stdio: ['ignore', 'ignore', 'pipe'] },
);
try {
  const baseURL = await new Promise<string>((resolve, reject) => {
    let err = '';
    serve.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const url = /rlm serve: (http:\S+\/v1)/.exec(err)?.[1];
      if (url) resolve(url);
    });
    serve.on('exit', (code) => reject(new Error(`rlm serve exited with ${code}: ${err}`)));
  });
  const client = new OpenAI({ baseURL, apiKey: 'none', maxRetries: 0, timeout: 600_000 });
  const ask = async () => {
    const t0 = performance.now();
    const completion = await client.chat.completions.create({ model: 'rlm', messages: [{ role: 'user', content: 'Ask the parts.' }] });
    if (completion.choices[0]?.message.content !== EXPECTED) throw new Error(`answer: ${JSON.stringify(completion.choices[0]?.message)}`);
    return performance.now() - t0;
  };

  await ask(); // warm-up: the server loads the run's modules on its first request
  await sleep(500);
  const idle = sample(serve.pid!);
  const cpu0 = cpuSeconds(serve.pid!, false);
  const ticks0 = machineTicks();
  replCpu.clear();
  const samples: Sample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(sample(serve.pid!));
      await sleep(25);
    }
  })();
  const started = performance.now();
  const latencies = await Promise.all(Array.from({ length: requests }, ask));
  const wallMs = performance.now() - started;
  sampling = false;
  await sampler;
  const cpu = cpuSeconds(serve.pid!, false) - cpu0;
  const ticks1 = machineTicks();
  await sleep(1000);
  const after = sample(serve.pid!);

  const sorted = [...latencies].sort((a, b) => a - b);
  const perRunModelMs = 3 * latencyMs; // root turn, the sub-call batch, root turn
  const idealMs = Math.ceil(requests / maxRuns) * perRunModelMs;
  console.log(
    JSON.stringify({
      maxRuns,
      requests,
      latencyMs,
      wallS: round(wallMs / 1000, 3),
      perSecond: round(requests / (wallMs / 1000), 2),
      idealS: round(idealMs / 1000, 3),
      latencyS: {
        min: round(sorted[0]! / 1000, 2),
        median: round(sorted[Math.floor(requests / 2)]! / 1000, 2),
        max: round(sorted.at(-1)! / 1000, 2),
      },
      modelMaxInFlight: model.maxInFlight,
      serverCpuS: round(cpu, 2),
      // At least: a REPL process's CPU after the last sample that saw it is missed.
      replsCpuS: round(
        [...replCpu.values()].reduce((a, b) => a + b, 0),
        2,
      ),
      replProcesses: replCpu.size,
      machineBusy: round((ticks1.busy - ticks0.busy) / (ticks1.total - ticks0.total), 2),
      idleMiB: { server: round(idle.serverMiB), repls: idle.repls },
      peak: {
        serverMiB: round(Math.max(...samples.map((s) => s.serverMiB))),
        repls: Math.max(...samples.map((s) => s.repls)),
        replsMiB: round(Math.max(...samples.map((s) => s.replsMiB))),
        totalMiB: round(Math.max(...samples.map((s) => s.serverMiB + s.replsMiB))),
      },
      afterMiB: { server: round(after.serverMiB), repls: after.repls, replsMiB: round(after.replsMiB) },
      samples: samples.length,
    }),
  );
} finally {
  serve.kill('SIGTERM');
  await new Promise((resolve) => serve.once('exit', resolve));
  await model.close();
  rmSync(traces, { recursive: true, force: true });
}
