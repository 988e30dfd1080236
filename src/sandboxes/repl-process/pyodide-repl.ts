/**
 * The Python REPL's engine, on the REPL process's main thread: CPython (Pyodide) runs in a worker
 * thread (pyodide-worker.ts), so this thread stays free to serve the cell's host calls, to stop a
 * busy cell through Pyodide's interrupt buffer, and to replace a worker that does not stop.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { CancelledError } from '../../errors.ts';
import type { ContextFile } from '../shared/context-file.ts';
import {
  cutError,
  MAX_ANSWER_CHARS,
  MAX_CALLS_WAITING,
  MAX_ERROR_CHARS,
  MAX_PROMPT_CHARS,
  MAX_SCHEMA_JSON_CHARS,
  MAX_VALUE_JSON_CHARS,
} from '../limits.ts';
import type { Engine, EngineOptions } from './repl-server.ts';
import { cutOutput, sandboxSettings, type Bridge, type CellResult, type RunCellOptions, type SandboxSettings } from '../sandbox.ts';
import type { FromWorker, HostAnswer, WorkerCall, ToWorker, WorkerLimits } from '../in-pyodide/worker-messages.ts';
import { HostCalls, type HostCallRequest } from '../shared/host-calls.ts';
import { cellTimedOut, raceDeadline } from './cell-deadline.ts';

/**
 * How much computing an interrupted cell may do before its worker is replaced. Python takes the
 * interrupt within milliseconds of its own time, but a busy machine may give it none for seconds:
 * a grace in wall time (1 s, then 3 s) lost the variables of cells that would have stopped. So the
 * grace is the CPU time of the worker thread Python runs on — not of the whole process, whose
 * other threads (V8 compiling Pyodide's WebAssembly in the background after a boot) used up a
 * grace of process time while Python itself waited for a core — with a wall-time bound for a
 * worker that is given none at all.
 */
const INTERRUPT_GRACE_CPU_MS = 1_000;
const INTERRUPT_GRACE_MAX_MS = 8_000;
const VARIABLE_TIMEOUT_MS = 5_000;
/** The worker's own JavaScript heap; the Python heap is capped separately (memoryLimitMb). */
const WORKER_JS_HEAP_MB = 512;

/** A worker with CPython booted and no context yet: what a warm REPL process keeps ready. */
export interface BootedWorker {
  worker: Worker;
  interrupt: Int32Array;
  wake: Int32Array;
  /** 1 while Python sleeps in time.sleep. */
  activity: Int32Array;
  answers: MessagePort;
  bootMs: number;
  /** The snapshot the worker made, if it was asked to. */
  snapshot?: Uint8Array;
}

/** Starts a worker and boots CPython in it (from `snapshot` if given); resolves once it is ready for a context. */
export function bootWorker(options: { snapshot?: Uint8Array; makeSnapshot?: boolean } = {}): Promise<BootedWorker> {
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const wake = new Int32Array(new SharedArrayBuffer(4));
  const activity = new Int32Array(new SharedArrayBuffer(4));
  const { port1: answers, port2 } = new MessageChannel();
  const worker = new Worker(new URL(`../in-pyodide/pyodide-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url), {
    workerData: { interrupt: interrupt.buffer, wake: wake.buffer, activity: activity.buffer, answers: port2, ...options },
    transferList: [port2],
    env: {},
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_JS_HEAP_MB },
  });
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromWorker) => {
      if (message.type !== 'booted') return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      resolve({
        worker,
        interrupt,
        wake,
        activity,
        answers,
        bootMs: message.bootMs,
        ...(message.snapshot ? { snapshot: message.snapshot } : {}),
      });
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the Python worker exited while booting (${code})`)));
  });
}

class WorkerDied extends Error {}

interface Waiting {
  resolve: (message: FromWorker) => void;
  reject: (error: Error) => void;
  type: FromWorker['type'];
}

export class PyodideRepl implements Engine {
  readonly language = 'python' as const;
  readonly #settings: SandboxSettings;
  /** Every context loaded, in order (`context_0` first): a replacement worker loads them all. */
  readonly #contextFiles: ContextFile[];
  readonly #bridge: Bridge;
  #live: BootedWorker;
  #waiting: Waiting | undefined;
  /** The calls Python makes to the host, served for the cell now running. */
  readonly #calls: HostCalls;
  #historySent = 0;
  /** Workers that died, with why: a request to one fails at once rather than waiting forever. */
  readonly #dead = new WeakMap<BootedWorker, string>();
  #disposed = false;

  /** Where a replacement worker boots from, after one had to be stopped. */
  readonly #snapshot: Uint8Array | undefined;

  private constructor(options: EngineOptions, live: BootedWorker, snapshot: Uint8Array | undefined) {
    this.#snapshot = snapshot;
    this.#settings = sandboxSettings(options);
    this.#contextFiles = [...options.contextFiles];
    this.#bridge = options.bridge;
    this.#calls = new HostCalls(options.bridge, this.#settings.tools);
    this.#live = live;
  }

  /** Loads the context into a booted worker (a warm one if given), and seals it; `snapshot` speeds up rebuilds. */
  static async create(options: EngineOptions, warm?: Promise<BootedWorker>, snapshot?: Uint8Array): Promise<PyodideRepl> {
    const live = await (warm ?? bootWorker({ ...(snapshot ? { snapshot } : {}) }));
    const repl = new PyodideRepl(options, live, snapshot ?? live.snapshot);
    await repl.#load(repl.#live);
    return repl;
  }

  async #load(live: BootedWorker): Promise<void> {
    live.worker.on('message', (message: FromWorker) => this.#onMessage(live, message));
    const died = (reason: string) => {
      this.#dead.set(live, reason);
      if (live !== this.#live) return;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.reject(new WorkerDied(reason));
    };
    live.worker.on('error', (error) => died(describeDeath(error, this.#settings.memoryLimitMb)));
    live.worker.on('exit', (code) => died(`the Python worker stopped (exit ${code})`));
    const { memoryLimitMb, maxOutputChars, tools, maxCallsInFlight, answersAsJson } = this.#settings;
    const limits: WorkerLimits = {
      max_error_chars: MAX_ERROR_CHARS,
      max_answer_chars: MAX_ANSWER_CHARS,
      max_prompt_chars: MAX_PROMPT_CHARS,
      max_value_json_chars: MAX_VALUE_JSON_CHARS,
      max_schema_json_chars: MAX_SCHEMA_JSON_CHARS,
      max_calls_in_flight: Math.max(1, maxCallsInFlight),
      max_calls_waiting: MAX_CALLS_WAITING,
    };
    const loaded = await this.#request(
      live,
      { type: 'load', contextFiles: this.#contextFiles, memoryLimitMb, maxOutputChars, tools, limits, answersAsJson },
      'loaded',
    );
    if (loaded.type === 'load-error') throw new Error(`the context could not be loaded into Python: ${loaded.message}`);
  }

  /**
   * Loads the context in `file` as the next `context_<n>`, keeping every variable; resolves with
   * n. Refused while a cell runs.
   */
  async addContextFile(file: ContextFile): Promise<number> {
    if (this.#disposed) throw new CancelledError('sandbox disposed');
    if (this.#waiting || this.#calls.cellRunning) throw new Error('a cell is running: a context is added between cells');
    let answer: FromWorker;
    try {
      answer = await this.#request(this.#live, { type: 'add-context', contextFile: file }, 'context-added');
    } catch (error) {
      if (!(error instanceof WorkerDied)) throw error;
      // The worker died between cells: its replacement loads every context, this one included.
      this.#contextFiles.push(file);
      await this.#rebuild();
      return this.#contextFiles.length - 1;
    }
    if (answer.type !== 'context-added')
      throw new Error(`the context could not be loaded into Python: ${(answer as { message?: string }).message}`);
    this.#contextFiles.push(file);
    return answer.index;
  }

  /** Sends one request to the worker and waits for its answer of the given type. */
  #request(live: BootedWorker, message: ToWorker, type: FromWorker['type']): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const dead = this.#dead.get(live);
      if (dead !== undefined) return reject(new WorkerDied(dead));
      this.#waiting = { resolve, reject, type };
      live.worker.postMessage(message);
    });
  }

  #onMessage(live: BootedWorker, message: FromWorker): void {
    if (live !== this.#live) return;
    if (message.type === 'calls') return this.#serve(live, message.calls);
    const waiting = this.#waiting;
    if (message.type === 'fatal') {
      this.#waiting = undefined;
      waiting?.reject(new WorkerDied(`Error: the Python interpreter failed (${message.message})`));
      return;
    }
    if (!waiting) return;
    if (
      message.type === waiting.type ||
      (message.type === 'load-error' && (waiting.type === 'loaded' || waiting.type === 'context-added'))
    ) {
      this.#waiting = undefined;
      waiting.resolve(message);
    }
  }

  /**
   * Serves a cell's host calls concurrently; each answer wakes the waiting worker. There is no
   * queue here: the worker sends a window of calls at a time, and the rest wait in Python.
   */
  #serve(live: BootedWorker, calls: Array<{ id: number; call: WorkerCall }>): void {
    for (const { id, call } of calls) {
      this.#calls.serve(id, requestOf(call), (ok, value) => {
        if (live !== this.#live) return;
        const message: HostAnswer = { type: 'answer', id, ok, value, budget: this.#bridge.budget() };
        live.answers.postMessage(message);
        wakeWorker(live);
      });
    }
  }

  async run(code: string, options: RunCellOptions = {}): Promise<CellResult> {
    const started = performance.now();
    if (options.signal?.aborted) throw new CancelledError();
    if (this.#disposed) throw new CancelledError('sandbox disposed');
    const timeoutMs = options.timeoutMs ?? this.#settings.cellTimeoutMs;
    const live = this.#live;
    this.#calls.startCell();
    Atomics.store(live.interrupt, 0, 0);
    const history = this.#bridge.history?.() ?? [];
    const historyFrom = Math.min(this.#historySent, history.length);
    this.#historySent = history.length;
    const result = this.#request(
      live,
      { type: 'run', code, historyFrom, history: history.slice(historyFrom), budget: this.#bridge.budget() },
      'result',
    );
    try {
      const raced = await raceDeadline(result, { timeoutMs, signal: options.signal, calls: this.#calls }, async ({ openCalls }) => {
        // Interrupt Python: a KeyboardInterrupt at its next check, or in the device if it waits
        // there on calls or a sleep.
        const slept = Atomics.load(live.activity, 0) === 1;
        Atomics.store(live.interrupt, 0, 2);
        wakeWorker(live);
        const stopped = await Promise.race([result, computed(live.worker, INTERRUPT_GRACE_CPU_MS, INTERRUPT_GRACE_MAX_MS)]);
        const restarted = stopped === undefined ? await this.#rebuild() : false;
        const error = restarted
          ? cellTimedOut('computing', timeoutMs, 'and did not stop when interrupted, so the REPL was restarted (variables are gone)')
          : cellTimedOut(openCalls > 0 ? 'waiting on sub-calls' : slept ? 'sleeping (time.sleep)' : 'computing', timeoutMs);
        return { partial: stopped ?? { type: 'result' as const, outcome: '{"output":"","outputChars":0}' }, restarted, error };
      });
      if ('done' in raced) return this.#result(started, raced.done, false);
      const { partial, restarted, error } = raced.stopped;
      return this.#result(started, partial, restarted, error);
    } catch (error) {
      if (!(error instanceof WorkerDied)) throw error;
      if (options.signal?.aborted) throw new CancelledError();
      await this.#rebuild();
      return {
        output: '',
        error: `${error.message}; the REPL was restarted and its variables are gone`,
        restarted: true,
        durationMs: performance.now() - started,
      };
    } finally {
      // Whatever calls the cell left behind (a batch cut short by an error) end with it.
      this.#calls.endCell(() => new Error('the cell that made this call had ended'));
    }
  }

  #result(started: number, message: FromWorker, restarted: boolean, interrupted?: string): CellResult {
    const outcome = JSON.parse(message.type === 'result' ? message.outcome : '{}') as {
      output?: string;
      outputChars?: number;
      error?: string;
      final?: string;
    };
    const output = outcome.output ?? '';
    let error = outcome.error;
    // A stopped cell gives one error: what Python raised as it was stopped (the KeyboardInterrupt,
    // or a call failing because it was aborted) is the stop itself.
    if (interrupted) error = interrupted;
    else if (error?.startsWith('MemoryError')) error = `${error} (limit ${this.#settings.memoryLimitMb} MiB)`;
    const result: CellResult = {
      output: cutOutput(output, outcome.outputChars ?? output.length, this.#settings.maxOutputChars),
      restarted,
      durationMs: performance.now() - started,
    };
    if (error !== undefined) result.error = cutError(error);
    if (outcome.final !== undefined) result.final = outcome.final;
    return result;
  }

  /** Replaces the worker with a fresh one, the context loaded again. */
  async #rebuild(): Promise<true> {
    const old = this.#live;
    this.#waiting = undefined;
    void old.worker.terminate();
    old.answers.close();
    if (this.#disposed) return true;
    const live = await bootWorker({ ...(this.#snapshot ? { snapshot: this.#snapshot } : {}) });
    this.#live = live;
    this.#historySent = 0;
    await this.#load(live);
    return true;
  }

  async variable(name: string): Promise<{ found: true; value: string } | { found: false; names: string[] }> {
    if (this.#waiting || this.#disposed) return { found: false, names: [] };
    try {
      const answer = await Promise.race([
        this.#request(this.#live, { type: 'variable', name }, 'variable-result'),
        delay(VARIABLE_TIMEOUT_MS),
      ]);
      if (answer?.type === 'variable-result') {
        const parsed = JSON.parse(answer.answer) as { found: boolean; value?: string; names?: string[] };
        if (parsed.found && typeof parsed.value === 'string') return { found: true, value: parsed.value };
        return { found: false, names: parsed.names ?? [] };
      }
    } catch {
      // the worker died: nothing to read
    }
    return { found: false, names: [] };
  }

  dispose(): void {
    this.#disposed = true;
    this.#calls.dispose(new CancelledError('sandbox disposed'));
    void this.#live.worker.terminate();
  }
}

/**
 * A call as runtime.py wrote it to the device, read into a request: it lives beside model code,
 * so the request is checked again where it is served (shared/host-calls.ts).
 */
function requestOf(call: WorkerCall): HostCallRequest {
  const { model, schema } = (call ?? {}) as { model?: unknown; schema?: unknown };
  const options = { ...(typeof model === 'string' ? { model } : {}), ...(schema === undefined || schema === null ? {} : { schema }) };
  return { ...call, options } as HostCallRequest;
}

/** Wakes the worker if it waits in the device (on calls or a sleep). */
function wakeWorker(live: BootedWorker): void {
  Atomics.add(live.wake, 0, 1);
  Atomics.notify(live.wake, 0);
}

function describeDeath(error: Error, memoryLimitMb: number): string {
  if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY')
    return `MemoryError: the cell ran out of memory (limit ${memoryLimitMb} MiB)`;
  return `Error: the Python worker stopped (${error.message.split('\n')[0]})`;
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(resolve, ms, undefined).unref());
}

/** Resolves once this process has used `cpuMs` of CPU time from now, or after `maxMs` at most. */
async function computed(worker: Worker, cpuMs: number, maxMs: number): Promise<undefined> {
  const started = performance.now();
  const cpu = async () => {
    const { user, system } = await worker.cpuUsage().catch(() => ({ user: Infinity, system: 0 }));
    return (user + system) / 1_000;
  };
  const from = await cpu();
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      void cpu().then((now) => {
        if (now - from >= cpuMs || performance.now() - started >= maxMs) {
          clearInterval(poll);
          resolve(undefined);
        }
      });
    }, 50).unref();
  });
}
