/**
 * A sandbox whose REPL lives in a separate Node process with an empty environment and Node's
 * permission model, whatever the language. Two walls: model code cannot leave its engine, and if
 * the engine itself gives up (V8 aborts the whole process on some allocations; a WASM runtime
 * can be corrupted) only the REPL process dies; it is started again with the context and the
 * model is told its variables are gone.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CancelledError, RlmError } from '../errors.ts';
import type { ContextFile } from './context-file.ts';
import { replSettings, type FromRepl, type ReplSettings, type ToRepl } from './ipc.ts';
import type { Bridge, CellResult, ContextValue, RunCellOptions, Sandbox } from './sandbox.ts';

export interface ProcessSandboxOptions {
  context: ContextValue;
  bridge: Bridge;
  /** Memory cap of the REPL in MiB (default 1024). */
  memoryLimitMb?: number;
  /** Names of the user's tools, served by `bridge.tool`, installed as REPL functions. */
  tools?: string[];
  /** Characters of output shown per cell (default 20,000). */
  maxOutputChars?: number;
  /** Default time limit per cell in ms, host calls included (default 60 s). */
  cellTimeoutMs?: number;
}

/** A started REPL process and the private folder it may read, where its context goes. */
export interface LaunchedRepl {
  child: ChildProcess;
  dir: string;
}

/** How a sandbox gets a REPL process: a fresh fork, or one already warm. */
export interface ReplLauncher {
  launch(): LaunchedRepl;
}

/**
 * How long past its own limit a cell may take before the REPL process is presumed stuck: more
 * than the REPL's own grace for an interrupted cell plus rebuilding its interpreter.
 */
const STUCK_GRACE_MS = 15_000;
const CANCEL_GRACE_MS = 1_000;

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

type VariableAnswer = { found: true; value: string } | { found: false; names: string[] };

export class ProcessSandbox implements Sandbox {
  readonly language: 'javascript' | 'python';
  readonly #settings: ReplSettings;
  readonly #context: ContextValue;
  readonly #bridge: Bridge;
  readonly #launcher: ReplLauncher;
  #child: ChildProcess | undefined;
  #stderr = '';
  #nextId = 0;
  readonly #runs = new Map<number, Pending<CellResult>>();
  readonly #variables = new Map<number, Pending<VariableAnswer>>();
  /** Bridge calls in flight, by the REPL's call id, so they can be cancelled. */
  readonly #calls = new Map<number, AbortController>();
  #disposed = false;
  #contextFile: ContextFile | undefined;
  /** Messages of the conversation the REPL process already has. */
  #historySent = 0;
  #contextDir: string | undefined;
  /** Set when the REPL process died between cells: the next cell must say variables are gone. */
  #lostBetweenCells: string | undefined;

  protected constructor(language: 'javascript' | 'python', options: ProcessSandboxOptions, launcher: ReplLauncher) {
    this.language = language;
    this.#settings = replSettings(options);
    this.#context = options.context;
    this.#bridge = options.bridge;
    this.#launcher = launcher;
  }

  /** Starts the REPL process and loads the context into it once. */
  protected async start(): Promise<void> {
    const { child, dir } = this.#launcher.launch();
    trackDir(dir);
    try {
      this.#contextFile = await this.#placeContext(dir);
    } catch (error) {
      child.kill('SIGKILL');
      removeDir(dir);
      throw error;
    }
    const contextFile = this.#contextFile;
    this.#child = child;
    this.#historySent = 0;
    this.#stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4000);
    });
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromRepl) => {
        if (message.type === 'ready') resolve();
        if (message.type === 'init-error') reject(new RlmError('RLM_SANDBOX', `the REPL could not start: ${message.message}`));
      };
      child.on('message', onMessage);
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        reject(new RlmError('RLM_SANDBOX', `the REPL process exited while starting (${signal ?? code}): ${lastLine(this.#stderr)}`));
      if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
      child.once('exit', onExit);
    });
    child.on('message', (message: FromRepl) => this.#onMessage(message));
    child.on('exit', () => this.#onExit(child));
    // A warm process was started unreferenced, so that a spare never keeps a program alive.
    child.ref();
    child.channel?.ref();
    this.#send({ type: 'init', contextPath: contextFile.path, contextKind: contextFile.format, settings: this.#settings });
    await ready;
  }

  /**
   * The context crosses to the REPL process through a private file in the folder only that
   * process may read: far faster than a pipe for 100 MB, and the REPL reads it in place, so
   * neither side holds an extra whole copy. After a restart the file moves to the new folder.
   */
  async #placeContext(dir: string): Promise<ContextFile> {
    const path = join(dir, 'context');
    const old = this.#contextFile;
    if (old && this.#contextDir) {
      await rename(old.path, path);
      removeDir(this.#contextDir);
      this.#contextDir = dir;
      return { path, format: old.format };
    }
    this.#contextDir = dir;
    const text = typeof this.#context === 'string' ? this.#context : JSON.stringify(this.#context ?? null);
    const file = await open(path, 'w', 0o600);
    try {
      // Slices of a flat string are views, so only one chunk is ever encoded at a time.
      for (let at = 0; at < text.length; at += WRITE_CHUNK_CHARS) await file.write(text.slice(at, at + WRITE_CHUNK_CHARS));
    } finally {
      await file.close();
    }
    return { path, format: typeof this.#context === 'string' ? 'text' : 'json' };
  }

  #send(message: ToRepl): void {
    if (this.#child?.connected) this.#child.send(message);
  }

  #onMessage(message: FromRepl): void {
    switch (message.type) {
      case 'result':
        this.#runs.get(message.runId)?.resolve(message.result);
        this.#runs.delete(message.runId);
        return;
      case 'run-error': {
        const pending = this.#runs.get(message.runId);
        this.#runs.delete(message.runId);
        pending?.reject(message.cancelled ? new CancelledError() : new RlmError('RLM_SANDBOX', message.message));
        return;
      }
      case 'call':
        this.#serveCall(message);
        return;
      case 'tool-call':
        this.#serveTool(message);
        return;
      case 'call-cancel':
        // Same reason as in the REPL (the cell timed out, or was cancelled), for the bridge's logs.
        this.#calls.get(message.callId)?.abort(message.reason === 'cancelled' ? new CancelledError() : new Error(message.reason));
        this.#calls.delete(message.callId);
        return;
      case 'variable-result':
        this.#variables.get(message.requestId)?.resolve(message.value);
        this.#variables.delete(message.requestId);
        return;
    }
  }

  #serveCall(message: Extract<FromRepl, { type: 'call' }>): void {
    this.#serve(message.callId, (signal) =>
      message.name === 'llm_query'
        ? this.#bridge.llm_query(message.prompt, message.options, signal)
        : this.#bridge.rlm_query(message.prompt, message.context ?? undefined, message.options, signal),
    );
  }

  #serveTool(message: Extract<FromRepl, { type: 'tool-call' }>): void {
    const tool = this.#bridge.tool;
    this.#serve(message.callId, async (signal) => {
      if (!tool) throw new Error(`no tool named ${message.tool}`);
      // Only JSON data crosses back: what JSON cannot carry is dropped here, as it would be anyway.
      return JSON.parse(JSON.stringify((await tool(message.tool, message.args, signal)) ?? null)) as unknown;
    });
  }

  /** Runs a call for the REPL process, cancellable by it, and delivers the outcome back to it. */
  #serve(callId: number, work: (signal: AbortSignal) => Promise<unknown>): void {
    const controller = new AbortController();
    this.#calls.set(callId, controller);
    const child = this.#child;
    const deliver = (ok: boolean, payload: unknown) => {
      this.#calls.delete(callId);
      if (child === this.#child) this.#send({ type: 'deliver', callId, ok, payload, budget: this.#bridge.budget() });
    };
    work(controller.signal).then(
      (value) => deliver(true, value),
      (error: unknown) => deliver(false, error instanceof Error ? error.message : String(error)),
    );
  }

  #onExit(child: ChildProcess): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    for (const controller of this.#calls.values()) controller.abort(new CancelledError('the REPL process stopped'));
    this.#calls.clear();
    const crash = new ReplCrash(describeCrash(this.#stderr, this.#settings.memoryLimitMb));
    if (this.#runs.size === 0 && !this.#disposed) this.#lostBetweenCells = crash.message;
    for (const pending of this.#runs.values()) pending.reject(crash);
    this.#runs.clear();
    for (const pending of this.#variables.values()) pending.reject(crash);
    this.#variables.clear();
  }

  async run(code: string, options: RunCellOptions = {}): Promise<CellResult> {
    if (this.#disposed) throw new CancelledError('the sandbox was disposed');
    if (options.signal?.aborted) throw new CancelledError();
    const started = performance.now();
    if (!this.#child) await this.start();
    const lost = this.#lostBetweenCells;
    this.#lostBetweenCells = undefined;
    const runId = ++this.#nextId;
    const timeoutMs = options.timeoutMs ?? this.#settings.cellTimeoutMs;
    const result = new Promise<CellResult>((resolve, reject) => this.#runs.set(runId, { resolve, reject }));
    const child = this.#child;
    const onAbort = () => {
      this.#send({ type: 'cancel', runId });
      // A REPL that does not stop when asked is killed; the run is ending anyway.
      setTimeout(() => this.#runs.has(runId) && child?.kill('SIGKILL'), CANCEL_GRACE_MS).unref();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const stuck = setTimeout(() => child?.kill('SIGKILL'), timeoutMs + STUCK_GRACE_MS);
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
    for (const controller of this.#calls.values()) controller.abort(new CancelledError('sandbox disposed'));
    child?.kill('SIGKILL');
  }
}

class ReplCrash extends Error {}

const WRITE_CHUNK_CHARS = 4 * 1024 * 1024;

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

function describeCrash(stderr: string, memoryLimitMb: number): string {
  if (/heap_oom|out of memory|invalid table size|Allocation failed|Invalid array length/i.test(stderr)) {
    return `RangeError: the cell ran out of memory (limit ${memoryLimitMb} MiB)`;
  }
  return `Error: the REPL stopped unexpectedly${stderr ? ` (${lastLine(stderr)})` : ''}`;
}

/** The most telling line of a dead process's stderr: its error, else its last words. */
function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  const error = lines.find((line) => /^\w*Error\b|^FATAL|Fatal error/.test(line.trim()));
  return (error ?? lines.at(-1) ?? '').trim().slice(0, 200);
}
