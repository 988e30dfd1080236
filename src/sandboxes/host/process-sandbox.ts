/**
 * Realm: the run's process (host/). Files here hold the run's secrets (API keys, the Bridge to
 * models and tools) and never run model code; what they read from a REPL process is checked
 * first (repl-channel.ts). They may spawn REPL processes, write their private folders, and call
 * the Bridge.
 *
 * A sandbox whose REPL lives in a separate Node process with an empty environment and Node's
 * permission model, whatever the language. Two walls: model code cannot leave its engine, and if
 * the engine itself gives up (V8 aborts the whole process on some allocations; a WASM runtime
 * can be corrupted) only the REPL process dies; it is started again with the context and the
 * model is told its variables are gone.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CancelledError, RlmError } from '../../errors.ts';
import type { ContextFile } from '../shared/context-file.ts';
import type { LaunchSettings } from './fork-repl.ts';
import { DATA_OVERHEAD_MB, processWall } from './process-wall.ts';
import { boundedResult, type FromRepl, type ToRepl, type VariableAnswer } from '../shared/repl-messages.ts';
import { cutError } from '../limits.ts';
import { HostCalls, type HostCallRequest } from '../shared/host-calls.ts';
import type { ReplChannel } from './repl-channel.ts';
import {
  sandboxSettings,
  type Bridge,
  type CellResult,
  type ContextValue,
  type JsonValue,
  type ReplLanguage,
  type RunCellOptions,
  type Sandbox,
  type SandboxOptions,
  type SandboxSettings,
} from '../sandbox.ts';

/** A started REPL process, the private folder it may read (where its context goes), and the wire to it. */
export interface LaunchedRepl {
  child: ChildProcess;
  dir: string;
  channel: ReplChannel;
}

/** How a sandbox gets a REPL process: a fresh fork, or one already warm. */
export interface ReplLauncher {
  launch(settings: LaunchSettings): LaunchedRepl;
}

/**
 * How long past its own limit a cell may take before the REPL process is presumed stuck: more
 * than the REPL's own grace for an interrupted cell plus rebuilding its interpreter.
 */
const STUCK_GRACE_MS = 15_000;
const CANCEL_GRACE_MS = 1_000;

/**
 * Resident memory a REPL process may hold beyond its engine's limit before it is killed: Node
 * itself, the engine's code and the worker's own heap (measured on Linux x64, Node 24: a fresh
 * JavaScript REPL holds about 95 MiB, a Python one about 275 MiB, and a Python cell that filled
 * its 256 MiB heap 500 MiB in all). RLIMIT_DATA (process-wall.ts) stops most runaways before this.
 */
export const RSS_MARGIN_MB = 512;
const RSS_POLL_MS = 100;
/** Data memory short of the limit at which a dying REPL process is taken to have died of it. */
const DATA_NEAR_MB = 160;

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

export class ProcessSandbox implements Sandbox {
  readonly language: ReplLanguage;
  readonly #settings: SandboxSettings;
  readonly #context: ContextValue;
  readonly #bridge: Bridge;
  readonly #launcher: ReplLauncher;
  #child: ChildProcess | undefined;
  #channel: ReplChannel | undefined;
  /** Why the host killed the REPL process, when it did: what the cell is told instead of a crash. */
  #killedFor: string | undefined;
  /** Whether the REPL process was last seen close to its data limit (RLIMIT_DATA). */
  #nearDataLimit = false;
  #stderr = '';
  #nextId = 0;
  readonly #runs = new Map<number, Pending<CellResult>>();
  readonly #variables = new Map<number, Pending<VariableAnswer>>();
  readonly #adds = new Map<number, Pending<void>>();
  /** Cells begun and not yet ended (counted from their first await): a context is added only between cells. */
  #cells = 0;
  /** The contexts being added, one after another; settles (never rejects) when the last is in. */
  #adding: Promise<void> | undefined;
  /** The REPL process's calls, served for the cell now running, by its call ids. */
  readonly #calls: HostCalls;
  #disposed = false;
  /** Every context, in order (`context_0` first), in files of the REPL's folder. */
  #contextFiles: ContextFile[] = [];
  /** Messages of the conversation the REPL process already has. */
  #historySent = 0;
  #contextDir: string | undefined;
  /** Set when the REPL process died between cells: the next cell must say variables are gone. */
  #lostBetweenCells: string | undefined;

  protected constructor(language: ReplLanguage, options: SandboxOptions, launcher: ReplLauncher) {
    this.language = language;
    this.#settings = sandboxSettings(options);
    this.#context = options.context;
    this.#bridge = options.bridge;
    this.#calls = new HostCalls(options.bridge, this.#settings.tools);
    this.#launcher = launcher;
  }

  /** Starts the REPL process and loads the context into it once. */
  protected async start(): Promise<void> {
    const { child, dir, channel } = this.#launcher.launch(this.#settings);
    trackDir(dir);
    try {
      this.#contextFiles = await this.#placeContexts(dir);
    } catch (error) {
      killRepl(child);
      removeDir(dir);
      throw error;
    }
    this.#child = child;
    this.#channel = channel;
    this.#killedFor = undefined;
    this.#nearDataLimit = false;
    this.#historySent = 0;
    this.#stderr = '';
    channel.setMaxOutputChars(this.#settings.maxOutputChars);
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4000);
    });
    const ready = new Promise<void>((resolve, reject) => {
      const off = channel.onMessage((message) => {
        if (message.type === 'ready') resolve();
        if (message.type === 'init-error') reject(new RlmError('RLM_SANDBOX', `the REPL could not start: ${message.message}`));
        if (message.type === 'ready' || message.type === 'init-error') off();
      });
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        reject(
          new RlmError(
            'RLM_SANDBOX',
            `the REPL process exited while starting (${signal ?? code}): ${this.#killedFor ?? lastLine(this.#stderr)}`,
          ),
        );
      if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
      child.once('exit', onExit);
    });
    channel.onMessage((message) => this.#onMessage(child, message));
    // A wire that breaks under a live process leaves it useless; one that sent a bad message is hostile.
    channel.onBroken((reason, hostile) => this.#kill(child, hostile ? `Error: the REPL process was stopped because ${reason}` : undefined));
    child.on('exit', () => this.#onExit(child));
    this.#watch(child);
    // A warm process was started unreferenced, so that a spare never keeps a program alive.
    child.ref();
    channel.ref();
    this.#send({ type: 'init', contexts: this.#contextFiles, settings: this.#settings });
    try {
      await ready;
    } catch (error) {
      // A REPL that could not start is of no use, and must not keep the program alive.
      this.#kill(child);
      throw error;
    }
  }

  /** Kills the REPL process (it is restarted as after a crash); `reason` is what its cell is told. */
  #kill(child: ChildProcess, reason?: string): void {
    if (child !== this.#child) return;
    if (reason !== undefined) this.#killedFor ??= reason;
    killRepl(child);
  }

  /**
   * Polls the REPL process's resident memory and kills it past its cap, however the memory was
   * taken (files in Pyodide's memory, ICU objects beside the isolate): the heap limits of its
   * engines do not see everything, and RLIMIT_DATA is not available everywhere.
   */
  #watch(child: ChildProcess): void {
    const pid = child.pid;
    if (pid === undefined || process.platform !== 'linux') return;
    const capBytes = (this.#settings.memoryLimitMb + RSS_MARGIN_MB) * 1024 * 1024;
    const dataLimited = processWall().dataLimit;
    const nearDataLimit = (this.#settings.memoryLimitMb + DATA_OVERHEAD_MB - DATA_NEAR_MB) * 1024 * 1024;
    const timer = setInterval(() => {
      const memory = treeMemory(pid);
      if (!memory) return;
      // A process that dies close to its data limit died of it, whatever it managed to print.
      if (child === this.#child) this.#nearDataLimit = dataLimited && memory.data >= nearDataLimit;
      if (memory.rss > capBytes) this.#kill(child, outOfMemory(this.#settings.memoryLimitMb));
    }, RSS_POLL_MS);
    timer.unref();
    child.once('exit', () => clearInterval(timer));
  }

  /**
   * The contexts cross to the REPL process through private files in the folder only that process
   * may read: far faster than a pipe for 100 MB, and the REPL reads them in place, so neither side
   * holds an extra whole copy. After a restart the files move to the new folder.
   */
  async #placeContexts(dir: string): Promise<ContextFile[]> {
    const old = this.#contextFiles;
    if (old.length > 0 && this.#contextDir) {
      const moved = [];
      for (const file of old) {
        const path = join(dir, basename(file.path));
        await rename(file.path, path);
        moved.push({ path, format: file.format });
      }
      removeDir(this.#contextDir);
      this.#contextDir = dir;
      return moved;
    }
    this.#contextDir = dir;
    return [await writeContext(join(dir, 'context'), this.#context)];
  }

  /**
   * Loads another context into the live REPL, keeping every variable: it becomes `context_<n>`
   * and `context` names it; resolves with n. It crosses as the first did, in a file of the REPL's
   * folder, and a REPL restarted after a crash loads every context again. Refused while a cell
   * runs; contexts added together load one after another.
   */
  addContext(value: ContextValue): Promise<number> {
    if (this.#disposed) return Promise.reject(new CancelledError('the sandbox was disposed'));
    if (this.#cells > 0) return Promise.reject(new RlmError('RLM_USAGE', 'addContext: a cell is running; add a context between cells'));
    const added = (this.#adding ?? Promise.resolve()).then(() => this.#add(value));
    const settled = added.then(
      () => undefined,
      () => undefined,
    );
    this.#adding = settled;
    void settled.then(() => {
      if (this.#adding === settled) this.#adding = undefined;
    });
    return added;
  }

  /** `retried`: the REPL process died under the first try (see below); a second death refuses the context. */
  async #add(value: ContextValue, retried = false): Promise<number> {
    if (this.#disposed) throw new CancelledError('the sandbox was disposed');
    // A REPL process that died between cells comes back with the contexts it had, then takes this one.
    if (!this.#child) await this.start();
    const child = this.#child;
    const index = this.#contextFiles.length;
    const file = await writeContext(join(this.#contextDir!, `context_${index}`), value);
    if (this.#child !== child) {
      // It died while the file was written; its restart will load the contexts it had.
      await rm(file.path, { force: true });
      throw new RlmError('RLM_SANDBOX', 'the REPL stopped while the context was written; add it again');
    }
    const requestId = ++this.#nextId;
    const loaded = new Promise<void>((resolve, reject) => this.#adds.set(requestId, { resolve, reject }));
    this.#send({ type: 'add-context', requestId, context: file });
    try {
      await loaded;
    } catch (error) {
      await rm(file.path, { force: true });
      if (!(error instanceof ReplCrash)) throw error;
      // Work an earlier cell left running can run the REPL out of memory while the context loads,
      // or the context itself is too large: a new REPL process with the contexts it had, then this
      // one, tells which (the next cell says the REPL was restarted).
      if (!retried && !this.#disposed) return this.#add(value, true);
      throw new RlmError('RLM_SANDBOX', `the REPL stopped while loading the context: ${error.message}`);
    }
    this.#contextFiles.push(file);
    return index;
  }

  #send(message: ToRepl): void {
    this.#channel?.send(message);
  }

  #onMessage(child: ChildProcess, message: FromRepl): void {
    if (child !== this.#child) return;
    switch (message.type) {
      case 'result': {
        const pending = this.#runs.get(message.runId);
        this.#runs.delete(message.runId);
        // Calls the cell left behind end with it, even if the REPL process did not end them.
        // (An error is made only when there is a call to end: its stack costs more than a trivial cell's other work here.)
        if (this.#runs.size === 0) this.#calls.endCell(() => new CancelledError('the cell that made this call had ended'));
        // The last line of defence if the REPL process failed to bound what it reports.
        pending?.resolve(boundedResult(message.result, this.#settings.maxOutputChars));
        return;
      }
      case 'run-error': {
        if (!message.cancelled) {
          // The REPL process failed outside model code (an allocation under its memory limit, its
          // engine broke): it cannot be trusted with another cell. The cell is told, as for a crash.
          return this.#kill(child, describeCrash(message.message, this.#settings.memoryLimitMb, true));
        }
        const pending = this.#runs.get(message.runId);
        this.#runs.delete(message.runId);
        if (this.#runs.size === 0) this.#calls.endCell(() => new CancelledError());
        pending?.reject(new CancelledError());
        return;
      }
      case 'call':
      case 'tool-call':
        // The REPL process holds calls beyond its cap; one that sends more is not the one we started.
        if (this.#calls.pending >= this.#settings.maxCallsInFlight) {
          return this.#kill(
            child,
            `Error: the REPL process was stopped because it sent more than ${this.#settings.maxCallsInFlight} calls at once`,
          );
        }
        if (this.#calls.has(message.callId)) return this.#kill(child, 'Error: the REPL process was stopped because it reused a call id');
        // Work a finished cell left running is never served: calls belong to a running cell (HostCalls refuses them).
        return this.#serve(child, message);
      case 'call-cancel':
        // Same reason as in the REPL (the cell timed out, or was cancelled), for the bridge's logs.
        this.#calls.cancel(message.callId, message.reason === 'cancelled' ? new CancelledError() : new Error(message.reason));
        return;
      case 'variable-result':
        this.#variables.get(message.requestId)?.resolve(message.value);
        this.#variables.delete(message.requestId);
        return;
      case 'context-added':
      case 'context-error':
        if (message.type === 'context-added') this.#adds.get(message.requestId)?.resolve();
        else this.#adds.get(message.requestId)?.reject(new RlmError('RLM_SANDBOX', `the context could not be loaded: ${message.message}`));
        this.#adds.delete(message.requestId);
        return;
    }
  }

  /** Serves a call of the REPL process, and delivers its outcome (text) back to that process. */
  #serve(child: ChildProcess, message: Extract<FromRepl, { type: 'call' | 'tool-call' }>): void {
    const { callId } = message;
    const deliver = (ok: boolean, payload: string) => {
      if (child === this.#child) this.#send({ type: 'deliver', callId, ok, payload, budget: this.#bridge.budget() });
    };
    let request: HostCallRequest;
    try {
      request = requestOf(message);
    } catch (error) {
      return deliver(false, cutError(error instanceof Error ? error.message : String(error)));
    }
    this.#calls.serve(callId, request, deliver);
  }

  #onExit(child: ChildProcess): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    this.#channel = undefined;
    this.#calls.endCell(() => new CancelledError('the REPL process stopped'));
    const crash = new ReplCrash(
      this.#killedFor ??
        (this.#nearDataLimit ? outOfMemory(this.#settings.memoryLimitMb) : describeCrash(this.#stderr, this.#settings.memoryLimitMb)),
    );
    if (this.#runs.size === 0 && !this.#disposed) this.#lostBetweenCells = crash.message;
    for (const pending of this.#runs.values()) pending.reject(crash);
    this.#runs.clear();
    for (const pending of this.#variables.values()) pending.reject(crash);
    this.#variables.clear();
    for (const pending of this.#adds.values()) pending.reject(crash);
    this.#adds.clear();
  }

  async run(code: string, options: RunCellOptions = {}): Promise<CellResult> {
    if (this.#disposed) throw new CancelledError('the sandbox was disposed');
    if (options.signal?.aborted) throw new CancelledError();
    this.#cells++;
    try {
      // A context being added is loaded before the cell runs.
      while (this.#adding) await this.#adding;
      return await this.#run(code, options);
    } finally {
      this.#cells--;
    }
  }

  async #run(code: string, options: RunCellOptions): Promise<CellResult> {
    if (this.#disposed) throw new CancelledError('the sandbox was disposed');
    const started = performance.now();
    if (!this.#child) await this.start();
    const lost = this.#lostBetweenCells;
    this.#lostBetweenCells = undefined;
    const runId = ++this.#nextId;
    const timeoutMs = options.timeoutMs ?? this.#settings.cellTimeoutMs;
    const result = new Promise<CellResult>((resolve, reject) => this.#runs.set(runId, { resolve, reject }));
    this.#calls.startCell();
    const child = this.#child;
    const onAbort = () => {
      this.#send({ type: 'cancel', runId });
      // A REPL that does not stop when asked is killed; the run is ending anyway.
      setTimeout(() => this.#runs.has(runId) && child && this.#kill(child), CANCEL_GRACE_MS).unref();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const stuck = setTimeout(
      () => child && this.#kill(child, `Error: the REPL did not answer ${STUCK_GRACE_MS / 1000} s past the cell's limit and was stopped`),
      timeoutMs + STUCK_GRACE_MS,
    );
    // Only what is new of the conversation crosses each time, so a long run's history is sent once.
    const history = this.#bridge.history?.() ?? [];
    const from = Math.min(this.#historySent, history.length);
    this.#historySent = history.length;
    this.#send({ type: 'run', runId, code, timeoutMs, budget: this.#bridge.budget(), history: { from, messages: history.slice(from) } });
    try {
      const cell = await result;
      if (!lost) return cell;
      // What the last cell left running killed the REPL after that cell had reported.
      const note = `${lost} (after the previous cell ended)`;
      return { ...cell, restarted: true, error: cell.error ? `${note}\n${cell.error}` : note };
    } catch (error) {
      if (options.signal?.aborted) throw new CancelledError();
      if (!(error instanceof ReplCrash)) throw error;
      // The REPL process died under this cell: start a fresh one with the context, and say so.
      await this.start();
      return { output: '', error: error.message, restarted: true, durationMs: performance.now() - started };
    } finally {
      clearTimeout(stuck);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async variable(name: string): Promise<VariableAnswer> {
    if (this.#disposed) return { found: false, names: [] };
    if (!this.#child) await this.start();
    const requestId = ++this.#nextId;
    const value = new Promise<VariableAnswer>((resolve, reject) => this.#variables.set(requestId, { resolve, reject }));
    this.#send({ type: 'variable', requestId, name });
    return value;
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#contextDir) removeDir(this.#contextDir);
    const child = this.#child;
    this.#child = undefined;
    this.#calls.dispose(new CancelledError('sandbox disposed'));
    if (child) killRepl(child);
  }
}

/**
 * A call as the REPL process sent it (checked for shape by shared/repl-messages.ts), read into a
 * request: values made by model code cross as JSON text and are parsed only here.
 */
function requestOf(message: Extract<FromRepl, { type: 'call' | 'tool-call' }>): HostCallRequest {
  if (message.type === 'tool-call') return { name: 'tool', tool: message.tool, args: JSON.parse(message.args) as unknown[] };
  if (message.name === 'llm_query') return { name: 'llm_query', prompt: message.prompt, options: message.options };
  return {
    name: 'rlm_query',
    prompt: message.prompt,
    context: message.context === null ? undefined : (JSON.parse(message.context) as JsonValue),
    options: message.schema === null ? message.options : { ...message.options, schema: JSON.parse(message.schema) as JsonValue },
  };
}

/**
 * Kills a REPL process and, when it runs inside a wrapper (process-wall.ts), the REPL itself
 * first: the wrapper's death would take it down too (PDEATHSIG), but not before its exit is seen.
 */
export function killRepl(child: ChildProcess): void {
  if (child.pid !== undefined) {
    for (const pid of descendants(child.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  child.kill('SIGKILL');
}

/** The processes under `pid` (Linux; none elsewhere). */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (parent: number) => {
    let children: string;
    try {
      children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8');
    } catch {
      return;
    }
    for (const child of children.split(' ').filter(Boolean).map(Number)) {
      found.push(child);
      if (found.length < 16) visit(child);
    }
  };
  visit(pid);
  return found;
}

/**
 * Resident bytes of `pid` and the processes under it (the wrapper and the REPL), and the most data
 * memory one of them holds (what RLIMIT_DATA counts); undefined when it is gone.
 */
function treeMemory(pid: number): { rss: number; data: number } | undefined {
  let rss = 0;
  let data = 0;
  for (const each of [pid, ...descendants(pid)]) {
    try {
      const status = readFileSync(`/proc/${each}/status`, 'utf8');
      rss += Number(/VmRSS:\s*(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      data = Math.max(data, Number(/VmData:\s*(\d+) kB/.exec(status)?.[1] ?? 0) * 1024);
    } catch {
      if (each === pid) return undefined;
    }
  }
  return { rss, data };
}

class ReplCrash extends Error {}

const WRITE_CHUNK_CHARS = 4 * 1024 * 1024;

/** Writes a context to a private file: a string as its text, anything else as JSON. */
async function writeContext(path: string, context: ContextValue): Promise<ContextFile> {
  const text = typeof context === 'string' ? context : JSON.stringify(context ?? null);
  const file = await open(path, 'w', 0o600);
  try {
    // Slices of a flat string are views, so only one chunk is ever encoded at a time.
    for (let at = 0; at < text.length; at += WRITE_CHUNK_CHARS) await file.write(text.slice(at, at + WRITE_CHUNK_CHARS));
  } finally {
    await file.close();
  }
  return { path, format: typeof context === 'string' ? 'text' : 'json' };
}

/**
 * REPL folders not yet removed. Process-wide on purpose: it exists only so that a process that
 * exits without disposing its sandboxes leaves no copy of a context behind.
 */
const liveDirs = new Set<string>();
process.on('exit', () => liveDirs.forEach(removeDir));

/** Marks a folder for removal when this process exits, if nothing removed it before. */
export function trackDir(dir: string): void {
  liveDirs.add(dir);
}

export function removeDir(dir: string): void {
  liveDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

function describeCrash(stderr: string, memoryLimitMb: number, failed = false): string {
  if (
    /heap_oom|out of memory|invalid table size|Allocation failed|Invalid array length|Cannot allocate memory|ENOMEM|bad_alloc/i.test(stderr)
  ) {
    return outOfMemory(memoryLimitMb);
  }
  if (failed) return `Error: the REPL failed and was restarted (${stderr.slice(0, 200)})`;
  return `Error: the REPL stopped unexpectedly${stderr ? ` (${lastLine(stderr)})` : ''}`;
}

function outOfMemory(memoryLimitMb: number): string {
  return `RangeError: the cell ran out of memory (limit ${memoryLimitMb} MiB)`;
}

/** The most telling line of a dead process's stderr: its error, else its last words. */
function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  const error = lines.find((line) => /^\w*Error\b|^FATAL|Fatal error/.test(line.trim()));
  return (error ?? lines.at(-1) ?? '').trim().slice(0, 200);
}
