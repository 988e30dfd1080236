/**
 * The JavaScript REPL: a V8 isolate (isolated-vm) with its own heap and memory cap, holding no
 * Node API at all. Model code reaches the host only through `startCall`/`syncCall`, which take
 * and return JSON text; results come back through the runtime's `deliver`.
 */
import ivm from 'isolated-vm';
import { CancelledError } from '../../errors.ts';
import { cutOutput, REPL_NAMES, type Bridge, type CellResult, type ContextValue, type RunCellOptions, type Sandbox } from '../sandbox.ts';
import { inspect } from './inspect.ts';
import { installRuntime, type CellOutcome } from './runtime.ts';
import { CellSyntaxError, transformCell } from './transform.ts';

export interface JsSandboxOptions {
  context: ContextValue;
  bridge: Bridge;
  /** Heap cap of the isolate in MiB (default 1024). */
  memoryLimitMb?: number;
  /** Characters of output shown per cell (default 20,000). */
  maxOutputChars?: number;
  /** Default time limit per cell in ms, awaiting included (default 60 s). */
  cellTimeoutMs?: number;
}

interface Live {
  isolate: ivm.Isolate;
  context: ivm.Context;
  deliver: ivm.Reference<(id: number, ok: boolean, payload: string) => void>;
  begin: ivm.Reference<() => void>;
  run: ivm.Reference<(start: () => Promise<unknown>) => Promise<string>>;
  abandon: ivm.Reference<() => string>;
  variable: ivm.Reference<(name: string) => string>;
}

const RESERVED = new Set<string>([...REPL_NAMES, 'console']);
const BUSY_SAMPLE_MS = 40;
const TIMEOUT_GRACE_MS = 250;

export class JsSandbox implements Sandbox {
  readonly language = 'javascript' as const;
  readonly #options: Required<Omit<JsSandboxOptions, 'context' | 'bridge'>>;
  readonly #contextValue: ContextValue;
  readonly #bridge: Bridge;
  #live: Live;
  /** Aborts the host calls (sub-calls) started by the cell now running. */
  #calls = new AbortController();
  /** Errors raised in the isolate between cells (a late unhandled rejection), shown with the next. */
  #late: string[] = [];

  private constructor(options: JsSandboxOptions, live: Live) {
    this.#options = {
      memoryLimitMb: options.memoryLimitMb ?? 1024,
      maxOutputChars: options.maxOutputChars ?? 20_000,
      cellTimeoutMs: options.cellTimeoutMs ?? 60_000,
    };
    this.#contextValue = options.context;
    this.#bridge = options.bridge;
    this.#live = live;
  }

  /** Makes the isolate and loads the context into it once. */
  static async create(options: JsSandboxOptions): Promise<JsSandbox> {
    const placeholder = null as unknown as Live;
    const sandbox = new JsSandbox(options, placeholder);
    sandbox.#live = await sandbox.#boot();
    return sandbox;
  }

  async #boot(): Promise<Live> {
    const isolate = new ivm.Isolate({ memoryLimit: this.#options.memoryLimitMb });
    const context = await isolate.createContext();
    const jail = context.global;
    await jail.set('globalThis', jail.derefInto());
    const generation = { isolate };
    const startCall = new ivm.Callback((id: number, name: string, argsJson: string) => {
      this.#dispatch(generation.isolate, id, name, argsJson);
    });
    const syncCall = new ivm.Callback((name: string) => {
      if (name === 'budget') return JSON.stringify(this.#bridge.budget() ?? null);
      return 'null';
    });
    const source = `(${installRuntime.toString()})((${inspect.toString()}), $0, $1, $2)`;
    const runtime = (await context.evalClosure(
      `return ${source}`,
      [startCall, syncCall, new ivm.ExternalCopy({ maxOutputChars: this.#options.maxOutputChars, reserved: [...RESERVED] }).copyInto()],
      { result: { reference: true } },
    )) as ivm.Reference<Record<string, unknown>>;
    const live: Live = {
      isolate,
      context,
      deliver: (await runtime.get('deliver', { reference: true })) as Live['deliver'],
      begin: (await runtime.get('begin', { reference: true })) as Live['begin'],
      run: (await runtime.get('run', { reference: true })) as Live['run'],
      abandon: (await runtime.get('abandon', { reference: true })) as Live['abandon'],
      variable: (await runtime.get('variable', { reference: true })) as Live['variable'],
    };
    runtime.release();
    await this.#loadContext(jail);
    return live;
  }

  async #loadContext(jail: ivm.Reference<Record<string, unknown>>): Promise<void> {
    const value = this.#contextValue;
    // Strings cross as one copy; lists and objects through the structured clone.
    if (typeof value === 'string') await jail.set('context', value);
    else await jail.set('context', new ivm.ExternalCopy(value).copyInto({ release: true }));
  }

  /** Serves a call started by model code: runs the bridge function, then delivers the answer. */
  #dispatch(isolate: ivm.Isolate, id: number, name: string, argsJson: string): void {
    const signal = this.#calls.signal;
    const run = async (): Promise<string> => {
      const args = JSON.parse(argsJson) as unknown[];
      if (name === 'llm_query') return this.#bridge.llm_query(String(args[0]), (args[1] ?? {}) as { model?: string }, signal);
      if (name === 'rlm_query') return this.#bridge.rlm_query(String(args[0]), args[1] ?? undefined, signal);
      throw new Error(`unknown host call ${name}`);
    };
    const deliver = (ok: boolean, payload: string) => {
      if (isolate !== this.#live.isolate || isolate.isDisposed) return;
      this.#live.deliver.apply(undefined, [id, ok, payload], { arguments: { copy: true } }).catch((error: unknown) => {
        // The isolate turns an unhandled rejection raised while it ran our callback into a failure
        // of that call: it belongs to model code, so it is shown to the model with the next cell.
        if (!isolate.isDisposed) this.#late.push(`Unhandled promise rejection: ${messageOf(error)}`);
      });
    };
    run().then(
      (text) => deliver(true, text),
      (error: unknown) => deliver(false, messageOf(error)),
    );
  }

  async run(code: string, options: RunCellOptions = {}): Promise<CellResult> {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? this.#options.cellTimeoutMs;
    const late = this.#late.splice(0);
    let script: string;
    try {
      script = transformCell(code, RESERVED).script;
    } catch (error) {
      if (!(error instanceof CellSyntaxError)) throw error;
      return this.#result(started, { output: '', outputChars: 0, error: `SyntaxError: ${error.message}` }, late, false);
    }
    if (options.signal?.aborted) throw new CancelledError();
    this.#calls = new AbortController();
    const live = this.#live;
    await live.begin.apply(undefined, []);

    const outcome = this.#start(live, script, timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const stop = new Promise<'timeout' | 'cancelled'>((resolve) => {
      // A little grace, so that the isolate's own limit on synchronous code (which keeps the
      // isolate and its variables) fires first when it applies.
      timer = setTimeout(() => resolve('timeout'), timeoutMs + TIMEOUT_GRACE_MS);
      options.signal?.addEventListener('abort', () => resolve('cancelled'), { once: true });
    });
    try {
      const first = await Promise.race([outcome, stop]);
      if (first !== 'timeout' && first !== 'cancelled') {
        const restarted = first.restart ? await this.#rebuild() : false;
        return this.#result(started, first.outcome, late, restarted);
      }
      // The cell is still running: stop its sub-calls, then find out whether the isolate is
      // merely waiting (keep it, and its variables) or spinning (throw it away and rebuild).
      this.#calls.abort(first === 'cancelled' ? new CancelledError() : new Error('the cell timed out'));
      let partial = (await this.#isBusy(live)) ? undefined : await this.#abandon(live);
      const restarted = partial === undefined ? await this.#rebuild() : false;
      partial ??= { output: '', outputChars: 0 };
      if (first === 'cancelled') throw new CancelledError();
      const waited = restarted ? 'was still computing' : 'was still waiting (on sub-calls or a promise that never settles)';
      partial.error = `TimeoutError: the cell ${waited} after ${timeoutMs} ms and was stopped`;
      return this.#result(started, partial, late, restarted);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Compiles and starts a cell; settles with its outcome or with how it died. */
  async #start(live: Live, script: string, timeoutMs: number): Promise<{ outcome: CellOutcome; restart: boolean }> {
    try {
      const compiled = await live.isolate.compileScript(script, { filename: 'cell.js' });
      const start = (await compiled.run(live.context, { reference: true, timeout: timeoutMs })) as ivm.Reference<() => Promise<unknown>>;
      compiled.release();
      const json = (await live.run.apply(undefined, [start.derefInto({ release: true })], {
        result: { promise: true, copy: true },
        timeout: timeoutMs,
      })) as string;
      return { outcome: JSON.parse(json) as CellOutcome, restart: false };
    } catch (error) {
      const message = messageOf(error);
      if (live.isolate.isDisposed) {
        const memory = /memory limit/i.test(message);
        return {
          outcome: {
            output: '',
            outputChars: 0,
            error: memory
              ? `RangeError: the cell ran out of memory (limit ${this.#options.memoryLimitMb} MiB)`
              : `Error: the REPL stopped (${message})`,
          },
          restart: true,
        };
      }
      const partial = (await this.#abandon(live)) ?? { output: '', outputChars: 0 };
      if (/execution timed out/i.test(message)) {
        partial.error = `TimeoutError: the cell was still computing after ${timeoutMs} ms and was stopped`;
      } else if (/^SyntaxError/.test(message)) {
        partial.error = message;
      } else {
        // The cell itself settled through `run`; anything thrown here is a promise the cell
        // rejected without handling (isolated-vm reports those as a failure of the call).
        partial.error = `Unhandled promise rejection: ${message}`;
      }
      return { outcome: partial, restart: false };
    }
  }

  /** Ends the cell's output and collects it; undefined if the isolate does not answer in time. */
  async #abandon(live: Live): Promise<CellOutcome | undefined> {
    const answer = live.abandon
      .apply(undefined, [], { result: { copy: true }, timeout: 1000 })
      .then((json) => JSON.parse(json as string) as CellOutcome)
      .catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, 1000, undefined)));
    try {
      return await Promise.race([answer, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether the isolate is burning CPU (an endless loop) rather than waiting. */
  async #isBusy(live: Live): Promise<boolean> {
    if (live.isolate.isDisposed) return true;
    const before = live.isolate.cpuTime;
    await new Promise((resolve) => setTimeout(resolve, BUSY_SAMPLE_MS));
    if (live.isolate.isDisposed) return true;
    const spentMs = Number(live.isolate.cpuTime - before) / 1e6;
    return spentMs > BUSY_SAMPLE_MS / 2;
  }

  /** Throws the isolate away and starts a fresh one with the context loaded again. */
  async #rebuild(): Promise<true> {
    const old = this.#live;
    if (!old.isolate.isDisposed) old.isolate.dispose();
    this.#live = await this.#boot();
    return true;
  }

  #result(started: number, outcome: CellOutcome, late: string[], restarted: boolean): CellResult {
    const output = cutOutput(outcome.output, outcome.outputChars, this.#options.maxOutputChars);
    const errors = [...late, ...(outcome.error ? [outcome.error] : [])];
    const result: CellResult = { output, restarted, durationMs: performance.now() - started };
    if (errors.length > 0) result.error = errors.join('\n');
    if (outcome.final !== undefined) result.final = outcome.final;
    return result;
  }

  async variable(name: string): Promise<{ found: true; value: string } | { found: false; names: string[] }> {
    const json = (await this.#live.variable.apply(undefined, [name], { arguments: { copy: true }, result: { copy: true }, timeout: 5000 })) as string;
    return JSON.parse(json) as { found: true; value: string } | { found: false; names: string[] };
  }

  dispose(): void {
    this.#calls.abort(new CancelledError('sandbox disposed'));
    if (!this.#live.isolate.isDisposed) this.#live.isolate.dispose();
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
