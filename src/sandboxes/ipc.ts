/** Messages between a sandbox (in the run's process) and its REPL process, whatever the language. */
import type { CellResult } from './sandbox.ts';

export interface ReplSettings {
  memoryLimitMb: number;
  maxOutputChars: number;
  cellTimeoutMs: number;
  /** Names of the user's tools, installed as functions in the REPL. */
  tools: string[];
}

/** The REPL's defaults: 1 GiB of heap, 20,000 characters of output a cell, 60 s a cell. */
export function replSettings(given: Partial<ReplSettings>): ReplSettings {
  return {
    memoryLimitMb: given.memoryLimitMb ?? 1024,
    maxOutputChars: given.maxOutputChars ?? 20_000,
    cellTimeoutMs: given.cellTimeoutMs ?? 60_000,
    tools: given.tools ?? [],
  };
}

export type ToRepl =
  | { type: 'init'; contextPath: string; contextKind: 'text' | 'json'; settings: ReplSettings }
  | { type: 'run'; runId: number; code: string; timeoutMs: number; budget: unknown; history: { from: number; messages: unknown[] } }
  | { type: 'cancel'; runId: number }
  /** The answer to a call: text for a sub-call, JSON data for a tool, a message when not ok. */
  | { type: 'deliver'; callId: number; ok: boolean; payload: unknown; budget: unknown }
  | { type: 'variable'; requestId: number; name: string };

export type FromRepl =
  | { type: 'ready' }
  /** The engine has booted, before any context (a warm start); Python sends its boot snapshot with it. */
  | { type: 'warm'; bootMs: number; snapshot?: Uint8Array }
  | { type: 'init-error'; message: string }
  | { type: 'result'; runId: number; result: CellResult }
  | { type: 'run-error'; runId: number; message: string; cancelled: boolean }
  | { type: 'call'; callId: number; name: 'llm_query' | 'rlm_query'; prompt: string; options: { model?: string }; context: unknown }
  | { type: 'tool-call'; callId: number; tool: string; args: unknown[] }
  | { type: 'call-cancel'; callId: number; reason: string }
  | { type: 'variable-result'; requestId: number; value: { found: true; value: string } | { found: false; names: string[] } };
