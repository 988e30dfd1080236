/**
 * Servers and workers as separate processes over one real Redis, for the tests of the queue: each
 * started as a user starts it (`rlm serve --redis`, `rlm worker --redis`), with what it wrote to
 * stderr, and stopped (or killed) at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from '../cli/support.ts';

export interface RlmProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves once the process has said it is up (and, for a server, with its base URL). */
  ready: Promise<string>;
}

function startRlm(args: string[], readyPattern: RegExp, env: Record<string, string>): RlmProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const ready = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = readyPattern.exec(stderr);
      if (match) resolve(match[1] ?? '');
    });
    void exited.then(() => reject(new Error(`rlm ${args[0]} exited before it was up: ${stderr}`)));
  });
  return { child, stderr: () => stderr, exited, ready };
}

/** `rlm worker --redis <url>` against the scripted model server at `baseURL`. */
export function startWorker(redisUrl: string, baseURL: string, extra: string[] = []): RlmProcess {
  return startRlm(['worker', '--redis', redisUrl, '--base-url', baseURL, '--model', 'root', ...extra], /rlm worker: (model) /, {
    RLM_API_KEY: 'test-key',
  });
}

/** `rlm serve --redis <url>` on a free port; `ready` resolves with its base URL (`http://127.0.0.1:port`). */
export function startServer(redisUrl: string, traceDir: string, extra: string[] = []): RlmProcess {
  return startRlm(['serve', '--redis', redisUrl, '--port', '0', '--trace-dir', traceDir, ...extra], /(http:\/\/\S+)\/v1 ·/, {});
}

/** Stops every process: SIGKILL, since what a test checks is done by then. */
export async function stopAll(processes: readonly RlmProcess[]): Promise<void> {
  await Promise.all(
    processes.map(async (p) => {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }),
  );
}

/** Submits a run as a job; resolves with its id. */
export async function submitRun(serverUrl: string, body: object): Promise<string> {
  const response = await fetch(`${serverUrl}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { id?: string; error?: { message: string } };
  if (response.status !== 202 || !json.id) throw new Error(`submit failed: ${response.status} ${JSON.stringify(json)}`);
  return json.id;
}

export interface RunState {
  state: string;
  answer?: string;
  error?: { message: string };
}

export async function runState(serverUrl: string, id: string): Promise<RunState> {
  const response = await fetch(`${serverUrl}/v1/runs/${id}`);
  return (await response.json()) as RunState;
}

const ENDED = new Set(['done', 'error', 'cancelled', 'budget', 'timeout', 'max_iterations']);

/** Polls until the run has ended; its last state. */
export async function endedRun(serverUrl: string, id: string, timeoutMs = 120_000): Promise<RunState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await runState(serverUrl, id);
    if (ENDED.has(state.state)) return state;
    if (Date.now() > deadline) throw new Error(`${id} still ${state.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The SSE events of a run, read from `serverUrl` until its `end`, each handed over as it comes. */
export async function streamEvents(
  serverUrl: string,
  id: string,
  onEvent: (type: string, data: string, eventId: number) => void,
): Promise<{ ended: string }> {
  const response = await fetch(`${serverUrl}/v1/runs/${id}/events`);
  if (!response.ok || !response.body) throw new Error(`events of ${id}: ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const fields = Object.fromEntries(
        block
          .split('\n')
          .filter((line) => !line.startsWith(':') && line.includes(':'))
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trimStart()]),
      ) as Record<string, string>;
      if (fields.event === 'end') return { ended: fields.data ?? '' };
      if (fields.event) onEvent(fields.event, fields.data ?? '', Number(fields.id));
    }
  }
  throw new Error(`the events of ${id} stopped before their end`);
}
