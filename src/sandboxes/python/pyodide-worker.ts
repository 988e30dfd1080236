/**
 * The worker thread that holds Pyodide, inside the Python REPL process. It boots CPython before
 * any run needs it (a warm start), then loads one context, seals the interpreter (seal.py) and
 * strips this thread of network and module loading, and runs cells one at a time.
 *
 * Python's host calls block this thread: runtime.py writes a request to the device /dev/rlm, and
 * the device posts it to the process's main thread and sleeps in Atomics.wait until the answers
 * arrive on a MessagePort. So `llm_query` blocks from Python's point of view while the main
 * thread serves any number of calls concurrently, and a batch runs all its prompts at once.
 */
import { constants as fsConstants, readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname } from 'node:path';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { loadPyodide, type PyodideAPI } from 'pyodide';
import type { ContextFile } from '../context-file.ts';
import type { HostAnswer, ToWorker, WorkerInput, FromWorker, HostCall } from './worker-messages.ts';

const input = workerData as WorkerInput;
const port = parentPort!;
const answers: MessagePort = input.answers;
const wake = new Int32Array(input.wake);
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
  makedev(major: number, minor: number): number;
  registerDevice(device: number, ops: DeviceOps): void;
  mkdev(path: string, device: number): void;
  mkdirTree(path: string): void;
  mount(type: unknown, options: { root: string }, path: string): void;
  unmount(path: string): void;
  filesystems: { NODEFS: unknown };
}
interface DeviceStream {
  request?: Uint8Array[];
  answer?: Uint8Array;
  at?: number;
}
interface DeviceOps {
  open(stream: DeviceStream): void;
  close(stream: DeviceStream): void;
  read(stream: DeviceStream, heap: Int8Array, offset: number, length: number): number;
  write(stream: DeviceStream, heap: Int8Array, offset: number, length: number): number;
}

let budget: unknown = null;
let batch = 0;

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
  (path: string, format: string) => void,
  (maxOutputChars: number, tools: string[]) => void,
  () => void,
];
send({ type: 'booted', bootMs: performance.now() - started, ...(snapshot ? { snapshot } : {}) }, snapshot ? [snapshot.buffer as ArrayBuffer] : []);

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
        load(message.contextFile);
      } catch (error) {
        send({ type: 'load-error', message: error instanceof Error ? lastLine(error.message) : String(error) });
        return;
      }
      configure(message.maxOutputChars, message.tools);
      seal();
      stripRealm();
      send({ type: 'loaded' });
      return;
    }
    case 'run':
      budget = message.budget;
      send({ type: 'result', outcome: runCell(message.code, message.historyFrom, JSON.stringify(message.history)) });
      return;
    case 'variable':
      send({ type: 'variable-result', answer: readVariable(message.name) });
      return;
  }
}

/** The context file's folder is mounted only while Python reads it into `context`. */
function load(file: ContextFile): void {
  const mountPoint = '/rlm-context';
  fs.mkdirTree(mountPoint);
  fs.mount(fs.filesystems.NODEFS, { root: dirname(file.path) }, mountPoint);
  try {
    loadContext(`${mountPoint}/context`, file.format);
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
  for (const name of ['fetch', 'WebSocket', 'EventSource', 'XMLHttpRequest', 'Request', 'Response', 'Headers', 'FormData', 'navigator', 'localStorage', 'sessionStorage']) {
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

function installDevice(fs: EmscriptenFs): void {
  const device = fs.makedev(64, 0);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  fs.registerDevice(device, {
    open(stream) {
      stream.request = [];
      stream.answer = undefined;
      stream.at = 0;
    },
    close() {},
    write(stream, heap, offset, length) {
      const bytes = new Uint8Array(heap.buffer, heap.byteOffset + offset, length).slice();
      stream.request!.push(bytes);
      if (bytes[length - 1] !== 10) return length;
      const text = decoder.decode(concat(stream.request!));
      stream.request = [];
      stream.answer = encoder.encode(JSON.stringify(serve(JSON.parse(text) as Record<string, unknown>)));
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

/** Serves one request from runtime.py: the budget, or host calls (blocking until all are answered). */
function serve(request: Record<string, unknown>): unknown {
  drain(() => undefined);
  if (request.sync === 'budget') return { value: budget };
  if (!Array.isArray(request.calls)) return { results: [] };
  const calls = request.calls as HostCall[];
  const id = ++batch;
  const results: Array<{ ok: boolean; value: string } | undefined> = calls.map(() => undefined);
  let left = calls.length;
  send({ type: 'calls', batch: id, calls });
  while (left > 0) {
    const seen = Atomics.load(wake, 0);
    drain((answer) => {
      if (answer.batch !== id || results[answer.index] !== undefined) return;
      results[answer.index] = { ok: answer.ok, value: answer.value };
      left--;
    });
    if (left > 0) Atomics.wait(wake, 0, seen);
  }
  return { results };
}

/** Takes every message waiting on the answers port; budgets update as they come. */
function drain(onAnswer: (answer: Extract<HostAnswer, { type: 'answer' }>) => void): void {
  for (;;) {
    const received = receiveMessageOnPort(answers) as { message: HostAnswer } | undefined;
    if (!received) return;
    const answer = received.message;
    budget = answer.budget;
    if (answer.type === 'answer') onAnswer(answer);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function source(name: string): string {
  return readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
}

/** The telling line of a Python traceback: its last. */
function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? text;
}
