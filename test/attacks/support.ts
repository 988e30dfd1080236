/**
 * Shared set-up for the attack suite: model-written code is untrusted, so each attack is a root
 * model (scripted) that writes hostile code, run end to end through `RLM.run` in this process (the
 * host) or through `rlm ask` in a child process. While an attack runs, we watch what it could hurt:
 * the host's event loop (monitorEventLoopDelay, 10 ms resolution), the host's memory (RSS), and the
 * REPL process's memory (VmRSS of every node descendant, found through /proc, whatever wraps it).
 *
 * The machine that runs the suite is a loaded 2-core box: the bounds asserted here are generous
 * and behavioural (a host that stalls for seconds or grows by gigabytes fails; a busy neighbour
 * does not), and the measured figures are reported as test diagnostics (and appended, as JSON
 * lines, to $ATTACK_FIGURES when set).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, type TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createOpenAIModel, RLM, type RLMOptions, type RunResult } from '../../src/index.ts';
import {
  byTurn,
  repl,
  startScriptedServer,
  type ScriptedModelServer,
  type ScriptedReply,
  type ScriptedRequest,
  type Turn,
} from '../../src/testing/index.ts';
import type { RlmEvent } from '../../src/trace/events.ts';
import { BIN } from '../cli/support.ts';

export type Language = 'javascript' | 'python';
export const LANGUAGES: readonly Language[] = ['javascript', 'python'];

/** The bounds every attack is held to, unless a test states its own. */
export const BOUNDS = {
  /** The longest the host's event loop may stall (the goal is 200 ms; the machine is loaded). */
  stallMs: 2_000,
  /** How much the host's RSS may grow over its value when the attack started. */
  hostRssDeltaMb: 400,
  /** How far past its memory cap a REPL process may go (the engine, Node itself, buffers). */
  replMarginMb: 512,
  /** The largest request (characters of all its messages) the model server may receive. */
  requestChars: 1_000_000,
} as const;

/** The REPL's default memory cap, in MiB (README). */
export const DEFAULT_MEMORY_MB = 1024;

/**
 * A file whose runs left something holding its process (a REPL process, a socket) would hang the
 * test runner: it fails instead, 10 s after its last test, naming the REPL processes still there.
 */
after(() => {
  setTimeout(() => {
    const left = descendants(process.pid).map((pid) => `${pid} ${cmdlineOf(pid).slice(-2).join(' ')}`);
    process.stderr.write(
      `attack suite: something still holds this test process 10 s after its last test; descendants: ${left.join('; ') || 'none'}\n`,
    );
    process.exit(1);
  }, 10_000).unref();
});

// --- Watching the host and its REPL processes ------------------------------------------------

export interface ProcessSeen {
  pid: number;
  cmdline: string[];
  peakMb: number;
}

export interface Figures {
  /** The longest stall of this process's event loop, in ms. */
  stallMs: number;
  /** The host's RSS when the attack started and at its peak, in MiB. */
  hostStartMb: number;
  hostPeakMb: number;
  hostDeltaMb: number;
  /** The largest VmRSS any REPL process reached, in MiB (0 if none was seen). */
  replPeakMb: number;
  /** Every descendant process seen, with its peak RSS. */
  processes: ProcessSeen[];
  wallMs: number;
}

/**
 * Samples memory from a worker thread, so that a stalled event loop in the host does not stop
 * the sampling it is being measured by. `root` is the pid whose memory is the host's (this
 * process, or an `rlm ask` child), and whose descendants are the REPL processes.
 */
const SAMPLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync, readdirSync } = require('node:fs');
const rssMb = (pid) => {
  try {
    const m = /VmRSS:\\s+(\\d+) kB/.exec(readFileSync('/proc/' + pid + '/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch { return 0; }
};
const cmdline = (pid) => { try { return readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').filter(Boolean); } catch { return []; } };
const seen = new Map();
let hostPeak = 0;
let hostFirst = 0;
let root = workerData.root;
const tick = () => {
  if (root) { const mb = rssMb(root); if (!hostFirst) hostFirst = mb; hostPeak = Math.max(hostPeak, mb); }
  const parents = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\\d+$/.test(name)) continue;
    try {
      const stat = readFileSync('/proc/' + name + '/stat', 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(name), ppid);
    } catch {}
  }
  const tops = [workerData.self, root].filter(Boolean);
  for (const [pid] of parents) {
    let p = pid; let depth = 0;
    while (p && depth++ < 20 && !tops.includes(p)) p = parents.get(p);
    if (!tops.includes(p) || pid === p) continue;
    const mb = rssMb(pid);
    const known = seen.get(pid);
    if (known) { known.peakMb = Math.max(known.peakMb, mb); if (!known.cmdline.length) known.cmdline = cmdline(pid); }
    else seen.set(pid, { pid, cmdline: cmdline(pid), peakMb: mb });
  }
};
const timer = setInterval(tick, workerData.everyMs);
tick();
parentPort.on('message', (message) => {
  if (message.root !== undefined) { root = message.root; return; }
  clearInterval(timer);
  tick();
  parentPort.postMessage({ hostPeak, hostFirst, processes: [...seen.values()] });
});
`;

export class Watch {
  readonly #histogram = monitorEventLoopDelay({ resolution: 10 });
  readonly #worker: Worker;
  readonly #started = performance.now();
  readonly #hostStartMb: number;
  #root: number;

  /** `root`: the host's pid when it is not this process (set it later with `setRoot`). */
  constructor(root: number | undefined = process.pid) {
    this.#root = root ?? 0;
    this.#hostStartMb = root === process.pid ? process.memoryUsage().rss / 2 ** 20 : 0;
    this.#worker = new Worker(SAMPLER, { eval: true, workerData: { root: this.#root, self: process.pid, everyMs: 25 } });
    this.#worker.unref();
    this.#histogram.enable();
  }

  /** The host is a child process started after the watch. */
  setRoot(pid: number): void {
    this.#root = pid;
    this.#worker.postMessage({ root: pid });
  }

  /** The REPL processes alive right now (node descendants running a repl-process entry). */
  static replPids(root = process.pid): number[] {
    return descendants(root).filter((pid) => isRepl(cmdlineOf(pid)));
  }

  async stop(): Promise<Figures> {
    this.#histogram.disable();
    const done = new Promise<{ hostPeak: number; hostFirst: number; processes: ProcessSeen[] }>((resolve) =>
      this.#worker.once('message', resolve),
    );
    this.#worker.postMessage({ stop: true });
    const sampled = await done;
    await this.#worker.terminate();
    const hostStartMb = this.#hostStartMb || sampled.hostFirst;
    const repls = sampled.processes.filter((p) => isRepl(p.cmdline));
    return {
      stallMs: round(this.#histogram.max / 1e6),
      hostStartMb: round(hostStartMb),
      hostPeakMb: round(sampled.hostPeak),
      hostDeltaMb: round(Math.max(0, sampled.hostPeak - hostStartMb)),
      replPeakMb: round(Math.max(0, ...repls.map((p) => p.peakMb))),
      processes: sampled.processes,
      wallMs: round(performance.now() - this.#started),
    };
  }
}

/** A REPL process is node itself running a repl-process entry (not the wrappers around it). */
export function isRepl(cmdline: string[]): boolean {
  return /(^|\/)node$/.test(cmdline[0] ?? '') && cmdline.some((arg) => /repl-process[/\\](js|python)-main\.(ts|js)$/.test(arg));
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

export function cmdlineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Every live descendant of `root`, through any wrapper (unshare, a shell). */
export function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  return [...parents.keys()].filter((pid) => {
    let p = parents.get(pid);
    for (let depth = 0; p !== undefined && depth < 20; depth++) {
      if (p === root) return true;
      p = parents.get(p);
    }
    return false;
  });
}

/** Runs `attack` under a watch; reports the figures on the test and returns them. */
export async function watched<T>(
  t: TestContext,
  attack: (watch: Watch) => Promise<T>,
  root?: number,
): Promise<{ value: T; figures: Figures }> {
  const watch = new Watch(root);
  let value: T;
  try {
    value = await attack(watch);
  } finally {
    const figures = await watch.stop();
    report(t, figures);
    lastFigures = figures;
  }
  return { value, figures: lastFigures! };
}
let lastFigures: Figures | undefined;

export function report(t: TestContext, figures: Figures, extra: Record<string, unknown> = {}): void {
  const { processes: _processes, ...shown } = figures;
  const line = { test: t.fullName, ...shown, ...extra };
  t.diagnostic(`figures ${JSON.stringify(line)}`);
  if (process.env.ATTACK_FIGURES) appendFileSync(process.env.ATTACK_FIGURES, `${JSON.stringify(line)}\n`);
}

/** The bounds every attack keeps: a responsive host, bounded host and REPL memory. */
export function assertContained(
  figures: Figures,
  options: { memoryLimitMb?: number; stallMs?: number; hostRssDeltaMb?: number } = {},
): void {
  // A REPL the sampler never saw (it lived less than one 25 ms tick) bounds nothing: say so.
  if (!figures.processes.some((p) => isRepl(p.cmdline)))
    process.stderr.write('attack suite: no REPL process was seen during this attack; its memory was not measured\n');
  const stall = options.stallMs ?? BOUNDS.stallMs;
  assert.ok(figures.stallMs < stall, `the host's event loop stalled ${figures.stallMs} ms (bound ${stall} ms)`);
  const host = options.hostRssDeltaMb ?? BOUNDS.hostRssDeltaMb;
  assert.ok(figures.hostDeltaMb < host, `the host's RSS grew by ${figures.hostDeltaMb} MiB (bound ${host} MiB)`);
  const repl = (options.memoryLimitMb ?? DEFAULT_MEMORY_MB) + BOUNDS.replMarginMb;
  assert.ok(
    figures.replPeakMb < repl,
    `a REPL process reached ${figures.replPeakMb} MiB (bound ${repl} MiB: its cap plus ${BOUNDS.replMarginMb})`,
  );
}

// --- Scripted runs ------------------------------------------------------------------------------

export interface AttackRun {
  server: ScriptedModelServer;
  rlm: RLM;
  /** Every event of the runs, with the time (performance.now()) it was seen. */
  events: Array<RlmEvent & { at: number }>;
  cells(): Array<Extract<RlmEvent, { type: 'cell-end' }> & { at: number }>;
  rootRequests(): ScriptedModelServer['requests'];
  subRequests(): ScriptedModelServer['requests'];
  /** The most characters one request carried in its messages. */
  largestRequestChars(): number;
  close(): Promise<void>;
}

export interface AttackOptions extends Partial<RLMOptions> {
  /** The sub-model (and child RLMs' model): a reply for each request. */
  sub?: (request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>;
  /** Latency of every root reply, in ms. */
  rootDelayMs?: number;
  /** Models the server lists (others get a 404). */
  models?: readonly string[];
}

/** A scripted server whose root replies turn by turn, and an RLM on it. */
export async function attackRun(
  turns: readonly Turn[] | ((request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>),
  options: AttackOptions = {},
): Promise<AttackRun> {
  const root = typeof turns === 'function' ? turns : byTurn(turns);
  const sub = options.sub ?? ((request: ScriptedRequest) => `sub:${request.lastUser.slice(0, 40)}`);
  const rootDelay = options.rootDelayMs ?? 0;
  const server = await startScriptedServer({
    ...(options.models ? { models: options.models } : {}),
    script: async (request) => {
      if (request.model !== 'root') return sub(request);
      const reply = await root(request);
      return rootDelay ? { ...(typeof reply === 'string' ? { content: reply } : reply), delayMs: rootDelay } : reply;
    },
  });
  const events: AttackRun['events'] = [];
  const { sub: _sub, rootDelayMs: _delay, models: _models, ...rlmOptions } = options;
  const rlm = new RLM({
    model: createOpenAIModel({ model: 'root', baseURL: server.url, apiKey: 'k' }),
    subModel: createOpenAIModel({ model: 'sub', baseURL: server.url, apiKey: 'k' }),
    retry: { baseDelayMs: 5, maxRetries: 0 },
    ...rlmOptions,
    // However an attack goes, the run ends: a test fails rather than hangs.
    limits: { timeoutMs: 40_000, ...rlmOptions.limits },
    onEvent: (event) => {
      events.push({ ...event, at: performance.now() });
      rlmOptions.onEvent?.(event);
    },
  });
  return {
    server,
    rlm,
    events,
    cells: () => events.filter((e): e is Extract<RlmEvent, { type: 'cell-end' }> & { at: number } => e.type === 'cell-end'),
    rootRequests: () => server.requests.filter((r) => r.model === 'root'),
    subRequests: () => server.requests.filter((r) => r.model !== 'root'),
    largestRequestChars: () => Math.max(0, ...server.requests.map((r) => r.messages.reduce((n, m) => n + m.content.length, 0))),
    close: () => server.close(),
  };
}

/** A turn that answers: FINAL from code, in either language. */
export function finalTurn(answer = 'ok'): string {
  return repl(`FINAL(${JSON.stringify(answer)})`);
}

/** The run went on after the attack and ended with the scripted answer, not a crash or a fake one. */
export function assertAnswered(result: RunResult, answer = 'ok'): void {
  assert.equal(result.status, 'done', `status ${result.status}: ${result.error?.message ?? ''}`);
  assert.equal(result.answer, answer);
}

/** The last user message of a root request: what the model was shown of its cells. */
export function shown(request: ScriptedModelServer['requests'][number] | undefined): string {
  return [...(request?.messages ?? [])].reverse().find((m) => m.role === 'user')?.content ?? '';
}

/** A context file for `rlm ask`, in a folder removed when the file's tests end. */
export function contextFile(text = 'c'): string {
  const dir = mkdtempSync(join(tmpdir(), 'rlm-attack-'));
  scratch.push(dir);
  const path = join(dir, 'context.txt');
  writeFileSync(path, text);
  return path;
}
const scratch: string[] = [];
after(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

// --- The command line ----------------------------------------------------------------------------

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  pid: number;
  wallMs: number;
  /** The longest stall of the command's own event loop, in ms (undefined if it did not exit normally). */
  stallMs: number | undefined;
}

const PROBE = new URL('./loop-probe.ts', import.meta.url).pathname;

/** The command's own event loop kept turning (measured inside it by loop-probe.ts); reported. */
export function assertCliResponsive(t: TestContext, cli: CliResult): void {
  const line = { test: t.fullName, cli: true, cliStallMs: cli.stallMs, cliWallMs: round(cli.wallMs) };
  t.diagnostic(`rlm ask ${JSON.stringify(line)}`);
  if (process.env.ATTACK_FIGURES) appendFileSync(process.env.ATTACK_FIGURES, `${JSON.stringify(line)}\n`);
  assert.ok(cli.stallMs !== undefined, 'rlm ask did not exit normally');
  assert.ok(cli.stallMs < BOUNDS.stallMs, `rlm ask's event loop stalled ${cli.stallMs} ms (bound ${BOUNDS.stallMs} ms)`);
}

/** Runs `rlm ask ...` with a clean environment; `onStart` gets the child's pid at once. */
export function runAsk(
  args: string[],
  options: { env?: Record<string, string>; onStart?: (pid: number) => void; timeoutMs?: number } = {},
): Promise<CliResult> {
  const probe = join(mkdtempSync(join(tmpdir(), 'rlm-attack-probe-')), 'stall');
  scratch.push(dirname(probe));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    RLM_API_KEY: 'k',
    RLM_ATTACK_PROBE: probe,
    ...options.env,
  };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PROBE, BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 50_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let stallMs: number | undefined;
      try {
        stallMs = round(Number(readFileSync(probe, 'utf8')));
      } catch {
        // killed, or exited before the probe could write
      }
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr),
        pid: child.pid!,
        wallMs: performance.now() - started,
        stallMs,
      });
    });
    if (child.pid) options.onStart?.(child.pid);
  });
}
