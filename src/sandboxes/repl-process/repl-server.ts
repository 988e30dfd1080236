/**
 * Realm: the REPL process (repl-process/): a Node process with an empty environment, Node's
 * permission model and the OS wall (host/process-wall.ts). Files here hold an engine that runs
 * model code; they reach the run only through the wire (fd 3), and may read rlm's code, their
 * engine's package and their private folder, nothing else.
 *
 * The REPL process's side of the wire, whatever the language: it holds the REPL (a V8 isolate,
 * or Pyodide in a worker thread), runs the cells it is sent, and turns the REPL's host calls into
 * messages to the run's process. Nothing model code does to its engine can take the run down
 * with it. The process is started with an empty environment and Node's permission model: it may
 * read only rlm's own code, its engine and its context folder, and write nothing.
 *
 * Host calls belong to the cell that runs: a call made while no cell runs is refused, and those
 * a cell leaves behind (never awaited) end when it reports. At most `maxCallsInFlight` are at the
 * run's process at once; more wait here, first come first served, up to MAX_CALLS_WAITING.
 */
import { Socket } from 'node:net';
import { RlmError } from '../../errors.ts';
import { encodeFrame, readFrames } from '../shared/frames.ts';
import { boundedResult, fromReplFrame, TO_REPL_LIMITS, jsonDepth, type FromRepl, type ToRepl, type VariableAnswer } from '../shared/repl-messages.ts';
import { cutError, MAX_ANSWER_CHARS, MAX_CALLS_WAITING, MAX_PROMPT_CHARS, MAX_VALUE_DEPTH, MAX_VALUE_JSON_CHARS } from '../limits.ts';
import type { Bridge, Sandbox, SandboxOptions, SandboxSettings } from '../sandbox.ts';
import type { ContextFile } from '../shared/context-file.ts';

/** What the REPL process makes its engine with: the sandbox's options, the context in a file. */
export type EngineOptions = Omit<SandboxOptions, 'context'> & { contextFile: ContextFile };

/** The wire to the run's process (fork-repl.ts). */
const WIRE_FD = 3;

/** The wire to the run's process, opened once per process. */
let wire: Socket | undefined;
function openWire(): Socket {
  wire ??= new Socket({ fd: WIRE_FD, readable: true, writable: true });
  return wire;
}

/** Sends a message to the run's process. */
export function sendToHost(message: FromRepl): void {
  const { header, payload } = fromReplFrame(message);
  const socket = openWire();
  for (const part of encodeFrame(header, payload)) socket.write(part);
}

/** A call the cell made: waiting here, or in flight at the run's process. */
interface HostCall {
  id: number;
  message: FromRepl;
  signal: AbortSignal;
  onAbort: () => void;
  resolve: (payload: string) => void;
  reject: (error: Error) => void;
}

/** The host calls of one REPL: capped in flight, the rest in a queue, all ended with their cell. */
class HostCalls {
  readonly #maxInFlight: number;
  #nextId = 0;
  /** In flight at the run's process, by id. */
  readonly #inFlight = new Map<number, HostCall>();
  /** Waiting to be sent, oldest first (a Map keeps insertion order and deletes in O(1)). */
  readonly #waiting = new Map<number, HostCall>();
  /** Whether a cell is running: calls are only taken while one is. */
  open = false;

  constructor(maxInFlight: number) {
    this.#maxInFlight = Math.max(1, maxInFlight);
  }

  /** Sends (or queues) a call; settles with the run's process's answer as text. */
  call(signal: AbortSignal, message: (callId: number) => FromRepl): Promise<string> {
    return new Promise((resolve, reject) => {
      if (!this.open) return reject(new Error('host calls are made only while a cell runs; this one came after its cell had ended (await every call in the cell that makes it)'));
      if (signal.aborted) return reject(abortError(signal));
      if (this.#inFlight.size >= this.#maxInFlight && this.#waiting.size >= MAX_CALLS_WAITING) {
        return reject(new Error(`too many calls at once: ${this.#maxInFlight} in flight and ${MAX_CALLS_WAITING} waiting; wait for some to finish before starting more`));
      }
      const id = ++this.#nextId;
      const entry: HostCall = {
        id,
        message: message(id),
        signal,
        onAbort: () => this.#end(entry, abortError(signal)),
        resolve,
        reject,
      };
      signal.addEventListener('abort', entry.onAbort, { once: true });
      this.#waiting.set(id, entry);
      this.#pump();
    });
  }

  /** The run's process answered a call. */
  deliver(callId: number, ok: boolean, payload: string): void {
    const entry = this.#inFlight.get(callId);
    if (!entry) return;
    this.#inFlight.delete(callId);
    entry.signal.removeEventListener('abort', entry.onAbort);
    if (ok) entry.resolve(payload);
    else entry.reject(new Error(payload));
    this.#pump();
  }

  /** Ends every call (a cell reported): each is cancelled at the run's process and rejected here. */
  /** Ends every call; `reason` is made only when there is one, as its stack is a trivial cell's largest cost here. */
  endAll(reason: () => Error): void {
    if (this.#waiting.size === 0 && this.#inFlight.size === 0) return;
    const error = reason();
    for (const entry of [...this.#waiting.values(), ...this.#inFlight.values()]) this.#end(entry, error);
  }

  #end(entry: HostCall, reason: Error): void {
    entry.signal.removeEventListener('abort', entry.onAbort);
    if (this.#waiting.delete(entry.id)) return entry.reject(reason);
    if (!this.#inFlight.delete(entry.id)) return;
    sendToHost({ type: 'call-cancel', callId: entry.id, reason: RlmError.isInstance(reason) && reason.code === 'RLM_CANCELLED' ? 'cancelled' : cutError(reason.message) });
    entry.reject(reason);
    this.#pump();
  }

  #pump(): void {
    while (this.#inFlight.size < this.#maxInFlight && this.#waiting.size > 0) {
      const [id, entry] = this.#waiting.entries().next().value!;
      this.#waiting.delete(id);
      this.#inFlight.set(id, entry);
      sendToHost(entry.message);
    }
  }
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new RlmError('RLM_CANCELLED', 'cancelled');
}

/** A value as JSON text, or a clear error for model code when it is too large or too deep to send. */
function valueJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value ?? null);
  } catch (error) {
    throw new Error(`${what} cannot be sent: ${error instanceof Error ? error.message : String(error)} (nested too deeply?)`);
  }
  json ??= 'null';
  if (json.length > MAX_VALUE_JSON_CHARS) {
    throw new Error(`${what} is too large: ${json.length.toLocaleString('en-US')} characters of JSON (at most ${MAX_VALUE_JSON_CHARS.toLocaleString('en-US')}); pass a slice`);
  }
  const depth = jsonDepth(json);
  if (depth > MAX_VALUE_DEPTH) throw new Error(`${what} is nested ${depth} deep (at most ${MAX_VALUE_DEPTH})`);
  return json;
}

function checkPrompt(prompt: string, name: string): void {
  if (typeof prompt !== 'string') throw new Error(`${name}: the prompt must be a string`);
  if (prompt.length > MAX_PROMPT_CHARS) {
    throw new Error(`${name}: the prompt is too long: ${prompt.length.toLocaleString('en-US')} characters (at most ${MAX_PROMPT_CHARS.toLocaleString('en-US')}); send a slice`);
  }
}

/** Serves one REPL for the run's process, made by `create` when the context arrives. */
export function serveRepl(create: (options: EngineOptions) => Promise<Sandbox>): void {
  const send = sendToHost;
  let repl: Sandbox | undefined;
  let settings: SandboxSettings | undefined;
  let budget: unknown = null;
  /** The conversation, sent as what is new since the last cell. */
  const history: unknown[] = [];
  let calls = new HostCalls(1);
  const runs = new Map<number, AbortController>();

  const bridge: Bridge = {
    llm_query: async (prompt, options, signal) => {
      checkPrompt(prompt, 'llm_query');
      return calls.call(signal, (callId) => ({ type: 'call', callId, name: 'llm_query', prompt, options: modelOption(options), context: null }));
    },
    rlm_query: async (prompt, context, options, signal) => {
      checkPrompt(prompt, 'rlm_query');
      const json = context === undefined || context === null ? null : valueJson(context, "rlm_query's context");
      return calls.call(signal, (callId) => ({ type: 'call', callId, name: 'rlm_query', prompt, options: modelOption(options), context: json }));
    },
    budget: () => budget,
    history: () => history,
    tool: async (tool, args, signal) => {
      const json = valueJson(args, `the arguments of ${tool}`);
      return JSON.parse(await calls.call(signal, (callId) => ({ type: 'tool-call', callId, tool, args: json }))) as unknown;
    },
  };

  const handle = async (message: ToRepl): Promise<void> => {
    switch (message.type) {
      case 'init': {
        try {
          settings = message.settings;
          calls = new HostCalls(settings.maxCallsInFlight);
          const contextFile = { path: message.contextPath, format: message.contextKind };
          repl = await create({ contextFile, bridge, ...message.settings });
          send({ type: 'ready' });
        } catch (error) {
          send({ type: 'init-error', message: cutError(error instanceof Error ? error.message : String(error)) });
        }
        return;
      }
      case 'run': {
        budget = message.budget;
        history.length = message.history.from;
        history.push(...message.history.messages);
        const controller = new AbortController();
        runs.set(message.runId, controller);
        calls.open = true;
        try {
          const result = await repl!.run(message.code, { timeoutMs: message.timeoutMs, signal: controller.signal });
          // Whatever the cell left running ends with it, before the run's process hears it ended.
          calls.open = false;
          calls.endAll(() => new Error('the cell that made this call had ended'));
          send({ type: 'result', runId: message.runId, result: boundedResult(result, settings!.maxOutputChars) });
        } catch (error) {
          calls.open = false;
          calls.endAll(() => new RlmError('RLM_CANCELLED', 'cancelled'));
          const cancelled = RlmError.isInstance(error) && error.code === 'RLM_CANCELLED';
          send({ type: 'run-error', runId: message.runId, message: cutError(error instanceof Error ? error.message : String(error)), cancelled });
        } finally {
          runs.delete(message.runId);
        }
        return;
      }
      case 'cancel':
        runs.get(message.runId)?.abort(new RlmError('RLM_CANCELLED', 'cancelled'));
        return;
      case 'deliver':
        budget = message.budget;
        calls.deliver(message.callId, message.ok, message.payload);
        return;
      case 'variable':
        send({ type: 'variable-result', requestId: message.requestId, value: boundedVariable(await repl!.variable(message.name)) });
        return;
    }
  };

  const fail = (error: unknown) => {
    process.stderr.write(`repl process: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(70);
  };
  const socket = openWire();
  readFrames(
    socket,
    TO_REPL_LIMITS,
    (frame) => void handle(frame.header as ToRepl).catch(fail),
    (error) => fail(error),
  );
  // The run's process is gone: nothing is left to serve.
  socket.on('end', () => process.exit(0));
  socket.on('close', () => process.exit(0));
  socket.on('error', () => process.exit(0));
  // Ctrl-C in a terminal reaches the whole process group; the run decides when the REPL ends.
  process.on('SIGINT', () => undefined);
}

function modelOption(options: { model?: string }): { model?: string } {
  return typeof options?.model === 'string' ? { model: options.model } : {};
}

/** A FINAL_VAR answer longer than any answer may be is cut, and says so. */
function boundedVariable(answer: VariableAnswer): VariableAnswer {
  if (!answer.found || answer.value.length <= MAX_ANSWER_CHARS) return answer;
  return { found: true, value: `${answer.value.slice(0, MAX_ANSWER_CHARS)} [... ${(answer.value.length - MAX_ANSWER_CHARS).toLocaleString('en-US')} more characters of this answer cut]` };
}
