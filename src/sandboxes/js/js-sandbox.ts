/**
 * The JavaScript REPL as a sandbox: a V8 isolate (see isolate-repl.ts) inside a separate Node
 * process with an empty environment and Node's permission model. Two walls: model code cannot
 * leave the isolate, and if V8 itself gives up (some allocations abort the whole process rather
 * than failing the isolate) only the REPL process dies; it is started again with the context and
 * the model is told its variables are gone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancelledError, RlmError } from '../../errors.ts';
import type { Bridge, CellResult, ContextValue, RunCellOptions, Sandbox } from '../sandbox.ts';
import { replSettings, type FromRepl, type ReplSettings, type ToRepl } from './ipc.ts';
import type { ContextFile } from './isolate-repl.ts';

export interface JsSandboxOptions {
  context: ContextValue;
  bridge: Bridge;
  /** Heap cap of the isolate in MiB (default 1024). */
  memoryLimitMb?: number;
  /** Names of the user's tools, served by `bridge.tool`, installed as REPL functions. */
  tools?: string[];
  /** Characters of output shown per cell (default 20,000). */
  maxOutputChars?: number;
  /** Default time limit per cell in ms, awaiting included (default 60 s). */
  cellTimeoutMs?: number;
}

/** How long past its own limit a cell may take before the REPL process is presumed stuck. */
const STUCK_GRACE_MS = 5_000;
const CANCEL_GRACE_MS = 1_000;

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

export class JsSandbox implements Sandbox {
  readonly language = 'javascript' as const;
  readonly #settings: ReplSettings;
  readonly #context: ContextValue;
  readonly #bridge: Bridge;
  #child: ChildProcess | undefined;
  #stderr = '';
  #nextId = 0;
  readonly #runs = new Map<number, Pending<CellResult>>();
  readonly #variables = new Map<number, Pending<{ found: true; value: string } | { found: false; names: string[] }>>();
  /** Bridge calls in flight, by the REPL's call id, so they can be cancelled. */
  readonly #calls = new Map<number, AbortController>();
  #disposed = false;
  #contextFile: ContextFile | undefined;
  /** Messages of the conversation the REPL process already has. */
  #historySent = 0;
  #contextDir: string | undefined;
  /** Set when the REPL process died between cells: the next cell must say variables are gone. */
  #lostBetweenCells: string | undefined;

  private constructor(options: JsSandboxOptions) {
    this.#settings = replSettings(options);
    this.#context = options.context;
    this.#bridge = options.bridge;
  }

  /** Starts the REPL process and loads the context into its isolate once. */
  static async create(options: JsSandboxOptions): Promise<JsSandbox> {
    const sandbox = new JsSandbox(options);
    await sandbox.#start();
    return sandbox;
  }

  /**
   * The context crosses to the REPL process through a private file (a folder only we can read):
   * far faster than a pipe for 100 MB, and the isolate reads it a chunk at a time, so neither
   * side holds an extra whole copy. The file stays until dispose(), for restarts.
   */
  async #writeContext(): Promise<ContextFile> {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-context-'));
    this.#contextDir = dir;
    liveContextDirs.add(dir);
    const path = join(dir, 'context');
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

  async #start(): Promise<void> {
    this.#contextFile ??= await this.#writeContext();
    const contextFile = this.#contextFile;
    const child = fork(fileURLToPath(entryUrl()), [], {
      env: {},
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: permissionFlags(dirname(contextFile.path)),
    });
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
      child.once('exit', (code, signal) => reject(new RlmError('RLM_SANDBOX', `the REPL process exited while starting (${signal ?? code}): ${lastLine(this.#stderr)}`)));
    });
    child.on('message', (message: FromRepl) => this.#onMessage(message));
    child.on('exit', () => this.#onExit(child));
    this.#send({ type: 'init', contextPath: contextFile.path, contextKind: contextFile.format, settings: this.#settings });
    await ready;
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
        : this.#bridge.rlm_query(message.prompt, message.context ?? undefined, signal),
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
    if (!this.#child) await this.#start();
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
      await this.#start();
      return { output: '', error: error.message, restarted: true, durationMs: performance.now() - started };
    } finally {
      clearTimeout(stuck);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async variable(name: string): Promise<{ found: true; value: string } | { found: false; names: string[] }> {
    if (this.#disposed) return { found: false, names: [] };
    if (!this.#child) await this.#start();
    const requestId = ++this.#nextId;
    const value = new Promise<{ found: true; value: string } | { found: false; names: string[] }>((resolve, reject) =>
      this.#variables.set(requestId, { resolve, reject }),
    );
    this.#send({ type: 'variable', requestId, name });
    return value;
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#contextDir) removeContextDir(this.#contextDir);
    const child = this.#child;
    this.#child = undefined;
    for (const controller of this.#calls.values()) controller.abort(new CancelledError('sandbox disposed'));
    child?.kill('SIGKILL');
  }
}

class ReplCrash extends Error {}

const WRITE_CHUNK_CHARS = 4 * 1024 * 1024;

/**
 * Context files of sandboxes not yet disposed. Process-wide on purpose: it exists only so that a
 * process that exits without disposing its sandboxes leaves no copy of a context behind.
 */
const liveContextDirs = new Set<string>();
process.on('exit', () => liveContextDirs.forEach(removeContextDir));

function removeContextDir(dir: string): void {
  liveContextDirs.delete(dir);
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

function entryUrl(): URL {
  // Run from source (.ts, type stripping) or from the built package (.js), like this module.
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./repl-process${extension}`, import.meta.url);
}

/**
 * Node's permission model for the REPL process: read rlm's own code, its dependencies and the
 * context folder; no writes, no child processes, no workers, no WASI. Native addons are allowed
 * because isolated-vm is one.
 */
function permissionFlags(contextDir: string): string[] {
  const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
  // node-gyp-build (isolated-vm's loader) looks for this file to tell musl from glibc.
  const readable = new Set([packageRoot, contextDir, '/etc/alpine-release']);
  for (const dependency of ['isolated-vm', 'acorn']) {
    // The folder that holds the dependency (node_modules), wherever the package manager put it.
    readable.add(dirname(dirname(fileURLToPath(import.meta.resolve(`${dependency}/package.json`)))));
  }
  return ['--permission', ...[...readable].map((path) => `--allow-fs-read=${path}`), '--allow-addons', '--disable-warning=SecurityWarning'];
}
