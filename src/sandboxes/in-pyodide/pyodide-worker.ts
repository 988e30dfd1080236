/**
 * Realm: the Python REPL process's worker thread (in-pyodide/), beside CPython and model code.
 * Files here (this one, runtime.py, seal.py) run in the thread model code can reach if it
 * escapes Python; they may touch only Pyodide, the answers port and the shared buffers, and strip
 * everything else from the thread once the context is loaded.
 *
 * The worker thread that holds Pyodide, inside the Python REPL process. It boots CPython before
 * any run needs it (a warm start), then loads one context, seals the interpreter (seal.py) and
 * strips this thread of network and module loading, and runs cells one at a time.
 *
 * Python's host calls block this thread: runtime.py writes a request to the device /dev/rlm, and
 * the device posts the calls to the process's main thread and sleeps in Atomics.wait until their
 * answers arrive on a MessagePort. So `llm_query` blocks from Python's point of view while the
 * main thread serves a window of calls concurrently (the rest of a batch waits in Python's heap,
 * which the memory cap counts). The device also serves time.sleep, in the same wait, so the cell's
 * time limit stops a sleep as it stops a call.
 *
 * Memory the cap cannot count is kept bounded here: model code gets no writable files (Pyodide's
 * in-memory file system keeps file data outside the wasm heap), and the device takes a request
 * only whole, in one write, and no larger than the largest call the bounds allow.
 */
import { constants as fsConstants, readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { basename, dirname } from 'node:path';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { loadPyodide, type PyodideAPI } from 'pyodide';
import type { ContextFile } from '../shared/context-file.ts';
import type { HostAnswer, ToWorker, WorkerInput, FromWorker, WorkerCall, WorkerLimits } from './worker-messages.ts';

const input = workerData as WorkerInput;
const port = parentPort!;
const answers: MessagePort = input.answers;
const wake = new Int32Array(input.wake);
const interrupt = new Int32Array(input.interrupt);
const activity = new Int32Array(input.activity);
const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

/** The wasm heap may not grow past this; Python then raises MemoryError and keeps its state. */
let memoryLimitBytes = 1024 * 1024 * 1024;
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
const wasmMemory = (globalThis as unknown as { WebAssembly: { Memory: { prototype: WasmMemory } } }).WebAssembly.Memory.prototype;
const grow = wasmMemory.grow;
wasmMemory.grow = function (this: WasmMemory, pages: number) {
  if (this.buffer.byteLength + pages * 65536 > memoryLimitBytes) throw new RangeError('the REPL memory limit is reached');
  return grow.call(this, pages);
};

// Pyodide's NODEFS reads file-flag constants through process.binding, which Node's permission
// model refuses; these constants are all it wants.
const withBinding = process as unknown as { binding: (name: string) => unknown };
const realBinding = withBinding.binding.bind(process);
withBinding.binding = (name: string) => (name === 'constants' ? { fs: fsConstants } : realBinding(name));

interface EmscriptenFs {
  ErrnoError: new (errno: number) => Error;
  makedev(major: number, minor: number): number;
  registerDevice(device: number, ops: DeviceOps): void;
  mkdev(path: string, device: number): void;
  mkdirTree(path: string): void;
  mount(type: unknown, options: { root: string }, path: string): void;
  unmount(path: string): void;
  filesystems: { NODEFS: unknown; MEMFS: MemFs };
}
type FsOps = Record<string, ((...args: never[]) => unknown) | undefined>;
interface MemFs {
  ops_table: Record<'dir' | 'file' | 'link' | 'chrdev', { node: FsOps; stream: FsOps }> | null;
  node_ops: FsOps;
  stream_ops: FsOps;
}
interface DeviceStream {
  answer?: Uint8Array | undefined;
  at?: number;
}
interface DeviceOps {
  open(stream: DeviceStream): void;
  close(stream: DeviceStream): void;
  read(stream: DeviceStream, heap: Int8Array, offset: number, length: number): number;
  write(stream: DeviceStream, heap: Int8Array, offset: number, length: number): number;
}

let budget: unknown = null;
/** The bounds of limits.ts, set with the context. */
let limits: WorkerLimits | undefined;
/** Host calls of the running cell, by id, not yet answered; and the answers Python has not taken. */
const inFlight = new Set<number>();
let done: Array<[number, boolean, string]> = [];
let nextCallId = 0;

// Error numbers of Pyodide's C library (WASI's), as Python's errno module has them.
const EINVAL = 28;
const EFBIG = 22;
const EROFS = 69;

const started = performance.now();
const { pyodide, restored, makesSnapshot } = await boot();
// In a namespace of its own, so that model code's globals (__main__) start empty.
const bootstrap = pyodide.globals.get('dict') as () => unknown;
if (!restored) {
  // runtime.py, and seal.py's prepare() (which imports the built-in modules): in the snapshot
  // too, so that later boots skip them. The seal module waits in sys.modules only until the
  // next step takes it out, before any context or code.
  pyodide.runPython(
    `
import sys, types
_rlm = types.ModuleType('_rlm')
sys.modules['_rlm'] = _rlm
exec(${JSON.stringify(source('runtime.py'))}, _rlm.__dict__)
_seal = types.ModuleType('_rlm_seal')
sys.modules['_rlm_seal'] = _seal
exec(${JSON.stringify(source('seal.py'))}, _seal.__dict__)
_seal.prepare()
`,
    { globals: bootstrap() as never },
  );
}
// The interpreter with our runtime in it but not sealed, before any context or code: what later
// boots start from. Each is sealed after its restore, as this one is, when its context arrives.
const snapshot = makesSnapshot ? pyodide.makeMemorySnapshot() : undefined;
pyodide.setInterruptBuffer(new Int32Array(input.interrupt));
const fs = pyodide.FS as unknown as EmscriptenFs;
installDevice(fs);
const runtime = pyodide.runPython(
  `
import sys
_rlm = sys.modules['_rlm']
_seal = sys.modules.pop('_rlm_seal')
(_rlm.run_cell, _rlm.variable, _rlm.load_context, _rlm.configure, _seal.seal)
`,
  { globals: bootstrap() as never },
) as { toJs(options: { depth: number }): Array<(...args: unknown[]) => unknown>; destroy(): void };
const [runCell, readVariable, loadContext, configure, seal] = runtime.toJs({ depth: 1 }) as [
  (code: string, from: number, history: string) => string,
  (name: string) => string,
  (path: string, format: string) => number,
  (maxOutputChars: number, tools: string[], limits: string, answersJson: boolean) => void,
  () => void,
];
send(
  { type: 'booted', bootMs: performance.now() - started, ...(snapshot ? { snapshot } : {}) },
  snapshot ? [snapshot.buffer as ArrayBuffer] : [],
);

/**
 * Boots CPython: from a memory snapshot of an interpreter with our runtime in it and nothing
 * else when there is one (several times faster), else from scratch. The options are the same
 * either way, as snapshots require. A snapshot this Pyodide refuses is replaced: the boot from
 * scratch then makes a new one.
 */
async function boot(): Promise<{ pyodide: PyodideAPI; restored: boolean; makesSnapshot: boolean }> {
  const options = {
    jsglobals: Object.create(null) as object,
    env: {},
    // Cells print through runtime.py's capture; only C-level writes would come here.
    stdout: () => undefined,
    stderr: () => undefined,
    stdin: () => null,
  };
  if (input.snapshot) {
    try {
      return { pyodide: await loadPyodide({ ...options, _loadSnapshot: input.snapshot }), restored: true, makesSnapshot: false };
    } catch {
      // A snapshot this Pyodide cannot use: boot from scratch.
    }
  }
  const makesSnapshot = input.makeSnapshot === true || input.snapshot !== undefined;
  return { pyodide: await loadPyodide({ ...options, ...(makesSnapshot ? { _makeSnapshot: true } : {}) }), restored: false, makesSnapshot };
}

port.on('message', (message: ToWorker) => {
  try {
    handle(message);
  } catch (error) {
    // A JavaScript-level failure of Pyodide itself (a fatal error): this interpreter is done.
    send({ type: 'fatal', message: error instanceof Error ? lastLine(error.message) : String(error) });
  }
});

function handle(message: ToWorker): void {
  switch (message.type) {
    case 'load': {
      memoryLimitBytes = message.memoryLimitMb * 1024 * 1024;
      try {
        for (const file of message.contextFiles) load(file);
      } catch (error) {
        send({ type: 'load-error', message: error instanceof Error ? lastLine(error.message) : String(error) });
        return;
      }
      limits = message.limits;
      configure(message.maxOutputChars, message.tools, JSON.stringify(message.limits), message.answersAsJson === true);
      seal();
      freezeFiles();
      stripRealm();
      send({ type: 'loaded' });
      return;
    }
    case 'run':
      budget = message.budget;
      // Calls a stopped cell left behind were ended by the main thread with their cell.
      inFlight.clear();
      done = [];
      send({ type: 'result', outcome: runCell(message.code, message.historyFrom, JSON.stringify(message.history)) });
      return;
    case 'variable':
      send({ type: 'variable-result', answer: readVariable(message.name) });
      return;
    case 'add-context': {
      let index: number;
      try {
        index = load(message.contextFile);
      } catch (error) {
        send({ type: 'load-error', message: error instanceof Error ? lastLine(error.message) : String(error) });
        return;
      }
      send({ type: 'context-added', index });
      return;
    }
  }
}

/**
 * The context file's folder is mounted only while Python reads it into `context` (and keeps it as
 * `context_<n>`, the n returned): at the start, and again between cells for each context added.
 */
function load(file: ContextFile): number {
  const mountPoint = '/rlm-context';
  fs.mkdirTree(mountPoint);
  fs.mount(fs.filesystems.NODEFS, { root: dirname(file.path) }, mountPoint);
  try {
    return loadContext(`${mountPoint}/${basename(file.path)}`, file.format);
  } finally {
    fs.unmount(mountPoint);
  }
}

/**
 * After sealing, this thread needs nothing but Pyodide's own code, already loaded. Take away what
 * a Python-level escape could use next: network globals, module loading, native bindings.
 */
function stripRealm(): void {
  const global = globalThis as Record<string, unknown>;
  for (const name of [
    'fetch',
    'WebSocket',
    'EventSource',
    'XMLHttpRequest',
    'Request',
    'Response',
    'Headers',
    'FormData',
    'navigator',
    'localStorage',
    'sessionStorage',
  ]) {
    try {
      delete global[name];
    } catch {
      // not configurable: leave it
    }
  }
  const refuse = () => {
    throw new Error('not available in the REPL');
  };
  const proc = process as unknown as Record<string, unknown>;
  for (const name of ['binding', '_linkedBinding', 'dlopen', 'getBuiltinModule', 'chdir', 'kill', 'abort']) proc[name] = refuse;
  registerHooks({ resolve: () => refuse() });
  // Any JavaScript object that reaches Python despite the seal leads to `Function` through
  // `.constructor.constructor`, and Function runs any code. Cut that path: constructors of
  // functions are not reachable from a function any more.
  const functionKinds = [function () {}, async function () {}, function* () {}, async function* () {}];
  for (const kind of functionKinds) {
    try {
      delete (Object.getPrototypeOf(kind) as { constructor?: unknown }).constructor;
    } catch {
      // not configurable: leave it
    }
  }
}

/**
 * Model code may read files (the standard library, /dev/null) but write none: Pyodide's in-memory
 * file system keeps each file's bytes in a JavaScript array outside the wasm heap, where the
 * memory cap does not see them (a /tmp file grew the REPL process to gigabytes), and every file or
 * folder made is a JavaScript object too. Writing, creating, truncating, renaming and removing
 * fail with EROFS, which runtime.py words for the model. Devices (/dev/rlm, /dev/null) are not
 * files and keep working.
 */
function freezeFiles(): void {
  const memfs = fs.filesystems.MEMFS;
  const refuse = () => {
    throw new fs.ErrnoError(EROFS);
  };
  const setattr = memfs.node_ops.setattr as (node: unknown, attr: { size?: number }) => void;
  const frozen: FsOps = {
    write: refuse,
    msync: refuse,
    mknod: refuse,
    symlink: refuse,
    rename: refuse,
    unlink: refuse,
    rmdir: refuse,
    setattr: (node: unknown, attr: { size?: number }) => (attr.size === undefined ? setattr(node, attr) : refuse()),
  } as unknown as FsOps;
  // Nodes made so far hold ops_table's objects; MEMFS calls its own functions too (msync → write).
  const tables = [memfs.node_ops, memfs.stream_ops, ...Object.values(memfs.ops_table ?? {}).flatMap((kind) => [kind.node, kind.stream])];
  for (const table of tables) {
    for (const name of Object.keys(frozen)) if (table[name]) table[name] = frozen[name];
  }
}

function installDevice(fs: EmscriptenFs): void {
  const device = fs.makedev(64, 0);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  fs.registerDevice(device, {
    open(stream) {
      stream.answer = undefined;
      stream.at = 0;
    },
    close(stream) {
      stream.answer = undefined;
    },
    // A request comes whole, in one write ending in a newline, as runtime.py writes it: nothing is
    // kept between writes, and one no larger than the largest call the bounds allow is read
    // straight from the wasm heap.
    write(stream, heap, offset, length) {
      if (length > maxRequestBytes()) throw new fs.ErrnoError(EFBIG);
      if (length === 0 || heap[offset + length - 1] !== 10) throw new fs.ErrnoError(EINVAL);
      let request: unknown;
      try {
        request = JSON.parse(decoder.decode(new Uint8Array(heap.buffer, heap.byteOffset + offset, length)));
      } catch {
        request = undefined;
      }
      const answer =
        typeof request === 'object' && request !== null
          ? serve(request as Record<string, unknown>)
          : { error: 'a request is one line of JSON' };
      stream.answer = encoder.encode(JSON.stringify(answer));
      stream.at = 0;
      return length;
    },
    read(stream, heap, offset, length) {
      const answer = stream.answer;
      if (!answer) return 0;
      const n = Math.min(length, answer.length - stream.at!);
      new Uint8Array(heap.buffer, heap.byteOffset + offset, n).set(answer.subarray(stream.at!, stream.at! + n));
      stream.at! += n;
      return n;
    },
  });
  fs.mkdev('/dev/rlm', device);
}

/**
 * The largest request the bounds allow, in bytes: one call with the longest prompt (a character
 * is at most 6 bytes once escaped as JSON) and the largest context (at most 4 bytes a character
 * of its JSON), and room for the request around them.
 */
function maxRequestBytes(): number {
  if (!limits) return 1 << 20;
  return 6 * limits.max_prompt_chars + 4 * limits.max_value_json_chars + (8 << 20);
}

/** Serves one request from runtime.py; those that wait return `{ interrupted: true }` if the cell is stopped meanwhile. */
function serve(request: Record<string, unknown>): unknown {
  drain();
  if (request.sync === 'budget') return { value: budget };
  if (typeof request.sleep === 'number') {
    Atomics.store(activity, 0, 1);
    const outcome = waitUntil(() => false, performance.now() + request.sleep * 1000);
    Atomics.store(activity, 0, 0);
    return outcome === 'interrupted' ? { interrupted: true } : {};
  }
  if (Array.isArray(request.start)) return start(request.start as WorkerCall[]);
  if (request.wait === true) {
    const outcome = waitUntil(() => done.length > 0 || inFlight.size === 0);
    return outcome === 'interrupted' ? { interrupted: true } : { done: take() };
  }
  return { error: 'unknown request' };
}

/** Starts as many of `calls` as the window has room for, once it has some; Python sends the rest later. */
function start(calls: WorkerCall[]): unknown {
  const window = limits?.max_calls_in_flight ?? 1;
  if (calls.length > 0 && waitUntil(() => inFlight.size < window) === 'interrupted') return { interrupted: true };
  const started = calls.slice(0, window - inFlight.size).map((call) => ({ id: ++nextCallId, call }));
  for (const { id } of started) inFlight.add(id);
  if (started.length > 0) send({ type: 'calls', calls: started });
  return { ids: started.map((s) => s.id), free: window - inFlight.size, done: take() };
}

function take(): Array<[number, boolean, string]> {
  const taken = done;
  done = [];
  return taken;
}

/**
 * Sleeps until `ready()` holds (answers are taken as they come), the deadline passes, or the
 * cell is interrupted; an interrupt seen here is consumed, and Python raises KeyboardInterrupt.
 */
function waitUntil(ready: () => boolean, deadline = Infinity): 'ready' | 'timeout' | 'interrupted' {
  for (;;) {
    const seen = Atomics.load(wake, 0);
    drain();
    if (ready()) return 'ready';
    if (Atomics.load(interrupt, 0) !== 0) {
      Atomics.store(interrupt, 0, 0);
      return 'interrupted';
    }
    const left = deadline - performance.now();
    if (left <= 0) return 'timeout';
    // In slices, so that an interrupt is seen even if its wake-up were missed.
    Atomics.wait(wake, 0, seen, Math.min(left, 250));
  }
}

/** Takes every message waiting on the answers port; budgets update as they come. */
function drain(): void {
  for (;;) {
    const received = receiveMessageOnPort(answers) as { message: HostAnswer } | undefined;
    if (!received) return;
    const answer = received.message;
    budget = answer.budget;
    if (answer.type === 'answer' && inFlight.delete(answer.id)) done.push([answer.id, answer.ok, answer.value]);
  }
}

function source(name: string): string {
  return readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
}

/** The telling line of a Python traceback: its last. */
function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? text;
}
