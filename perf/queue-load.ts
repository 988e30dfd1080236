/**
 * Runs over a Redis queue, one cluster: a real `redis-server`, one `rlm serve --redis`, and
 * `--workers` `rlm worker --redis --concurrency 4 --max-requests 4` processes, over a scripted
 * model that answers every call after `--latency` ms (perf/queue-scenario.ts: 6 model requests a
 * run). `--runs` runs are submitted at once through `POST /v1/runs`, each followed to its end over
 * its SSE stream (`/v1/runs/:id/events`); every answer is checked. While they run, /proc is
 * sampled every 25 ms (RSS of the server, of the workers, of the workers' REPL processes), and
 * the CPU time of every process is read before and after. Prints the figures as JSON.
 *
 *   node --conditions=rlm-source perf/queue-load.ts --workers 2 [--runs 48] [--latency 100]
 *
 * Before the measured batch, a warm-up batch of 4 runs per worker loads each worker's modules, so
 * that what is timed is the steady state, not each process's first run. The scripted model and
 * the client run in this process; everything else in processes of their own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REQUESTS_PER_RUN, expectedAnswer, startQueueScenario } from './queue-scenario.ts';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1' },
    runs: { type: 'string', default: '48' },
    latency: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '4' },
    'max-requests': { type: 'string', default: '4' },
  },
});
const workers = Number(values.workers);
const runs = Number(values.runs);
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);
const maxRequests = Number(values['max-requests']);

const BIN = new URL('../bin/rlm.js', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 0) => Number(value.toFixed(digits));
const name = (prefix: string, i: number) => `${prefix}-${String(i).padStart(3, '0')}`;

// ---- /proc ----

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds a process has used (utime + stime, all threads); NaN once it has gone. */
function cpu(pid: number): { own: number } {
  try {
    const f = statFields(pid);
    return { own: (Number(f[11]) + Number(f[12])) / 100 };
  } catch {
    return { own: Number.NaN };
  }
}

function rssMiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** A process's descendants, from the `children` files of its threads (cheap enough to read every few ms). */
function descendants(root: number): number[] {
  const found: number[] = [];
  const walk = (pid: number) => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      return; // ended while we looked
    }
    for (const task of tasks) {
      let children: string;
      try {
        children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(' ').filter(Boolean).map(Number)) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return found;
}

/** Busy and total ticks of the whole machine, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

// ---- processes ----

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'],
    { stdio: 'ignore' },
  );
  for (let tries = 0; tries < 400; tries++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return { url: `redis://127.0.0.1:${port}`, child };
    await sleep(25);
  }
  throw new Error(`redis-server did not listen on ${port}`);
}

/** Starts `rlm <args>`; resolves with the child once its stderr matches `ready` (and the first group). */
async function startRlm(args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<{ child: ChildProcess; match: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const match = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = ready.exec(err);
      if (m) resolve(m[1] ?? '');
    });
    child.on('exit', (code) => reject(new Error(`rlm ${args[0]} exited with ${code}: ${err}`)));
  });
  return { child, match };
}

// ---- the client ----

const ENDED = new Set(['done', 'error', 'cancelled', 'budget', 'timeout', 'max_iterations']);

async function submit(server: string, run: string): Promise<string> {
  const response = await fetch(`${server}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'Ask the parts.', context: run }),
  });
  const json = (await response.json()) as { id?: string };
  if (response.status !== 202 || !json.id) throw new Error(`submit ${run}: ${response.status} ${JSON.stringify(json)}`);
  return json.id;
}

/** Follows a run's SSE stream to its `end` event; its data (state, answer). */
async function ended(server: string, id: string): Promise<{ state?: string; answer?: string }> {
  const response = await fetch(`${server}/v1/runs/${id}/events`);
  if (!response.ok || !response.body) throw new Error(`events of ${id}: ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (/^event: ?end$/m.test(block)) {
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        return JSON.parse(data) as { state?: string; answer?: string };
      }
    }
  }
  // The stream closed without an end: ask for the run's state instead.
  const state = (await (await fetch(`${server}/v1/runs/${id}`)).json()) as { state: string; answer?: string };
  if (!ENDED.has(state.state)) throw new Error(`the events of ${id} stopped before its end (${state.state})`);
  return state;
}

/** Submits the runs at once and follows each to its end; the ones whose answer is wrong. */
async function batch(server: string, prefix: string, count: number): Promise<{ wrong: string[]; endedMs: number[] }> {
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const run = name(prefix, i);
      const id = await submit(server, run);
      const end = await ended(server, id);
      return { run, end, ms: performance.now() - started };
    }),
  );
  return {
    wrong: outcomes.filter((o) => o.end.answer !== expectedAnswer(o.run)).map((o) => `${o.run}: ${JSON.stringify(o.end).slice(0, 200)}`),
    endedMs: outcomes.map((o) => o.ms),
  };
}

type Health = { workers: Array<{ id: string; finished: number; running: string[] }> };

async function health(server: string): Promise<Health> {
  return (await (await fetch(`${server}/v1/health`)).json()) as Health;
}

// ---- the measurement ----

const { model, asked } = await startQueueScenario(latencyMs);
const redis = await startRedis();
const traces = mkdtempSync(join(tmpdir(), 'rlm-queue-load-'));
const children: ChildProcess[] = [redis.child];
try {
  const serve = await startRlm(
    ['serve', '--redis', redis.url, '--port', '0', '--trace-dir', traces, '--max-queued', String(Math.max(runs, 32))],
    /(http:\/\/\S+)\/v1 ·/,
  );
  children.push(serve.child);
  const server = serve.match;
  const workerProcs = await Promise.all(
    Array.from({ length: workers }, () =>
      startRlm(
        [
          'worker',
          '--redis',
          redis.url,
          '--base-url',
          model.url,
          '--model',
          'root',
          '--concurrency',
          String(concurrency),
          '--max-requests',
          String(maxRequests),
        ],
        /rlm worker: (model) /,
        { RLM_API_KEY: 'bench' },
      ),
    ),
  );
  for (const w of workerProcs) children.push(w.child);
  const workerPids = workerProcs.map((w) => w.child.pid!);
  for (let tries = 0; (await health(server)).workers.length < workers; tries++) {
    if (tries > 300) throw new Error(`only ${(await health(server)).workers.length} of ${workers} workers announced themselves`);
    await sleep(100);
  }

  const warm = await batch(server, 'warm', workers * concurrency);
  if (warm.wrong.length > 0) throw new Error(`warm-up answers wrong: ${warm.wrong.join('; ')}`);
  // Workers announce what they finished every few seconds and as each job ends: let it land.
  await sleep(1000);
  const warmed = (await health(server)).workers.filter((w) => w.finished > 0).length;
  const finishedBefore = new Map((await health(server)).workers.map((w) => [w.id, w.finished]));
  const requestsBefore = model.requests.length;

  const pids = { server: serve.child.pid!, redis: redis.child.pid!, workers: workerPids };
  const cpu0 = { server: cpu(pids.server), redis: cpu(pids.redis), workers: workerPids.map(cpu), driver: process.cpuUsage() };
  const ticks0 = machineTicks();
  const samples: Array<{ server: number; workers: number; repls: number; replCount: number; redis: number }> = [];
  // Each REPL process's CPU seconds when last seen: they run under `unshare`, which a worker may
  // kill before it has reaped the REPL, so the worker's reaped-children time misses them.
  const replCpu = new Map<number, number>();
  const before = new Map<number, number>();
  for (const pid of workerPids.flatMap((w) => descendants(w))) before.set(pid, cpu(pid).own);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const repls = workerPids.flatMap((pid) => descendants(pid));
      for (const pid of repls) {
        const used = cpu(pid).own;
        if (!Number.isNaN(used)) replCpu.set(pid, used - (before.get(pid) ?? 0));
      }
      samples.push({
        server: rssMiB(pids.server),
        workers: workerPids.reduce((sum, pid) => sum + rssMiB(pid), 0),
        repls: repls.reduce((sum, pid) => sum + rssMiB(pid), 0),
        replCount: repls.length,
        redis: rssMiB(pids.redis),
      });
      await sleep(25);
    }
  })();

  const started = performance.now();
  const measured = await batch(server, 'run', runs);
  const wallMs = performance.now() - started;
  sampling = false;
  await sampler;
  const ticks1 = machineTicks();
  const cpu1 = { server: cpu(pids.server), redis: cpu(pids.redis), workers: workerPids.map(cpu), driver: process.cpuUsage(cpu0.driver) };
  const modelRequests = model.requests.length - requestsBefore;

  // Each run asked the model exactly 6 times: none was run twice, none skipped a step.
  const miscounted = Array.from({ length: runs }, (_, i) => name('run', i)).filter((run) => {
    const c = asked.get(run);
    return c?.root !== 2 || c.sub !== REQUESTS_PER_RUN - 2;
  });
  await sleep(1000);
  const perWorker = (await health(server)).workers.map((w) => w.finished - (finishedBefore.get(w.id) ?? 0));

  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const workersOwn = sum(workerPids.map((_, i) => cpu1.workers[i]!.own - cpu0.workers[i]!.own));
  const repls = sum([...replCpu.values()]);
  const serverCpu = cpu1.server.own - cpu0.server.own;
  const redisCpu = cpu1.redis.own - cpu0.redis.own;
  const driver = (cpu1.driver.user + cpu1.driver.system) / 1e6;
  const ours = serverCpu + workersOwn + repls + redisCpu + driver;
  const machineCpuS = (ticks1.busy - ticks0.busy) / 100;
  const peak = (pick: (s: (typeof samples)[number]) => number) => round(Math.max(...samples.map(pick)));
  const sorted = [...measured.endedMs].sort((a, b) => a - b);
  const wallS = wallMs / 1000;
  console.log(
    JSON.stringify({
      workers,
      runs,
      latencyMs,
      concurrency,
      maxRequests,
      warmed,
      wrong: measured.wrong,
      miscounted,
      wallS: round(wallS, 3),
      runsPerS: round(runs / wallS, 2),
      modelRequests,
      modelRequestsPerS: round(modelRequests / wallS, 1),
      modelMaxInFlight: model.maxInFlight,
      // The model's latency and the per-worker cap alone: every worker's cap kept full.
      modelBoundS: round((runs * REQUESTS_PER_RUN * latencyMs) / 1000 / (maxRequests * workers), 3),
      runEndS: { first: round(sorted[0]! / 1000, 2), median: round(sorted[runs >> 1]! / 1000, 2), last: round(sorted.at(-1)! / 1000, 2) },
      runsPerWorker: perWorker,
      cpuS: {
        server: round(serverCpu, 2),
        workers: round(workersOwn, 2),
        // At least: a REPL process's CPU after the last sample that saw it is missed.
        repls: round(repls, 2),
        replProcesses: replCpu.size,
        redis: round(redisCpu, 2),
        // This process: the scripted model server and the client.
        driver: round(driver, 2),
        ours: round(ours, 2),
        // The whole machine's busy CPU over the batch, and the part of it no process of ours used.
        machine: round(machineCpuS, 2),
        others: round(Math.max(0, machineCpuS - ours), 2),
      },
      // Of all the machine's cores over the batch: 1 is every core busy the whole time.
      machineBusy: round((ticks1.busy - ticks0.busy) / (ticks1.total - ticks0.total), 2),
      peakMiB: {
        server: peak((s) => s.server),
        workers: peak((s) => s.workers),
        repls: peak((s) => s.repls),
        replCount: Math.max(...samples.map((s) => s.replCount)),
        redis: peak((s) => s.redis),
      },
      samples: samples.length,
    }),
  );
} finally {
  // rlm processes stop as a user stops them (SIGTERM: nothing is running by now, and they end
  // their REPL processes); Redis, and anything that will not stop, is killed.
  for (const child of children.reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(child === redis.child ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await model.close();
  rmSync(traces, { recursive: true, force: true });
}
