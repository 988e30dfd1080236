/**
 * `rlm worker` processes for the tests of a bench on workers: each spawned from this checkout's
 * `rlm`, with what it wrote kept, and stopped with the test whatever happens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from '../cli/support.ts';

/** A worker running, what it printed so far, and the way to end it. */
export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `rlm worker --redis <redis> ...args` with a key (the workers hold it, not the bench). */
export function startWorker(redis: string, args: string[]): WorkerProcess {
  const child = spawn(process.execPath, [BIN, 'worker', '--redis', redis, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RLM_API_KEY: 'x' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resolves once the worker has said something (that it waits for jobs), or after `ms` anyway. */
export async function firstWords(worker: WorkerProcess, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (worker.output() === '' && worker.child.exitCode === null && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 25));
  if (worker.child.exitCode !== null) throw new Error(`rlm worker exited with ${worker.child.exitCode}: ${worker.output()}`);
}
