/**
 * The one place a REPL's calls to the host are served on a Bridge, whichever realm serves them:
 * the REPL process serves its engine's calls (the isolate's, Pyodide's worker's), and the run's
 * process serves the REPL process's. Each realm reads a call from its own edge (a callback out
 * of the isolate, a message from the worker, a frame on the wire) into a `HostCallRequest`; this
 * file checks it, routes it to the Bridge, and answers it, within the cell that made it.
 *
 * Calls belong to the cell that runs: one made while no cell runs is refused, and those a cell
 * leaves behind are aborted when it ends, and never answered, since the caller has ended them
 * on its own side already.
 */
import { cutError, MAX_SCHEMA_JSON_CHARS, MAX_VALUE_JSON_CHARS } from '../limits.ts';
import type { Bridge, ChildOptions, JsonValue } from '../sandbox.ts';

/** A call model code made, as a realm's edge read it; checked again here, since model code shaped it. */
export type HostCallRequest =
  | { name: 'llm_query'; prompt: string; options: { model?: string } }
  | { name: 'rlm_query'; prompt: string; context: JsonValue | undefined; options: ChildOptions }
  | { name: 'tool'; tool: string; args: unknown[] };

/** How a call is answered: text for a sub-call, JSON text for a tool; an error's message when not ok. */
export type HostCallAnswer = (ok: boolean, payload: string) => void;

/** Why a call made while no cell runs is refused. */
export const NO_CELL_RUNNING = 'host calls are made only while a cell runs';

export class HostCalls {
  readonly #bridge: Bridge;
  readonly #tools: readonly string[];
  /** The running cell's calls not yet answered, by the caller's id. */
  readonly #open = new Map<number, AbortController>();
  #cellRunning = false;
  #disposed = false;

  constructor(bridge: Bridge, tools: readonly string[]) {
    this.#bridge = bridge;
    this.#tools = tools;
  }

  /** A cell starts: its calls are served until `endCell`. */
  startCell(): void {
    if (!this.#disposed) this.#cellRunning = true;
  }

  get cellRunning(): boolean {
    return this.#cellRunning;
  }

  /** Calls of the running cell not yet answered. */
  get pending(): number {
    return this.#open.size;
  }

  /** Whether a call under `id` is being served. */
  has(id: number): boolean {
    return this.#open.has(id);
  }

  /**
   * Serves one call and answers it with its outcome, unless it was cancelled or its cell ended
   * first. Refused at once, with a reason, while no cell runs.
   */
  serve(id: number, request: HostCallRequest, answer: HostCallAnswer): void {
    if (!this.#cellRunning) return answer(false, NO_CELL_RUNNING);
    const controller = new AbortController();
    this.#open.set(id, controller);
    const settle = (ok: boolean, payload: string) => {
      // A call ended early (cancelled, or with its cell) was answered by whoever ended it.
      if (this.#open.get(id) !== controller) return;
      this.#open.delete(id);
      answer(ok, payload);
    };
    this.#route(request, controller.signal).then(
      // String(): a bridge written in plain JavaScript may return anything; only text crosses.
      (payload) => settle(true, String(payload)),
      (error: unknown) => settle(false, cutError(error instanceof Error ? error.message : String(error))),
    );
  }

  /** The caller gave up one call (its promise was abandoned): abort it, and answer nothing. */
  cancel(id: number, reason: Error): void {
    const controller = this.#open.get(id);
    this.#open.delete(id);
    controller?.abort(reason);
  }

  /**
   * The cell ended: later calls are refused, and those still running are aborted with `reason`
   * (made only when there is one: an error's stack costs more than a trivial cell's other work).
   * Returns how many were still running.
   */
  endCell(reason: () => Error): number {
    this.#cellRunning = false;
    const open = this.#open.size;
    if (open === 0) return 0;
    const error = reason();
    const controllers = [...this.#open.values()];
    this.#open.clear();
    for (const controller of controllers) controller.abort(error);
    return open;
  }

  /** Ends every call, whichever cell made it, and refuses any later one. */
  dispose(reason: Error): void {
    this.#disposed = true;
    this.endCell(() => reason);
  }

  /** The answer to a call that needs no waiting (`budget`, `history`), as JSON text. */
  sync(name: string): string {
    if (name === 'budget') return JSON.stringify(this.#bridge.budget() ?? null);
    if (name === 'history') return JSON.stringify(this.#bridge.history?.() ?? []);
    return 'null';
  }

  async #route(request: HostCallRequest, signal: AbortSignal): Promise<string> {
    // Model code shaped the request, whatever the edge that read it: check every field used.
    const call = request as Partial<Record<string, unknown>>;
    const given = call.options as { model?: unknown; schema?: unknown } | null | undefined;
    const options = typeof given?.model === 'string' ? { model: given.model } : {};
    if ((call.name === 'llm_query' || call.name === 'rlm_query') && typeof call.prompt !== 'string') {
      throw new Error(`malformed host call: the prompt of ${call.name} is not text`);
    }
    if (call.name === 'llm_query') return this.#bridge.llm_query(call.prompt as string, options, signal);
    // The context was parsed from JSON text where it crossed, within the value bounds: JSON data.
    if (call.name === 'rlm_query') {
      const schema = schemaOption(given?.schema);
      const context = (call.context ?? undefined) as JsonValue | undefined;
      return this.#bridge.rlm_query(call.prompt as string, context, schema === undefined ? options : { ...options, schema }, signal);
    }
    if (call.name === 'tool' && typeof call.tool === 'string') return this.#runTool(call.tool, call.args, signal);
    throw new Error(`malformed host call${typeof call.name === 'string' ? `: no function ${call.name.slice(0, 100)}` : ''}`);
  }

  async #runTool(name: string, args: unknown, signal: AbortSignal): Promise<string> {
    const tool = this.#bridge.tool;
    if (!tool || !this.#tools.includes(name)) throw new Error(`malformed host call: no tool named ${name.slice(0, 100)}`);
    if (!Array.isArray(args)) throw new Error(`malformed host call: the arguments of ${name} are not a list`);
    // Only JSON data crosses back, as text; what JSON cannot carry is dropped, as it would be anyway.
    const json = JSON.stringify((await tool(name, args, signal)) ?? null) ?? 'null';
    if (json.length > MAX_VALUE_JSON_CHARS) {
      throw new Error(
        `the result of ${name} is too large (${json.length.toLocaleString('en-US')} characters of JSON, at most ${MAX_VALUE_JSON_CHARS.toLocaleString('en-US')})`,
      );
    }
    return json;
  }
}

/** A child's JSON Schema as model code gave it (none for `null`), refused past its bound. */
function schemaOption(schema: unknown): JsonValue | undefined {
  if (schema === undefined || schema === null) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(schema);
  } catch {
    json = undefined;
  }
  if (json === undefined) throw new Error('malformed host call: the schema of rlm_query is not JSON data');
  if (json.length > MAX_SCHEMA_JSON_CHARS) {
    throw new Error(
      `rlm_query: the schema is too large: ${json.length.toLocaleString('en-US')} characters of JSON (at most ${MAX_SCHEMA_JSON_CHARS.toLocaleString('en-US')})`,
    );
  }
  // Parsed from JSON text where it crossed, so it is JSON data.
  return schema as JsonValue;
}
