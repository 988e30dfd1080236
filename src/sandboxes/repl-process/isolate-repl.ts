/**
 * The JavaScript REPL's engine: a V8 isolate (isolated-vm) with its own heap and memory cap,
 * holding no Node API at all. It runs inside the REPL process (js-main.ts); JsSandbox is the
 * side the run talks to. Model code reaches the host only through `startCall`/`syncCall`, which take
 * and return JSON text; results come back through the runtime's `deliver`.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import ivm from 'isolated-vm';
import { CancelledError } from '../../errors.ts';
import {
  cutOutput,
  REPL_NAMES,
  sandboxSettings,
  type CellResult,
  type ContextValue,
  type RunCellOptions,
  type Sandbox,
  type SandboxOptions,
  type SandboxSettings,
} from '../sandbox.ts';
import { inspect } from '../in-isolate/inspect.ts';
import { installRuntime, type CellOutcome, type RuntimeConfig } from '../in-isolate/runtime.ts';
import {
  cutError,
  MAX_ANSWER_CHARS,
  MAX_CALLS_WAITING,
  MAX_ERROR_CHARS,
  MAX_PROMPT_CHARS,
  MAX_SCHEMA_JSON_CHARS,
  MAX_VALUE_DEPTH,
  MAX_VALUE_JSON_CHARS,
} from '../limits.ts';
import type { ContextFile } from '../shared/context-file.ts';
import type { Engine, EngineOptions } from './repl-server.ts';
import { CellSyntaxError, transformCell } from './transform.ts';
import { HostCalls, type HostCallRequest } from '../shared/host-calls.ts';
import { cellTimedOut, raceDeadline } from './cell-deadline.ts';

/**
 * The context as a value (tests, and any caller in one process), or in files the isolate reads
 * itself, again after a rebuild (the REPL process).
 */
export type IsolateReplOptions = SandboxOptions | EngineOptions;

/** One context, as a value or in a file; every one is loaded again when the isolate is rebuilt. */
type ContextSource = { value: ContextValue } | { file: ContextFile };

interface Live {
  isolate: ivm.Isolate;
  context: ivm.Context;
  deliver: ivm.Reference<(answers: unknown[]) => void>;
  run: ivm.Reference<(start: () => Promise<unknown>) => Promise<string>>;
  abandon: ivm.Reference<() => string>;
  end: ivm.Reference<() => void>;
  variable: ivm.Reference<(name: string) => string>;
  /** Keeps what `context` holds as the next `context_<n>`; returns n. */
  keepContext: ivm.Reference<() => number>;
  /** The last trip that ended a cell's calls; true if the isolate died of it (see #endCell). */
  ending?: Promise<boolean>;
}

/** Why a call still pending when its cell ended is rejected in the isolate. */
const ENDED_CALL = 'was cancelled: the cell that made it had ended (await every call in the cell that makes it)';
/** Why the calls of a cell that ended are aborted; made once, as a stack per cell costs more than a trivial cell's other work here. */
const CELL_ENDED = new Error(`call ${ENDED_CALL}`);

const RESERVED = new Set<string>([...REPL_NAMES, 'console', 'context_0']);
const BUSY_SAMPLE_MS = 40;
const TIMEOUT_GRACE_MS = 250;
const VARIABLE_TIMEOUT_MS = 5000;
/**
 * Different Intl objects one isolate may make: ICU holds them outside the isolate's heap limit
 * (a DateTimeFormat is about 26 KB, so this is some 50 MB at most); the same arguments are served
 * the same object, so only code making thousands of different formatters meets it.
 */
const MAX_INTL_OBJECTS = 2_000;
/** Room for the note the runtime adds to a text it cut. */
const NOTE_ROOM = 200;
/** Errors raised between cells kept for the next result. */
const LATE_ERRORS = 5;

export class IsolateRepl implements Sandbox, Engine {
  readonly language = 'javascript' as const;
  readonly #options: SandboxSettings;
  /** Every context loaded, in order: `context_0`, `context_1`... */
  readonly #contexts: ContextSource[];
  /** The calls model code makes to the host, served for the cell now running. */
  readonly #calls: HostCalls;
  #live: Live;
  /** Answers waiting to be handed to the isolate in one trip: id, ok, payload, ... */
  #answers: unknown[] = [];
  #answersFor: Live | undefined;
  /** Errors raised in the isolate between cells (a late unhandled rejection), shown with the next. */
  #late: string[] = [];
  /** Isolates this class disposed; any other disposed isolate died of its memory limit. */
  readonly #stopped = new WeakSet<ivm.Isolate>();
  #disposed = false;
  /** The isolate was rebuilt between cells (a context added as it died): the next cell says so. */
  #restartedBetweenCells = false;

  private constructor(options: IsolateReplOptions, live: Live) {
    this.#options = sandboxSettings(options);
    this.#contexts = 'contextFiles' in options ? options.contextFiles.map((file) => ({ file })) : [{ value: options.context }];
    this.#calls = new HostCalls(options.bridge, this.#options.tools);
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
    try {
      return await this.#prepare(isolate);
    } catch (error) {
      // A context too large for the memory cap: no half-built isolate is left behind.
      if (!isolate.isDisposed) isolate.dispose();
      throw error;
    }
  }

  async #prepare(isolate: ivm.Isolate): Promise<Live> {
    const context = await isolate.createContext();
    const jail = context.global;
    await jail.set('globalThis', jail.derefInto());
    const startCall = new ivm.Callback((id: number, name: string, argsJson: string) => {
      this.#dispatch(id, name, argsJson);
    });
    const syncCall = new ivm.Callback((name: string) => this.#calls.sync(String(name)));
    const source = `(${installRuntime.toString()})((${inspect.toString()}), $0, $1, $2)`;
    const config: RuntimeConfig = {
      maxOutputChars: this.#options.maxOutputChars,
      reserved: [...RESERVED],
      tools: this.#options.tools,
      limits: {
        maxErrorChars: MAX_ERROR_CHARS,
        maxAnswerChars: MAX_ANSWER_CHARS,
        maxPromptChars: MAX_PROMPT_CHARS,
        maxValueJsonChars: MAX_VALUE_JSON_CHARS,
        maxValueDepth: MAX_VALUE_DEPTH,
        maxSchemaJsonChars: MAX_SCHEMA_JSON_CHARS,
        maxCallsInFlight: this.#options.maxCallsInFlight,
        maxCallsWaiting: MAX_CALLS_WAITING,
      },
      endedCall: ENDED_CALL,
      maxIntlObjects: MAX_INTL_OBJECTS,
    };
    const runtime = (await context.evalClosure(`return ${source}`, [startCall, syncCall, new ivm.ExternalCopy(config).copyInto()], {
      result: { reference: true },
    })) as ivm.Reference<Record<string, unknown>>;
    const live: Live = {
      isolate,
      context,
      deliver: (await runtime.get('deliver', { reference: true })) as Live['deliver'],
      run: (await runtime.get('run', { reference: true })) as Live['run'],
      abandon: (await runtime.get('abandon', { reference: true })) as Live['abandon'],
      end: (await runtime.get('end', { reference: true })) as Live['end'],
      variable: (await runtime.get('variable', { reference: true })) as Live['variable'],
      keepContext: (await runtime.get('keepContext', { reference: true })) as Live['keepContext'],
    };
    runtime.release();
    for (const source of this.#contexts) await loadContext(live, source);
    return live;
  }

  /**
   * Loads another context, keeping every variable: it becomes `context_<n>` and `context`. Refused
   * while a cell runs. An isolate that died between cells gets it when the next cell rebuilds it.
   */
  addContext(value: ContextValue): Promise<number> {
    return this.#add({ value });
  }

  /** {@link addContext} for a context in a file (the REPL process's way). */
  addContextFile(file: ContextFile): Promise<number> {
    return this.#add({ file });
  }

  async #add(source: ContextSource): Promise<number> {
    if (this.#disposed) throw new CancelledError('sandbox disposed');
    if (this.#calls.cellRunning) throw new Error('a cell is running: a context is added between cells');
    const live = this.#live;
    if (live.isolate.isDisposed) return this.#contexts.push(source) - 1;
    let index: number;
    try {
      index = await loadContext(live, source);
    } catch (error) {
      if (!live.isolate.isDisposed && !/isolate is disposed|disposed during execution/i.test(messageOf(error))) throw error;
      // The isolate died under the load: code an earlier cell left running ran it out of memory,
      // or the context is too large for it. A new isolate with every context, this one included,
      // tells which; the next cell tells the model its variables are gone.
      this.#contexts.push(source);
      try {
        await this.#rebuild();
      } catch {
        this.#contexts.pop();
        throw error;
      }
      this.#restartedBetweenCells = true;
      return this.#contexts.length - 1;
    }
    this.#contexts.push(source);
    return index;
  }

  /** Serves a call started by model code; its answer goes back to the isolate it came from. */
  #dispatch(id: number, name: string, argsJson: string): void {
    const live = this.#live;
    const answer = (ok: boolean, payload: string) => this.#answer(live, id, ok, payload);
    let request: HostCallRequest;
    try {
      request = requestOf(String(name), String(argsJson));
    } catch (error) {
      return answer(false, messageOf(error));
    }
    this.#calls.serve(id, request, answer);
  }

  /** Hands an answer to the isolate; answers arriving together go in one trip. */
  #answer(live: Live, id: number, ok: boolean, payload: string): void {
    if (live !== this.#live || live.isolate.isDisposed) return;
    if (this.#answersFor !== live) {
      this.#answers = [];
      this.#answersFor = live;
    }
    if (this.#answers.length === 0) setImmediate(() => this.#flushAnswers());
    this.#answers.push(id, ok, payload);
  }

  #flushAnswers(): void {
    const live = this.#answersFor;
    const answers = this.#answers;
    this.#answers = [];
    if (!live || live !== this.#live || live.isolate.isDisposed || answers.length === 0) return;
    live.deliver.apply(undefined, [answers], { arguments: { copy: true } }).catch((error: unknown) => {
      // The isolate turns an unhandled rejection raised while it ran our callback into a failure
      // of that call: it belongs to model code, so it is shown to the model with the next cell.
      if (!live.isolate.isDisposed) this.#lateError(`Unhandled promise rejection: ${messageOf(error)}`);
    });
  }

  /**
   * Ends a cell's calls once its result is known: the host aborts them, the isolate rejects them
   * (in one trip), and neither a call nor its answer crosses for that cell again. Calls an
   * unawaited async loop kept making went on calling the model after the cell had returned.
   * `openAtStop`: calls ended already when the cell was stopped, which the isolate must reject too.
   */
  #endCell(live: Live, timeoutMs: number, openAtStop: number): void {
    const open = openAtStop + this.#calls.endCell(() => CELL_ENDED);
    if (open === 0 || live !== this.#live || live.isolate.isDisposed) return;
    // Code after an ended call's `await` runs now; it must not run forever unseen.
    live.ending = live.end.apply(undefined, [], { timeout: timeoutMs }).then(
      () => false,
      (error: unknown) => {
        const message = messageOf(error);
        // isolated-vm may report the death before it marks the isolate disposed.
        if (live.isolate.isDisposed || /disposed during execution due to memory limit/i.test(message)) return true;
        if (message.endsWith(ENDED_CALL)) return false; // already said in the cell's result, or moot after a timeout
        this.#lateError(
          /execution timed out/i.test(message)
            ? `TimeoutError: code an earlier cell left waiting on a call was still computing ${timeoutMs} ms after the cell ended, and was stopped`
            : `Unhandled promise rejection: ${message}`,
        );
        return false;
      },
    );
  }

  /** An error raised between cells, shown with the next result; a few are enough. */
  #lateError(error: string): void {
    if (this.#late.length < LATE_ERRORS) this.#late.push(cutError(error));
  }

  async run(code: string, options: RunCellOptions = {}): Promise<CellResult> {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? this.#options.cellTimeoutMs;
    const notes: string[] = [];
    let script: string;
    try {
      script = transformCell(code, RESERVED).script;
    } catch (error) {
      if (!(error instanceof CellSyntaxError)) throw error;
      return this.#result(started, { output: '', outputChars: 0, error: `SyntaxError: ${error.message}` }, notes, false);
    }
    if (options.signal?.aborted) throw new CancelledError();
    if (this.#disposed) throw new CancelledError('sandbox disposed');
    // Work an earlier cell left running (an async function nobody awaited) may have run out of
    // memory between cells; isolated-vm then disposed the isolate, and every later cell threw
    // "Isolate is disposed" at the host. Rebuild, and tell the model why.
    const rebuilt = this.#live.isolate.isDisposed ? await this.#rebuild() : this.#restartedBetweenCells;
    this.#restartedBetweenCells = false;
    if (rebuilt) {
      notes.push(
        `RangeError: work an earlier cell left running ran out of memory (limit ${this.#options.memoryLimitMb} MiB), so the REPL was restarted before this cell ran`,
      );
    }
    this.#calls.startCell();
    const live = this.#live;
    const cpuAtStart = live.isolate.cpuTime;
    /** Calls still open when the cell was stopped, which the isolate must reject (see #endCell). */
    let openAtStop = 0;
    // Starting is raced with the limits too: work an earlier cell left running (an endless loop
    // after an await, in a promise nobody awaited) keeps the isolate busy, and waiting for it
    // without a limit hung this call forever, deaf to its signal.
    let begun = false;
    const outcome = this.#start(live, script, timeoutMs, () => (begun = true));
    // A little grace, so that the isolate's own limit on synchronous code (which keeps the
    // isolate and its variables) fires first when it applies.
    const deadline = { timeoutMs, graceMs: TIMEOUT_GRACE_MS, signal: options.signal, calls: this.#calls };
    try {
      const raced = await raceDeadline(outcome, deadline, async ({ openCalls }) => {
        openAtStop = openCalls;
        // The cell is still running: keep the isolate (and its variables) if it is merely
        // waiting, throw it away and rebuild it if it is spinning.
        const partial = (await this.#isBusy(live)) ? undefined : await this.#abandon(live);
        const restarted = partial === undefined ? await this.#rebuild() : false;
        return { partial: partial ?? { output: '', outputChars: 0 }, restarted };
      });
      if ('done' in raced) {
        const { outcome: done, restart } = raced.done;
        const restarted = restart ? await this.#rebuild() : false;
        // Said only of a cell that went well: after an error it would bury the error.
        const open = this.#calls.pending;
        if (open > 0 && !restarted && done.error === undefined) notes.push(leftRunning(open));
        return this.#result(started, done, notes, restarted || rebuilt);
      }
      const { partial, restarted } = raced.stopped;
      // On a loaded machine the isolate's own limit can stop a busy loop just after this race was
      // lost: the isolate is idle by now, but its computing time says what the cell was doing.
      const computed = Number(live.isolate.isDisposed ? 0n : live.isolate.cpuTime - cpuAtStart) / 1e6 >= timeoutMs / 4;
      partial.error = begun
        ? cellTimedOut(restarted || computed ? 'computing' : 'waiting (on sub-calls or a promise that never settles)', timeoutMs)
        : `TimeoutError: the cell could not start within ${timeoutMs} ms: the REPL was still busy with work an earlier cell left running (an endless loop after an await?)${restarted ? ', so the REPL was restarted' : ''}; run the cell again`;
      return this.#result(started, partial, notes, restarted || rebuilt);
    } finally {
      this.#endCell(live, timeoutMs, openAtStop);
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
      // Disposed before the cell could begin, or by work an earlier cell left running (which
      // isolated-vm may let this cell's first trip outlive): out of memory, but not this cell.
      if (live.isolate.isDisposed) return this.#died(live, message, compiling || (await live.ending) === true);
      const partial = (await this.#abandon(live)) ?? { output: '', outputChars: 0 };
      if (/execution timed out/i.test(message)) {
        partial.error = cellTimedOut('computing', timeoutMs);
      } else if (compiling) {
        // Code acorn accepts but V8 refuses (a `#!` line inside the wrapper...). The message has
        // no "SyntaxError" in it, so it used to be reported as an unhandled rejection.
        partial.error = `SyntaxError: ${message.replace(/\s*\[cell\.js:(\d+):\d+\]$/, ' (line $1)')}`;
      } else {
        // The cell itself settled through `run`; anything thrown here is a promise the cell
        // rejected without handling (isolated-vm reports those as a failure of the call).
        partial.error = cutError(`Unhandled promise rejection: ${message}`);
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

  /** The result as reported, with errors raised since the last one (between cells) first. */
  #result(started: number, outcome: CellOutcome, notes: string[], restarted: boolean): CellResult {
    const output = cutOutput(outcome.output, outcome.outputChars, this.#options.maxOutputChars);
    // The runtime cut these already; cut again in case model code broke what it relies on.
    const own = outcome.error === undefined ? [] : [cutError(outcome.error, MAX_ERROR_CHARS + NOTE_ROOM)];
    const errors = [...this.#late.splice(0), ...notes, ...own];
    const result: CellResult = { output, restarted, durationMs: performance.now() - started };
    if (errors.length > 0) result.error = errors.join('\n');
    if (outcome.final !== undefined) {
      if (outcome.final.length <= MAX_ANSWER_CHARS) result.final = outcome.final;
      else result.error = [...errors, 'RangeError: the answer is longer than the REPL allows; answer more briefly'].join('\n');
    }
    return result;
  }

  async variable(name: string): Promise<{ found: true; value: string } | { found: false; names: string[] }> {
    // Reading the variable runs model code (a getter, a toJSON) that may throw, loop or break
    // the runtime, and the isolate may still be busy with work left by a cell (the call would
    // queue behind it forever); none of that may reach the caller as anything but "not found".
    let timer: NodeJS.Timeout | undefined;
    try {
      const read = this.#live.variable.apply(undefined, [name], {
        arguments: { copy: true },
        result: { copy: true },
        timeout: VARIABLE_TIMEOUT_MS,
      });
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
    this.#calls.dispose(new CancelledError('sandbox disposed'));
    this.#stopped.add(this.#live.isolate);
    if (!this.#live.isolate.isDisposed) this.#live.isolate.dispose();
  }
}

/** Loads a context into the isolate's `context` and keeps it as its `context_<n>`; returns n. */
async function loadContext(live: Live, source: ContextSource): Promise<number> {
  const jail = live.context.global;
  if ('file' in source) {
    if (source.file.format === 'text') await loadTextFile(source.file.path, live.context);
    else await jail.set('context', new ivm.ExternalCopy(JSON.parse(readFileSync(source.file.path, 'utf8'))).copyInto({ release: true }));
  } else if (typeof source.value === 'string') {
    // Strings cross as one copy; lists and objects through the structured clone.
    await jail.set('context', source.value);
  } else {
    await jail.set('context', new ivm.ExternalCopy(source.value).copyInto({ release: true }));
  }
  return (await live.keepContext.apply(undefined, [], { timeout: VARIABLE_TIMEOUT_MS })) as number;
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

/**
 * A call as the isolate's runtime starts it (a name, and its arguments as JSON text of a list),
 * read into a request. The runtime built it, but it lives in the isolate with model code: the
 * request is checked again where it is served (shared/host-calls.ts).
 */
function requestOf(name: string, argsJson: string): HostCallRequest {
  const args: unknown = JSON.parse(argsJson);
  if (!Array.isArray(args)) throw new Error(`malformed arguments to ${name}`);
  if (name === 'llm_query') return { name, prompt: args[0], options: args[1] };
  if (name === 'rlm_query') return { name, prompt: args[0], context: args[1], options: args[2] };
  if (name === 'tool') return { name, tool: args[0], args: args[1] };
  throw new Error(`malformed host call: no function ${name.slice(0, 100)}`);
}

function leftRunning(open: number): string {
  const one = open === 1;
  return `Error: ${open} call${one ? '' : 's'} this cell started ${one ? 'was' : 'were'} still running when the cell ended, and ${one ? 'was' : 'were'} cancelled: await every call in the cell that makes it`;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
