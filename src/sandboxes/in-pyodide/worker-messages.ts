/** Messages between the Python REPL process's main thread and its Pyodide worker. */
import type { MessagePort } from 'node:worker_threads';
import type { ContextFile } from '../shared/context-file.ts';

export interface WorkerInput {
  /** Pyodide's interrupt buffer: the main thread writes 2 (SIGINT) to stop a cell. */
  interrupt: SharedArrayBuffer;
  /** A counter the main thread bumps after each answer and after an interrupt, to wake the waiting worker. */
  wake: SharedArrayBuffer;
  /** What the worker is waiting on in the device: 1 while Python sleeps (time.sleep), else 0. */
  activity: SharedArrayBuffer;
  /** Where answers to host calls arrive, read synchronously while Python blocks. */
  answers: MessagePort;
  /** A memory snapshot of a freshly booted interpreter, to boot from. */
  snapshot?: Uint8Array;
  /** Whether to make such a snapshot after booting (and send it back with `booted`). */
  makeSnapshot?: boolean;
}

/** One host call as runtime.py writes it (read into a shared HostCallRequest by pyodide-repl.ts). */
export type WorkerCall =
  | { name: 'llm_query'; prompt: string; model?: string | null }
  | { name: 'rlm_query'; prompt: string; model?: string | null; context?: unknown; schema?: unknown }
  | { name: 'tool'; tool: string; args: unknown[] };

/** The bounds runtime.py holds model code to (limits.ts), in its own words. */
export interface WorkerLimits {
  max_error_chars: number;
  max_answer_chars: number;
  max_prompt_chars: number;
  max_value_json_chars: number;
  max_schema_json_chars: number;
  /** Calls the worker lets cross at once; the rest wait in Python's heap. */
  max_calls_in_flight: number;
  /** Calls of one batch that may wait beyond those in flight; past it a call fails at once. */
  max_calls_waiting: number;
}

export type ToWorker =
  | {
      type: 'load';
      /** Every context, in order: the first is `context_0`. */
      contextFiles: ContextFile[];
      memoryLimitMb: number;
      maxOutputChars: number;
      tools: string[];
      limits: WorkerLimits;
      /** A final answer that is data is sent as JSON (a run with a schema). */
      answersAsJson: boolean;
    }
  | { type: 'run'; code: string; historyFrom: number; history: unknown[]; budget: unknown }
  | { type: 'variable'; name: string }
  /** Another context, loaded between cells as the next `context_<n>`. */
  | { type: 'add-context'; contextFile: ContextFile };

export type FromWorker =
  | { type: 'booted'; bootMs: number; snapshot?: Uint8Array }
  | { type: 'loaded' }
  /** The context was added as `context_<index>`. */
  | { type: 'context-added'; index: number }
  | { type: 'load-error'; message: string }
  | { type: 'result'; outcome: string }
  | { type: 'variable-result'; answer: string }
  /** Calls to start, each under an id of this worker's. */
  | { type: 'calls'; calls: Array<{ id: number; call: WorkerCall }> }
  | { type: 'fatal'; message: string };

/** On the answers port: a call's outcome (text, or JSON text for a tool), or a budget update. */
export type HostAnswer = { type: 'answer'; id: number; ok: boolean; value: string; budget: unknown } | { type: 'budget'; budget: unknown };
