/**
 * A Sandbox runs model-written code, cell after cell, with state kept between cells. It is made
 * with the context (loaded once; more may be added between cells) and a bridge of host
 * functions; it never sees a Model.
 *
 * Shared definitions: this file is read in every realm (the run's process, the REPL process), and
 * holds types and pure functions only.
 */
import { MAX_CALLS_IN_FLIGHT } from './limits.ts';

/** The languages a REPL speaks. */
export type ReplLanguage = 'javascript' | 'python';

/**
 * What model code may pass with a child RLM: the model to run it on, and a JSON Schema (plain
 * JSON data) its answer must match.
 */
export interface ChildOptions {
  model?: string;
  schema?: JsonValue;
}

/** What a sandbox may call on the host. Every call gets a signal that aborts with the cell. */
export interface Bridge {
  llm_query(prompt: string, options: { model?: string }, signal: AbortSignal): Promise<string>;
  /**
   * A child RLM over `context` (the prompt itself when undefined), on `options.model` if given.
   * With `options.schema`, it answers with its checked value as JSON text, which the REPL parses.
   */
  rlm_query(prompt: string, context: JsonValue | undefined, options: ChildOptions, signal: AbortSignal): Promise<string>;
  /** The run's spending and limits, as plain JSON data. */
  budget(): unknown;
  /** Every message of this RLM's conversation so far, compacted ones included (the REPL's `history`). */
  history?(): unknown[];
  /** Runs the user's tool `name`; its result must be JSON data. */
  tool?(name: string, args: unknown[], signal: AbortSignal): Promise<unknown>;
}

/**
 * JSON data: what crosses into a REPL (a context, a child's context, a tool's result). An object
 * property that is `undefined` is left out, as `JSON.stringify` leaves it out.
 */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined };

/**
 * The input, as the REPL's `context`: one text, a list of texts (one per file, say), or any JSON
 * data (records to filter and count). It is loaded into the REPL once, as a copy.
 */
export type ContextValue = string | readonly string[] | JsonValue;

/** What a sandbox is made with, whatever its language. */
export interface SandboxOptions {
  context: ContextValue;
  bridge: Bridge;
  /** Memory cap of the REPL in MiB (default 1024). */
  memoryLimitMb?: number;
  /** Characters of output shown per cell (default 20,000). */
  maxOutputChars?: number;
  /** Default time limit per cell in ms, host calls included (default 60 s). */
  cellTimeoutMs?: number;
  /** Names of the user's tools, served by `bridge.tool`, installed as REPL functions. */
  tools?: string[];
  /** Host calls the REPL may have in flight at once (default MAX_CALLS_IN_FLIGHT); more wait in the REPL. */
  maxCallsInFlight?: number;
  /**
   * A final answer that is data (a dict, a list, a number) is sent as JSON text rather than as
   * Python's `str()` of it: for a run whose answer is checked against a schema. JavaScript
   * always sends data as JSON.
   */
  answersAsJson?: boolean;
}

/**
 * A sandbox's settings with every default applied. They are also what crosses to the REPL
 * process when it is given its context, so they are plain JSON data.
 */
export type SandboxSettings = Required<Omit<SandboxOptions, 'context' | 'bridge'>>;

/** The sandbox defaults: 1 GiB of memory, 20,000 characters of output a cell, 60 s a cell, 32 calls in flight. */
export const SANDBOX_DEFAULTS = Object.freeze({
  memoryLimitMb: 1024,
  maxOutputChars: 20_000,
  cellTimeoutMs: 60_000,
  maxCallsInFlight: MAX_CALLS_IN_FLIGHT,
});

/** A sandbox's settings: what was given, else {@link SANDBOX_DEFAULTS}. */
export function sandboxSettings(given: Partial<SandboxSettings>): SandboxSettings {
  return {
    memoryLimitMb: given.memoryLimitMb ?? SANDBOX_DEFAULTS.memoryLimitMb,
    maxOutputChars: given.maxOutputChars ?? SANDBOX_DEFAULTS.maxOutputChars,
    cellTimeoutMs: given.cellTimeoutMs ?? SANDBOX_DEFAULTS.cellTimeoutMs,
    tools: given.tools ?? [],
    maxCallsInFlight: given.maxCallsInFlight ?? SANDBOX_DEFAULTS.maxCallsInFlight,
    answersAsJson: given.answersAsJson ?? false,
  };
}

/** What running one cell gave. */
export interface CellResult {
  /** What the cell printed (or its last value), already cut to the output limit with a note. */
  output: string;
  /** A short error, if the cell threw, timed out or ran out of memory. */
  error?: string;
  /** The answer, if the cell called FINAL or FINAL_VAR. */
  final?: string;
  /** True when the sandbox had to be rebuilt: variables are gone, every context is loaded again (`context` names the newest). */
  restarted: boolean;
  durationMs: number;
}

/** How one cell runs. */
export interface RunCellOptions {
  /** Its time limit in ms, host calls included (default: the sandbox's `cellTimeoutMs`). */
  timeoutMs?: number;
  /** Aborting it stops the cell and its host calls. */
  signal?: AbortSignal;
}

/**
 * A REPL for model-written code, cell after cell, with state kept between cells: made with the
 * context (loaded once) and a bridge of host functions; it never sees a Model, a key or a file.
 */
export interface Sandbox {
  readonly language: ReplLanguage;
  /** Runs one cell. What the code did (an error, a timeout, running out of memory) is in the result; it rejects only when cancelled. */
  run(code: string, options?: RunCellOptions): Promise<CellResult>;
  /**
   * Loads another context into the live REPL, keeping every variable: it becomes `context_<n>`
   * (n = 1, 2, ...; the first context is `context_0`), and `context` now names it. Resolves with
   * n. Same size limits and the same loading path as the first context (a file in the REPL's
   * context folder, never through model-visible code). Refused while a cell runs.
   *
   * @example
   * const n = await sandbox.addContext('the second document'); // 1: `context_1`, and `context`
   */
  addContext(value: ContextValue): Promise<number>;
  /** A variable's value as answer text, for a FINAL_VAR written outside code. */
  variable(name: string): Promise<{ found: true; value: string } | { found: false; names: string[] }>;
  /** Ends the REPL process; cells still running end as cancelled. */
  dispose(): void;
}

/** The names every sandbox provides, whatever its language. */
export const REPL_NAMES = [
  'context',
  'llm_query',
  'llm_query_batched',
  'rlm_query',
  'rlm_query_batched',
  'FINAL',
  'FINAL_VAR',
  'SHOW_VARS',
  'budget',
  'print',
  'history',
] as const;

/** Cuts output to `max` characters, saying how many were cut. */
export function cutOutput(output: string, totalChars: number, max: number): string {
  const kept = output.length > max ? output.slice(0, max) : output;
  const cut = totalChars - kept.length;
  if (cut <= 0) return kept;
  return `${kept}\n[... ${cut.toLocaleString('en-US')} more characters cut; print less, or slice what you need]`;
}
