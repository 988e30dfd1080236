/**
 * The server's runs: at most `maxRunning` at once (each holds a REPL process and real CPU), the
 * next `maxQueued` waiting in order, and past that a refusal that says when to come back — so a
 * burst of requests is answered or told to retry, never lost and never allowed to exhaust the
 * machine. Every run's trace is written to `traceDir` as it goes. Draining (SIGTERM) refuses new
 * runs, lets running ones finish within a grace period, then cancels what is left.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RlmError } from '../errors.ts';
import { RLM } from '../rlm.ts';
import { JsonlTrace } from '../trace/jsonl.ts';
import type { Runs, RunStats } from './runs.ts';
import { resultWithoutRun, ServerRun, type RunRequest } from './server-run.ts';

/** How many runs a {@link RunManager} runs and queues, and where their traces go. */
export interface RunManagerOptions {
  /** Runs at once. */
  maxRunning: number;
  /** Runs waiting for a slot; past that, `submit` refuses with ServerBusyError. */
  maxQueued: number;
  /** Where each run's JSONL trace is written (`<id>.jsonl`). */
  traceDir: string;
  /** Finished runs kept in memory, newest first (their traces stay on disk regardless). Default 500. */
  keepFinished?: number;
}

/** Too many runs running and waiting: come back in `retryAfterSeconds`. */
export class ServerBusyError extends Error {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message: string) {
    super(message);
    this.name = 'ServerBusyError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The server is shutting down and takes no new runs. */
export class ServerDrainingError extends Error {
  constructor() {
    super('the server is shutting down and takes no new runs');
    this.name = 'ServerDrainingError';
  }
}

/** The server's runs: started up to the cap, queued past it, refused past the queue, drained at shutdown. */
export class RunManager implements Runs {
  readonly #options: Required<RunManagerOptions>;
  readonly #runs = new Map<string, ServerRun>();
  readonly #queue: ServerRun[] = [];
  readonly #running = new Set<ServerRun>();
  /** Durations of recent runs, to say how long a refused client should wait. */
  readonly #recentMs: number[] = [];
  #draining = false;

  constructor(options: RunManagerOptions) {
    this.#options = { keepFinished: 500, ...options };
    mkdirSync(options.traceDir, { recursive: true });
  }

  /** Starts the run now if a slot is free, else queues it; refuses when the queue is full or the server drains. */
  submit(request: RunRequest): ServerRun {
    if (this.#draining) throw new ServerDrainingError();
    if (this.#running.size >= this.#options.maxRunning && this.#queue.length >= this.#options.maxQueued) {
      const { maxRunning, maxQueued } = this.#options;
      throw new ServerBusyError(
        this.#retryAfterSeconds(),
        `the server is at its limit of ${maxRunning} runs at once and ${maxQueued} waiting; retry later`,
      );
    }
    const run = new ServerRun(request);
    this.#runs.set(run.id, run);
    this.#forgetOldRuns();
    this.#queue.push(run);
    void run.finished.then(() => this.#settled(run));
    this.#startNext();
    return run;
  }

  get(id: string): ServerRun | undefined {
    return this.#runs.get(id);
  }

  find(id: string): Promise<ServerRun | undefined> {
    return Promise.resolve(this.#runs.get(id));
  }

  /** The runs held in memory, newest first. */
  list(): ServerRun[] {
    return [...this.#runs.values()].reverse();
  }

  tracePath(id: string): string {
    return join(this.#options.traceDir, `${id}.jsonl`);
  }

  get traceDir(): string {
    return this.#options.traceDir;
  }

  get draining(): boolean {
    return this.#draining;
  }

  stats(): RunStats {
    const { maxRunning, maxQueued } = this.#options;
    return { running: this.#running.size, queued: this.#queue.length, maxRunning, maxQueued, draining: this.#draining };
  }

  /**
   * Takes no new runs; cancels the queued ones at once, lets the running ones finish for up to
   * `graceMs`, then cancels them, and resolves when every run has ended.
   */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    for (const run of this.#queue.splice(0)) run.cancel('the server is shutting down');
    const running = [...this.#running].map((run) => run.finished);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(running), grace]);
    clearTimeout(timer);
    for (const run of this.#running) run.cancel('the server is shutting down');
    await Promise.all(running);
  }

  #startNext(): void {
    while (this.#running.size < this.#options.maxRunning && this.#queue.length > 0) {
      const run = this.#queue.shift()!;
      if (run.result) continue;
      this.#running.add(run);
      run.markStarted();
      void this.#execute(run);
    }
  }

  async #execute(run: ServerRun): Promise<void> {
    const { request } = run;
    let trace: JsonlTrace | undefined;
    try {
      // Inside the try: a trace that cannot be opened or written (a folder gone read-only, a full
      // disk) ends this run with an error; thrown from here it would take the whole server down.
      trace = new JsonlTrace(this.tracePath(run.id), { context: request.context });
      const rlm = new RLM({
        ...request.options,
        onEvent: (event) => {
          try {
            trace?.onEvent(event);
          } catch (error) {
            // A run whose trace has stopped is a run nobody can review or resume: stopped too.
            run.cancel(`the server could not write the run's trace (${errorName(error)})`);
          }
          run.push(event);
        },
      });
      run.end(await rlm.run({ context: request.context, query: request.query, signal: run.signal, schema: request.schema }));
    } catch (error) {
      // The RLM reports how a run ended in its result; what throws is a setting refused up front, or the trace.
      if (RlmError.isInstance(error)) run.end(resultWithoutRun('error', error.code, error.message));
      else if (trace === undefined)
        run.end(resultWithoutRun('error', 'RLM_USAGE', `the server could not write the run's trace (${errorName(error)})`));
      else run.end(resultWithoutRun('error', 'RLM_USAGE', error instanceof Error ? error.message : String(error)));
    } finally {
      await trace?.close().catch(() => {});
      run.forgetContext();
    }
  }

  #settled(run: ServerRun): void {
    if (this.#running.delete(run) && run.startedAt && run.endedAt) {
      this.#recentMs.push(run.endedAt.getTime() - run.startedAt.getTime());
      if (this.#recentMs.length > 20) this.#recentMs.shift();
    }
    const queued = this.#queue.indexOf(run);
    if (queued >= 0) this.#queue.splice(queued, 1);
    this.#startNext();
  }

  /** About when a slot will be free for one more: the queue ahead, at the recent pace. */
  #retryAfterSeconds(): number {
    if (this.#recentMs.length === 0) return 5;
    const meanMs = this.#recentMs.reduce((a, b) => a + b, 0) / this.#recentMs.length;
    const seconds = (meanMs * (this.#queue.length / this.#options.maxRunning + 1)) / 1000;
    return Math.min(120, Math.max(1, Math.ceil(seconds)));
  }

  /** Drops the oldest finished runs past `keepFinished`; running and queued ones always stay. */
  #forgetOldRuns(): void {
    let finished = 0;
    for (const run of [...this.#runs.values()].reverse()) {
      if (!run.result) continue;
      if (++finished > this.#options.keepFinished) this.#runs.delete(run.id);
    }
  }
}

/** What went wrong, without the paths and details an error message may carry: `EACCES`, `RangeError`. */
function errorName(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'unknown error';
}
