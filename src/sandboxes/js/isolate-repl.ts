/**
 * The JavaScript REPL's engine: a V8 isolate (isolated-vm) with its own heap and memory cap,
 * holding no Node API at all. It runs inside the REPL process (repl-process.ts); JsSandbox is the
 * side the run talks to. Model code reaches the host only through `startCall`/`syncCall`, which take
 * and return JSON text; results come back through the runtime's `deliver`.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import ivm from 'isolated-vm';
import { CancelledError } from '../../errors.ts';
import { cutOutput, REPL_NAMES, type Bridge, type CellResult, type ContextValue, type RunCellOptions, type Sandbox } from '../sandbox.ts';
import { inspect } from './inspect.ts';
import { installRuntime, type CellOutcome } from './runtime.ts';
import { replSettings } from '../ipc.ts';
import type { ContextFile } from '../context-file.ts';
import { CellSyntaxError, transformCell } from './transform.ts';


export interface IsolateReplOptions {
  /** The context, as a value... */
  context?: ContextValue;
  /** ...or in a file, read by the isolate itself (used by the REPL process). */
  contextFile?: ContextFile;
  bridge: Bridge;
  /** Heap cap of the isolate in MiB (default 1024). */
  memoryLimitMb?: number;
  /** Names of the user's tools, served by `bridge.tool`. */
  tools?: string[];
  /** Characters of output shown per cell (default 20,000). */
  maxOutputChars?: number;
  /** Default time limit per cell in ms, awaiting included (default 60 s). */
  cellTimeoutMs?: number;
}

interface Live {
  isolate: ivm.Isolate;
  context: ivm.Context;
  deliver: ivm.Reference<(id: number, ok: boolean, payload: string) => void>;
  run: ivm.Reference<(start: () => Promise<unknown>) => Promise<string>>;
  abandon: ivm.Reference<() => string>;
  variable: ivm.Reference<(name: string) => string>;
}

const RESERVED = new Set<string>([...REPL_NAMES, 'console']);
const BUSY_SAMPLE_MS = 40;
const TIMEOUT_GRACE_MS = 250;
const VARIABLE_TIMEOUT_MS = 5000;

export class IsolateRepl implements Sandbox {
  readonly language = 'javascript' as const;
  readonly #options: Required<Omit<IsolateReplOptions, 'context' | 'contextFile' | 'bridge'>>;
  readonly #contextValue: ContextValue;
  readonly #contextFile: ContextFile | undefined;
  readonly #bridge: Bridge;
  #live: Live;
  /** Aborts the host calls (sub-calls) started by the cell now running. */
  #calls = new AbortController();
  /** Aborts every host call still running when the sandbox is disposed, whichever cell began it. */
  readonly #life = new AbortController();
  /** Errors raised in the isolate between cells (a late unhandled rejection), shown with the next. */
  #late: string[] = [];
  /** Isolates this class disposed; any other disposed isolate died of its memory limit. */
  readonly #stopped = new WeakSet<ivm.Isolate>();
  #disposed = false;

  private constructor(options: IsolateReplOptions, live: Live) {
    this.#options = replSettings(options);
    this.#contextValue = options.context;
    this.#contextFile = options.contextFile;
    this.#bridge = options.bridge;
    this.#live = live;
  }

  /** Makes the isolate and loads the context into it once. */
  static async create(options: IsolateReplOptions): Promise<IsolateRepl> {
    const placeholder = null as unknown as Live;
    const sandbox = new IsolateRepl(options, placeholder);
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
      if (name === 'history') return JSON.stringify(this.#bridge.history?.() ?? []);
      return 'null';
    });
    const source = `(${installRuntime.toString()})((${inspect.toString()}), $0, $1, $2)`;
    const runtime = (await context.evalClosure(
      `return ${source}`,
      [startCall, syncCall, new ivm.ExternalCopy({ maxOutputChars: this.#options.maxOutputChars, reserved: [...RESERVED], tools: this.#options.tools }).copyInto()],
      { result: { reference: true } },
    )) as ivm.Reference<Record<string, unknown>>;
    const live: Live = {
      isolate,
      context,
      deliver: (await runtime.get('deliver', { reference: true })) as Live['deliver'],
      run: (await runtime.get('run', { reference: true })) as Live['run'],
      abandon: (await runtime.get('abandon', { reference: true })) as Live['abandon'],
      variable: (await runtime.get('variable', { reference: true })) as Live['variable'],
    };
    runtime.release();
    await this.#loadContext(jail, context);
    return live;
  }

  async #loadContext(jail: ivm.Reference<Record<string, unknown>>, context: ivm.Context): Promise<void> {
    const file = this.#contextFile;
    if (file) {
      if (file.format === 'text') return loadTextFile(file.path, context);
      const parsed: unknown = JSON.parse(readFileSync(file.path, 'utf8'));
      return jail.set('context', new ivm.ExternalCopy(parsed).copyInto({ release: true }));
    }
    const value = this.#contextValue;
    // Strings cross as one copy; lists and objects through the structured clone.
    if (typeof value === 'string') await jail.set('context', value);
    else await jail.set('context', new ivm.ExternalCopy(value).copyInto({ release: true }));
  }

  /** Serves a call started by model code: runs the bridge function, then delivers the answer. */
  #dispatch(isolate: ivm.Isolate, id: number, name: string, argsJson: string): void {
    // Not just the cell's signal: calls a finished cell left running (never awaited) kept
    // running after dispose(), since that only aborted the signal of the last cell.
    const signal = AbortSignal.any([this.#calls.signal, this.#life.signal]);
    const run = async (): Promise<string> => {
      // The runtime builds this text, but it lives in the isolate with model code: check it.
      const args: unknown = JSON.parse(String(argsJson));
      if (!Array.isArray(args) || typeof args[0] !== 'string') throw new Error(`malformed arguments to ${name}`);
      const model = (args[1] as { model?: unknown } | null)?.model;
      if (name === 'llm_query') return this.#bridge.llm_query(args[0], typeof model === 'string' ? { model } : {}, signal);
      if (name === 'rlm_query') return this.#bridge.rlm_query(args[0], args[1] ?? undefined, {}, signal);
      if (name === 'tool' && this.#bridge.tool && this.#options.tools.includes(args[0]) && Array.isArray(args[1])) {
        const value = await this.#bridge.tool(args[0], args[1] as unknown[], signal);
        return JSON.stringify(value ?? null);
      }
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
    if (this.#disposed) throw new CancelledError('sandbox disposed');
    // Work an earlier cell left running (an async function nobody awaited) may have run out of
    // memory between cells; isolated-vm then disposed the isolate, and every later cell threw
    // "Isolate is disposed" at the host. Rebuild, and tell the model why.
    const rebuilt = this.#live.isolate.isDisposed ? await this.#rebuild() : false;
    if (rebuilt) {
      late.push(`RangeError: work an earlier cell left running ran out of memory (limit ${this.#options.memoryLimitMb} MiB), so the REPL was restarted before this cell ran`);
    }
    this.#calls = new AbortController();
    const live = this.#live;
    // Starting is raced with the limits too: work an earlier cell left running (an endless loop
    // after an await, in a promise nobody awaited) keeps the isolate busy, and waiting for it
    // without a limit hung this call forever, deaf to its signal.
    let begun = false;
    const outcome = this.#start(live, script, timeoutMs, () => (begun = true));
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<'timeout' | 'cancelled'>((resolve) => {
      // A little grace, so that the isolate's own limit on synchronous code (which keeps the
      // isolate and its variables) fires first when it applies.
      timer = setTimeout(() => resolve('timeout'), timeoutMs + TIMEOUT_GRACE_MS);
      onAbort = () => resolve('cancelled');
      // Removed in `finally`: one signal serves many cells, and listeners piled up on it.
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const first = await Promise.race([outcome, stop]);
      if (first !== 'timeout' && first !== 'cancelled') {
        const restarted = first.restart ? await this.#rebuild() : false;
        return this.#result(started, first.outcome, late, restarted || rebuilt);
      }
      // The cell is still running: stop its sub-calls, then find out whether the isolate is
      // merely waiting (keep it, and its variables) or spinning (throw it away and rebuild).
      this.#calls.abort(first === 'cancelled' ? new CancelledError() : new Error('the cell timed out'));
      let partial = (await this.#isBusy(live)) ? undefined : await this.#abandon(live);
      const restarted = partial === undefined ? await this.#rebuild() : false;
      partial ??= { output: '', outputChars: 0 };
      if (first === 'cancelled') throw new CancelledError();
      const waited = restarted ? 'was still computing' : 'was still waiting (on sub-calls or a promise that never settles)';
      partial.error = begun
        ? `TimeoutError: the cell ${waited} after ${timeoutMs} ms and was stopped`
        : `TimeoutError: the cell could not start within ${timeoutMs} ms: the REPL was still busy with work an earlier cell left running (an endless loop after an await?)${restarted ? ', so the REPL was restarted' : ''}; run the cell again`;
      return this.#result(started, partial, late, restarted || rebuilt);
    } finally {
      clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Compiles and starts a cell; settles with its outcome or with how it died. Two trips to the
   * isolate's thread: one evaluates the script (which only defines the cell's function, so any
   * error there is a compile error), one runs it; they are most of a trivial cell's cost.
   */
  async #start(live: Live, script: string, timeoutMs: number, onBegun: () => void): Promise<{ outcome: CellOutcome; restart: boolean }> {
    let compiling = true;
    try {
      const start = (await live.context.eval(script, { filename: 'cell.js', reference: true, timeout: timeoutMs })) as ivm.Reference<
        () => Promise<unknown>
      >;
      compiling = false;
      onBegun();
      const json: unknown = await live.run.apply(undefined, [start.derefInto({ release: true })], {
        result: { promise: true, copy: true },
        timeout: timeoutMs,
      });
      const outcome = readOutcome(json);
      if (outcome) return { outcome, restart: false };
      // The runtime shares the isolate with model code, which can break built-ins it relies on
      // beyond what it guards against; a malformed answer (a `toJSON` on Object.prototype made
      // it `5`) used to crash the host with a TypeError. Start afresh instead.
      const error = 'Error: the cell changed built-ins the REPL relies on (JSON, Promise, prototypes...), so the REPL was restarted';
      return { outcome: { output: '', outputChars: 0, error }, restart: true };
    } catch (error) {
      const message = messageOf(error);
      // Disposed before the cell could begin: work an earlier cell left running ran out of memory.
      if (live.isolate.isDisposed) return this.#died(live, message, compiling);
      const partial = (await this.#abandon(live)) ?? { output: '', outputChars: 0 };
      if (/execution timed out/i.test(message)) {
        partial.error = `TimeoutError: the cell was still computing after ${timeoutMs} ms and was stopped`;
      } else if (compiling) {
        // Code acorn accepts but V8 refuses (a `#!` line inside the wrapper...). The message has
        // no "SyntaxError" in it, so it used to be reported as an unhandled rejection.
        partial.error = `SyntaxError: ${message.replace(/\s*\[cell\.js:(\d+):\d+\]$/, ' (line $1)')}`;
      } else {
        // The cell itself settled through `run`; anything thrown here is a promise the cell
        // rejected without handling (isolated-vm reports those as a failure of the call).
        partial.error = `Unhandled promise rejection: ${message}`;
      }
      return { outcome: partial, restart: false };
    }
  }

  /** The outcome of a cell whose isolate was disposed under it. */
  #died(live: Live, message: string, beforeStart = false): { outcome: CellOutcome; restart: true } {
    // Running out of memory after an await only says "Promise was abandoned": isolated-vm
    // disposes an isolate by itself only at its memory limit, so say so whatever the message.
    const memory = /memory limit/i.test(message) || !this.#stopped.has(live.isolate);
    const limit = `(limit ${this.#options.memoryLimitMb} MiB)`;
    const error = !memory
      ? `Error: the REPL stopped (${message})`
      : beforeStart
        ? `RangeError: work an earlier cell left running ran out of memory ${limit}, so the REPL was restarted before this cell; run it again`
        : `RangeError: the cell ran out of memory ${limit}`;
    return { outcome: { output: '', outputChars: 0, error }, restart: true };
  }

  /** Ends the cell's output and collects it; undefined if the isolate does not answer in time. */
  async #abandon(live: Live): Promise<CellOutcome | undefined> {
    const answer = live.abandon
      .apply(undefined, [], { result: { copy: true }, timeout: 1000 })
      .then((json) => readOutcome(json))
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
    this.#stopped.add(old.isolate);
    if (!old.isolate.isDisposed) old.isolate.dispose();
    // A sandbox disposed while a cell was ending must not boot an isolate nobody will dispose.
    if (!this.#disposed) this.#live = await this.#boot();
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
    // Reading the variable runs model code (a getter, a toJSON) that may throw, loop or break
    // the runtime, and the isolate may still be busy with work left by a cell (the call would
    // queue behind it forever); none of that may reach the caller as anything but "not found".
    let timer: NodeJS.Timeout | undefined;
    try {
      const read = this.#live.variable.apply(undefined, [name], { arguments: { copy: true }, result: { copy: true }, timeout: VARIABLE_TIMEOUT_MS });
      const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, VARIABLE_TIMEOUT_MS + TIMEOUT_GRACE_MS, undefined)));
      const json: unknown = await Promise.race([read, late]);
      const answer = JSON.parse(String(json)) as { found?: unknown; value?: unknown; names?: unknown };
      if (answer.found === true && typeof answer.value === 'string') return { found: true, value: answer.value };
      if (answer.found === false && Array.isArray(answer.names)) return { found: false, names: answer.names.map(String) };
    } catch {
      // fall through
    } finally {
      clearTimeout(timer);
    }
    return { found: false, names: [] };
  }

  dispose(): void {
    this.#disposed = true;
    this.#life.abort(new CancelledError('sandbox disposed'));
    this.#stopped.add(this.#live.isolate);
    if (!this.#live.isolate.isDisposed) this.#live.isolate.dispose();
  }
}

/** A cell's outcome as sent by the runtime, or undefined if it is not one (see `#start`). */
function readOutcome(json: unknown): CellOutcome | undefined {
  if (typeof json !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { output, outputChars, error, final } = value as Record<string, unknown>;
  if (typeof output !== 'string' || typeof outputChars !== 'number' || !Number.isFinite(outputChars)) return undefined;
  if ((error !== undefined && typeof error !== 'string') || (final !== undefined && typeof final !== 'string')) return undefined;
  const outcome: CellOutcome = { output, outputChars };
  if (error !== undefined) outcome.error = error;
  if (final !== undefined) outcome.final = final;
  return outcome;
}

const CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * Reads a UTF-8 file into the isolate's `context` a chunk at a time, joined inside the isolate:
 * this side never holds more than one chunk, which keeps the REPL process's peak memory at about
 * twice the context (the chunks and the joined string, briefly, both in the isolate).
 */
async function loadTextFile(path: string, context: ivm.Context): Promise<void> {
  const loader = (await context.evalClosure(
    `const parts = [];
     return {
       push: (text) => { parts.push(text); },
       done: () => { globalThis.context = parts.join(''); parts.length = 0; },
     };`,
    [],
    { result: { reference: true } },
  )) as ivm.Reference<Record<string, unknown>>;
  const push = (await loader.get('push', { reference: true })) as ivm.Reference<(text: string) => void>;
  const done = (await loader.get('done', { reference: true })) as ivm.Reference<() => void>;
  const decoder = new StringDecoder('utf8');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, CHUNK_BYTES, null);
      if (read === 0) break;
      await push.apply(undefined, [decoder.write(buffer.subarray(0, read))], { arguments: { copy: true } });
    }
    const rest = decoder.end();
    if (rest) await push.apply(undefined, [rest], { arguments: { copy: true } });
    await done.apply(undefined, []);
  } finally {
    closeSync(fd);
    loader.release();
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
