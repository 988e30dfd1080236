/**
 * The REPL process's calls to the run's process: the Bridge its engine is given, which turns each
 * call into a message on the wire. At most `maxCallsInFlight` are at the run's process at once;
 * more wait here, first come first served, up to MAX_CALLS_WAITING. Calls belong to the cell that
 * runs: one made while no cell runs is refused, and those a cell leaves behind (never awaited) end
 * when it reports, each cancelled at the run's process too.
 *
 * What model code hands over is bounded here, before it crosses: a prompt's length, a value's
 * JSON size and depth. The run's process checks them again (shared/repl-messages.ts).
 */
import { RlmError } from '../../errors.ts';
import { cutError, MAX_CALLS_WAITING, MAX_PROMPT_CHARS, MAX_SCHEMA_JSON_CHARS, MAX_VALUE_DEPTH, MAX_VALUE_JSON_CHARS } from '../limits.ts';
import type { Bridge } from '../sandbox.ts';
import { NO_CELL_RUNNING } from '../shared/host-calls.ts';
import { jsonDepth, type FromRepl } from '../shared/repl-messages.ts';

/** What the run's process last said of the run, kept for the engine's `budget` and `history`. */
export interface RunState {
  budget: unknown;
  /** The conversation, sent as what is new since the last cell. */
  history: unknown[];
}

/** The Bridge an engine in the REPL process is given: every call crosses to the run's process through `calls`. */
export function bridgeToHost(calls: () => CallsToHost, state: RunState): Bridge {
  return {
    llm_query: async (prompt, options, signal) => {
      checkPrompt(prompt, 'llm_query');
      return calls().call(signal, (callId) => ({
        type: 'call',
        callId,
        name: 'llm_query',
        prompt,
        options: modelOption(options),
        context: null,
        schema: null,
      }));
    },
    rlm_query: async (prompt, context, options, signal) => {
      checkPrompt(prompt, 'rlm_query');
      const json = context === undefined || context === null ? null : valueJson(context, "rlm_query's context");
      const schema = options?.schema === undefined || options.schema === null ? null : valueJson(options.schema, "rlm_query's schema");
      if (schema !== null && schema.length > MAX_SCHEMA_JSON_CHARS) {
        throw new Error(
          `rlm_query: the schema is too large: ${schema.length.toLocaleString('en-US')} characters of JSON (at most ${MAX_SCHEMA_JSON_CHARS.toLocaleString('en-US')})`,
        );
      }
      return calls().call(signal, (callId) => ({
        type: 'call',
        callId,
        name: 'rlm_query',
        prompt,
        options: modelOption(options),
        context: json,
        schema,
      }));
    },
    budget: () => state.budget,
    history: () => state.history,
    tool: async (tool, args, signal) => {
      const json = valueJson(args, `the arguments of ${tool}`);
      return JSON.parse(await calls().call(signal, (callId) => ({ type: 'tool-call', callId, tool, args: json }))) as unknown;
    },
  };
}

/** A call the cell made: waiting here, or in flight at the run's process. */
interface QueuedCall {
  id: number;
  message: FromRepl;
  signal: AbortSignal;
  onAbort: () => void;
  resolve: (payload: string) => void;
  reject: (error: Error) => void;
}

/** The calls of one REPL to the run's process: capped in flight, the rest in a queue, all ended with their cell. */
export class CallsToHost {
  readonly #maxInFlight: number;
  #nextId = 0;
  /** In flight at the run's process, by id. */
  readonly #inFlight = new Map<number, QueuedCall>();
  /** Waiting to be sent, oldest first (a Map keeps insertion order and deletes in O(1)). */
  readonly #waiting = new Map<number, QueuedCall>();
  /** Whether a cell is running: calls are only taken while one is. */
  #cellRunning = false;
  readonly #send: (message: FromRepl) => void;

  constructor(maxInFlight: number, send: (message: FromRepl) => void) {
    this.#maxInFlight = Math.max(1, maxInFlight);
    this.#send = send;
  }

  /** Sends (or queues) a call; settles with the run's process's answer as text. */
  call(signal: AbortSignal, message: (callId: number) => FromRepl): Promise<string> {
    return new Promise((resolve, reject) => {
      if (!this.#cellRunning)
        return reject(new Error(`${NO_CELL_RUNNING}; this one came after its cell had ended (await every call in the cell that makes it)`));
      if (signal.aborted) return reject(abortError(signal));
      if (this.#inFlight.size >= this.#maxInFlight && this.#waiting.size >= MAX_CALLS_WAITING) {
        return reject(
          new Error(
            `too many calls at once: ${this.#maxInFlight} in flight and ${MAX_CALLS_WAITING} waiting; wait for some to finish before starting more`,
          ),
        );
      }
      const id = ++this.#nextId;
      const entry: QueuedCall = {
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

  /** A cell starts: its calls are taken until `endCell`. */
  startCell(): void {
    this.#cellRunning = true;
  }

  /**
   * The cell reported: later calls are refused, and each still waiting or in flight is cancelled
   * at the run's process and rejected here; `reason` is made only when there is one, as its stack
   * is a trivial cell's largest cost here.
   */
  endCell(reason: () => Error): void {
    this.#cellRunning = false;
    if (this.#waiting.size === 0 && this.#inFlight.size === 0) return;
    const error = reason();
    for (const entry of [...this.#waiting.values(), ...this.#inFlight.values()]) this.#end(entry, error);
  }

  #end(entry: QueuedCall, reason: Error): void {
    entry.signal.removeEventListener('abort', entry.onAbort);
    if (this.#waiting.delete(entry.id)) return entry.reject(reason);
    if (!this.#inFlight.delete(entry.id)) return;
    this.#send({
      type: 'call-cancel',
      callId: entry.id,
      reason: RlmError.isInstance(reason) && reason.code === 'RLM_CANCELLED' ? 'cancelled' : cutError(reason.message),
    });
    entry.reject(reason);
    this.#pump();
  }

  #pump(): void {
    while (this.#inFlight.size < this.#maxInFlight && this.#waiting.size > 0) {
      const [id, entry] = this.#waiting.entries().next().value!;
      this.#waiting.delete(id);
      this.#inFlight.set(id, entry);
      this.#send(entry.message);
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
    throw new Error(
      `${what} is too large: ${json.length.toLocaleString('en-US')} characters of JSON (at most ${MAX_VALUE_JSON_CHARS.toLocaleString('en-US')}); pass a slice`,
    );
  }
  const depth = jsonDepth(json);
  if (depth > MAX_VALUE_DEPTH) throw new Error(`${what} is nested ${depth} deep (at most ${MAX_VALUE_DEPTH})`);
  return json;
}

function checkPrompt(prompt: string, name: string): void {
  if (typeof prompt !== 'string') throw new Error(`${name}: the prompt must be a string`);
  if (prompt.length > MAX_PROMPT_CHARS) {
    throw new Error(
      `${name}: the prompt is too long: ${prompt.length.toLocaleString('en-US')} characters (at most ${MAX_PROMPT_CHARS.toLocaleString('en-US')}); send a slice`,
    );
  }
}

function modelOption(options: { model?: string }): { model?: string } {
  return typeof options?.model === 'string' ? { model: options.model } : {};
}
