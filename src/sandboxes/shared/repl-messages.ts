/**
 * Shared (shared/): read by the run's process and by the REPL process alike, so files here hold
 * only types, bounds and pure functions, and import nothing from a realm's folder.
 *
 * Messages between a sandbox (in the run's process) and its REPL process, whatever the language.
 * They travel as frames (frames.ts). Values made by model code (a child's context, a tool's
 * arguments and result) cross as JSON text, never as object graphs, and what the REPL process
 * sends is checked here, field by field, before the run's process acts on it: the REPL process
 * runs model code and may have been breached.
 */
import {
  cutError,
  MAX_ANSWER_CHARS,
  MAX_ERROR_CHARS,
  MAX_PROMPT_CHARS,
  MAX_SCHEMA_JSON_CHARS,
  MAX_VALUE_DEPTH,
  MAX_VALUE_JSON_CHARS,
} from '../limits.ts';
import type { ContextFile } from './context-file.ts';
import type { Frame, FrameLimits } from './frames.ts';
import { cutOutput, type CellResult, type SandboxSettings } from '../sandbox.ts';

export type ToRepl =
  /** `contexts`: every context, in order (`context_0` first), each in a file of the REPL's folder. */
  | { type: 'init'; contexts: ContextFile[]; settings: SandboxSettings }
  | { type: 'run'; runId: number; code: string; timeoutMs: number; budget: unknown; history: { from: number; messages: unknown[] } }
  | { type: 'cancel'; runId: number }
  /** The answer to a call: text for a sub-call, JSON text for a tool, a message when not ok. */
  | { type: 'deliver'; callId: number; ok: boolean; payload: string; budget: unknown }
  | { type: 'variable'; requestId: number; name: string }
  /** Another context, in a file of the REPL's folder, to load between cells as the next `context_<n>`. */
  | { type: 'add-context'; requestId: number; context: ContextFile };

export type VariableAnswer = { found: true; value: string } | { found: false; names: string[] };

export type FromRepl =
  | { type: 'ready' }
  /** The engine has booted, before any context (a warm start); Python sends its boot snapshot with it. */
  | { type: 'warm'; bootMs: number; snapshot?: Uint8Array }
  | { type: 'init-error'; message: string }
  | { type: 'result'; runId: number; result: CellResult }
  | { type: 'run-error'; runId: number; message: string; cancelled: boolean }
  /** `context`: the child's context as JSON text, or null for none; `schema`: the child's JSON Schema as JSON text, or null. */
  | {
      type: 'call';
      callId: number;
      name: 'llm_query' | 'rlm_query';
      prompt: string;
      options: { model?: string };
      context: string | null;
      schema: string | null;
    }
  /** `args`: the arguments as JSON text of an array. */
  | { type: 'tool-call'; callId: number; tool: string; args: string }
  | { type: 'call-cancel'; callId: number; reason: string }
  | { type: 'variable-result'; requestId: number; value: VariableAnswer }
  | { type: 'context-added'; requestId: number }
  | { type: 'context-error'; requestId: number; message: string };

/** The field of a message that travels as the frame's bytes rather than in its header. */
const BYTES_FIELD: Partial<Record<string, 'context' | 'args' | 'snapshot'>> = { call: 'context', 'tool-call': 'args', warm: 'snapshot' };

/** How a message from the REPL process is framed. */
export function fromReplFrame(message: FromRepl): { header: unknown; payload?: Uint8Array } {
  const field = BYTES_FIELD[message.type];
  const value = field ? (message as Record<string, unknown>)[field] : undefined;
  if (value === undefined || value === null) return { header: message };
  const header: Record<string, unknown> = { ...message };
  delete header[field!];
  return { header, payload: typeof value === 'string' ? Buffer.from(value, 'utf8') : (value as Uint8Array) };
}

/**
 * What the run's process accepts from a REPL process in one frame. A message header is mostly a
 * cell's result (output, answer, error) or a prompt; JSON may spell a character in up to 6 bytes.
 */
export function fromReplLimits(maxOutputChars: number): FrameLimits {
  const chars = Math.max(MAX_PROMPT_CHARS, maxOutputChars + MAX_ANSWER_CHARS + 2 * MAX_ERROR_CHARS + NOTE_CHARS);
  // A value's JSON text escapes every character it must, so each is at most 3 bytes of UTF-8;
  // Python's boot snapshot (30 MiB) fits too.
  return { maxHeaderBytes: 6 * chars + 64 * 1024, maxPayloadBytes: Math.max(3 * MAX_VALUE_JSON_CHARS, MAX_SNAPSHOT_BYTES) };
}

/** Python's boot snapshot is 30 MiB; room for it to grow. */
const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;

/** Room for the notes a cut text carries. */
export const NOTE_CHARS = 1_000;

/** The limits of the REPL process on what the run's process sends it (the conversation can be long). */
export const TO_REPL_LIMITS: FrameLimits = { maxHeaderBytes: 2 ** 31, maxPayloadBytes: 0 };

/** A message the REPL process must not send: it is broken or hostile. */
export class ProtocolViolation extends Error {}

/** Checks a frame from the REPL process and returns the message it holds, or throws ProtocolViolation. */
export function readFromRepl(frame: Frame): FromRepl {
  const m = frame.header;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new ProtocolViolation('a message that is not an object');
  const h = m as Record<string, unknown>;
  const field = BYTES_FIELD[String(h.type)];
  if (frame.payload.length && !field) throw new ProtocolViolation(`bytes attached to a '${String(h.type)}' message`);
  const text = (name: string, max: number): string => {
    const value = h[name];
    if (typeof value !== 'string') throw new ProtocolViolation(`'${String(h.type)}' without a text ${name}`);
    if (value.length > max)
      throw new ProtocolViolation(`'${String(h.type)}' with a ${name} of ${value.length} characters (at most ${max})`);
    return value;
  };
  const id = (name: string): number => {
    const value = h[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      throw new ProtocolViolation(`'${String(h.type)}' without an integer ${name}`);
    return value;
  };
  const flag = (name: string): boolean => {
    if (typeof h[name] !== 'boolean') throw new ProtocolViolation(`'${String(h.type)}' without a boolean ${name}`);
    return h[name];
  };
  const json = (name: string): string | null => {
    if (!frame.payload.length) return null;
    const value = frame.payload.toString('utf8');
    if (value.length > MAX_VALUE_JSON_CHARS)
      throw new ProtocolViolation(`a ${name} of ${value.length} characters of JSON (at most ${MAX_VALUE_JSON_CHARS})`);
    const depth = jsonDepth(value);
    if (depth > MAX_VALUE_DEPTH) throw new ProtocolViolation(`a ${name} nested ${depth} deep (at most ${MAX_VALUE_DEPTH})`);
    // Parsed where it is used (V8's JSON.parse does not recurse, so no text can overflow its stack).
    return value;
  };
  switch (h.type) {
    case 'ready':
      return { type: 'ready' };
    case 'warm': {
      if (typeof h.bootMs !== 'number' || !Number.isFinite(h.bootMs)) throw new ProtocolViolation("'warm' without a number bootMs");
      const snapshot = frame.payload.length
        ? new Uint8Array(frame.payload.buffer, frame.payload.byteOffset, frame.payload.byteLength)
        : undefined;
      return { type: 'warm', bootMs: h.bootMs, ...(snapshot ? { snapshot } : {}) };
    }
    case 'init-error':
      return { type: 'init-error', message: text('message', MAX_ERROR_CHARS + NOTE_CHARS) };
    case 'result':
      return { type: 'result', runId: id('runId'), result: cellResult(h.result) };
    case 'run-error':
      return {
        type: 'run-error',
        runId: id('runId'),
        message: text('message', MAX_ERROR_CHARS + NOTE_CHARS),
        cancelled: flag('cancelled'),
      };
    case 'call': {
      const name: 'llm_query' | 'rlm_query' | undefined = h.name === 'llm_query' || h.name === 'rlm_query' ? h.name : undefined;
      if (name === undefined) throw new ProtocolViolation("'call' to an unknown function");
      const options = h.options;
      if (typeof options !== 'object' || options === null) throw new ProtocolViolation("'call' without options");
      const model = (options as { model?: unknown }).model;
      if (model !== undefined && (typeof model !== 'string' || model.length > 1_000))
        throw new ProtocolViolation("'call' with a model that is not a short text");
      const context = json('context');
      if (context !== null && name !== 'rlm_query') throw new ProtocolViolation('an llm_query with a context');
      const schema = h.schema === undefined || h.schema === null ? null : text('schema', MAX_SCHEMA_JSON_CHARS);
      if (schema !== null && name !== 'rlm_query') throw new ProtocolViolation('an llm_query with a schema');
      if (schema !== null && jsonDepth(schema) > MAX_VALUE_DEPTH) throw new ProtocolViolation('a schema nested too deeply');
      const call = { type: 'call' as const, callId: id('callId'), name, prompt: text('prompt', MAX_PROMPT_CHARS), context, schema };
      return { ...call, options: model === undefined ? {} : { model } };
    }
    case 'tool-call': {
      const args = json('args');
      if (args === null || !args.startsWith('[')) throw new ProtocolViolation("'tool-call' whose arguments are not a JSON array");
      return { type: 'tool-call', callId: id('callId'), tool: text('tool', 1_000), args };
    }
    case 'call-cancel':
      return { type: 'call-cancel', callId: id('callId'), reason: text('reason', MAX_ERROR_CHARS + NOTE_CHARS) };
    case 'variable-result':
      return { type: 'variable-result', requestId: id('requestId'), value: variableAnswer(h.value) };
    case 'context-added':
      return { type: 'context-added', requestId: id('requestId') };
    case 'context-error':
      return { type: 'context-error', requestId: id('requestId'), message: text('message', MAX_ERROR_CHARS + NOTE_CHARS) };
    default:
      throw new ProtocolViolation(`a message of unknown type '${String(h.type).slice(0, 40)}'`);
  }
}

/** Checks a cell's result for shape only: the sandbox bounds its texts (process-sandbox.ts). */
function cellResult(value: unknown): CellResult {
  if (typeof value !== 'object' || value === null) throw new ProtocolViolation("'result' without a result");
  const r = value as Record<string, unknown>;
  if (typeof r.output !== 'string') throw new ProtocolViolation('a result without output text');
  if (r.error !== undefined && typeof r.error !== 'string') throw new ProtocolViolation('a result whose error is not text');
  if (r.final !== undefined && typeof r.final !== 'string') throw new ProtocolViolation('a result whose answer is not text');
  if (typeof r.restarted !== 'boolean' || typeof r.durationMs !== 'number' || !Number.isFinite(r.durationMs))
    throw new ProtocolViolation('a malformed result');
  const result: CellResult = { output: r.output, restarted: r.restarted, durationMs: r.durationMs };
  if (r.error !== undefined) result.error = r.error;
  if (r.final !== undefined) result.final = r.final;
  return result;
}

function variableAnswer(value: unknown): VariableAnswer {
  const v = value as { found?: unknown; value?: unknown; names?: unknown } | null;
  if (v?.found === true && typeof v.value === 'string' && v.value.length <= MAX_ANSWER_CHARS + NOTE_CHARS)
    return { found: true, value: v.value };
  if (
    v?.found === false &&
    Array.isArray(v.names) &&
    v.names.length <= 100_000 &&
    v.names.every((n) => typeof n === 'string' && n.length <= 1_000)
  ) {
    return { found: false, names: v.names as string[] };
  }
  throw new ProtocolViolation('a malformed variable answer');
}

/** How deeply `json` (valid JSON text) nests arrays and objects, in one pass without recursion. */
export function jsonDepth(json: string): number {
  let depth = 0;
  let most = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) most = Math.max(most, ++depth);
    else if (c === 93 || c === 125) depth--;
  }
  return most;
}

/**
 * A cell's result within the bounds of limits.ts: output cut to its limit with a note, the error
 * cut, an answer too long refused. The REPL process applies it to what it reports, and the run's
 * process again to what it receives, in case a breached REPL process did not.
 */
export function boundedResult(result: CellResult, maxOutputChars: number): CellResult {
  const out: CellResult = { ...result };
  if (out.output.length > maxOutputChars + NOTE_CHARS) out.output = cutOutput(out.output, out.output.length, maxOutputChars);
  if (out.error !== undefined) out.error = cutError(out.error);
  if (out.final !== undefined && out.final.length > MAX_ANSWER_CHARS) {
    const chars = out.final.length;
    delete out.final;
    const refused = `Error: the final answer is too long (${chars.toLocaleString('en-US')} characters, at most ${MAX_ANSWER_CHARS.toLocaleString('en-US')}); answer more briefly`;
    out.error = out.error === undefined ? refused : `${out.error}\n${refused}`;
  }
  return out;
}
