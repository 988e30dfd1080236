/**
 * Runs the server no longer holds in memory — from an earlier process, or forgotten past
 * `keepFinished` — read back from their traces (`<traceDir>/<id>.jsonl`). A listing reads only
 * each trace's first lines and its last one (the root's `run-end`, when the run ended), so a
 * folder of large traces lists quickly; one run asked for by id is read whole.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Budget } from '../budget.ts';
import type { RunResult } from '../rlm.ts';
import type { RunStatus } from '../run-status.ts';
import type { RlmEvent } from '../trace/events.ts';
import { readTrace, type Trace } from '../trace/read-trace.ts';
import { HttpError } from './http-error.ts';
import type { EventLog } from './runs-sse.ts';

const RUN_ID = /^run_[A-Za-z0-9_-]{1,64}$/;

/** Whether `id` is a run id; anything else never reaches the file system (no `../`, no other files). */
export function isRunId(id: string): boolean {
  return RUN_ID.test(id);
}

/** 404 for an id that is not a run's, whatever its form. */
export function runNotFound(id: string): HttpError {
  const shown = isRunId(id) ? id : JSON.stringify(id.slice(0, 80));
  return new HttpError(404, 'not_found_error', `no run ${shown} on this server`, { param: 'id', code: 'run_not_found' });
}

/** A run of an earlier process that ended mid-run has no end in its trace. */
export type PastRunState = RunStatus | 'interrupted';

/** A run read back from its trace, as the runs API lists it. */
export interface PastRunView {
  id: string;
  /** The root model the run used (a trace does not record the name the client picked). */
  rootModel: string | undefined;
  query: string;
  state: PastRunState;
  createdAt: string;
  /** When its trace was last written. */
  endedAt: string;
  answer?: string;
  error?: { code: string; message: string };
  usage?: RunResult['usage'];
  iterations?: number;
  durationMs?: number;
  /** The number of events, when the whole trace was read. */
  events?: number;
  /** Held by this process (its events stream live): never, for a run read back. */
  live: false;
}

/** A trace in the folder, newest first by when it was last written. */
export interface PastRunEntry {
  id: string;
  path: string;
  modifiedMs: number;
}

/** The traces in `dir` named as runs, newest first. */
export async function pastRunEntries(dir: string): Promise<PastRunEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const entries: PastRunEntry[] = [];
  for (const name of names) {
    const id = name.endsWith('.jsonl') ? name.slice(0, -'.jsonl'.length) : '';
    if (!isRunId(id)) continue;
    const path = join(dir, name);
    try {
      const info = await stat(path);
      if (info.isFile()) entries.push({ id, path, modifiedMs: info.mtimeMs });
    } catch {
      // removed since the listing: not a run any more
    }
  }
  return entries.sort((a, b) => b.modifiedMs - a.modifiedMs);
}

type Line = Record<string, unknown> & { type?: unknown };

/** A run from its trace's first two lines and its last one; undefined for a file that is not an rlm trace. */
export async function summarizePastRun(entry: PastRunEntry): Promise<PastRunView | undefined> {
  const { head, last } = await headAndLast(entry.path);
  const [header, start] = head;
  if (header?.type !== 'trace') return undefined;
  const end = last?.type === 'run-end' && last.depth === 0 ? (last as Extract<RlmEvent, { type: 'run-end' }>) : undefined;
  return {
    id: entry.id,
    rootModel: start?.type === 'run-start' && typeof start.model === 'string' ? start.model : undefined,
    query: start?.type === 'run-start' && typeof start.query === 'string' ? start.query : '',
    state: end?.status ?? 'interrupted',
    createdAt: typeof header.createdAt === 'string' ? header.createdAt : new Date(entry.modifiedMs).toISOString(),
    endedAt: new Date(entry.modifiedMs).toISOString(),
    ...(end ? endFields(end, undefined) : { error: INTERRUPTED }),
    live: false,
  };
}

/** A past run read whole: its view, its events for the stream, and the trace for the viewer. */
export interface PastRun {
  view: PastRunView;
  log: EventLog;
  trace: Trace;
}

/** Reads the run `id` from `dir`; 404 when there is no such trace, or it is not one. */
export async function readPastRun(dir: string, id: string): Promise<PastRun> {
  if (!isRunId(id)) throw runNotFound(id);
  const path = join(dir, `${id}.jsonl`);
  let trace: Trace;
  let modifiedMs: number;
  try {
    modifiedMs = (await stat(path)).mtimeMs;
    trace = await readTrace(path);
  } catch {
    throw runNotFound(id);
  }
  const events = trace.events;
  const start = events.find((e) => e.type === 'run-start' && e.depth === 0);
  const end = events.findLast((e) => e.type === 'run-end' && e.depth === 0) as Extract<RlmEvent, { type: 'run-end' }> | undefined;
  const limit = events.findLast((e) => e.type === 'limit') as Extract<RlmEvent, { type: 'limit' }> | undefined;
  const fields = end ? endFields(end, limit?.reason) : { error: INTERRUPTED };
  const view: PastRunView = {
    id,
    rootModel: start?.type === 'run-start' ? start.model : undefined,
    query: start?.type === 'run-start' ? start.query : '',
    state: end?.status ?? 'interrupted',
    createdAt: trace.header.createdAt,
    endedAt: new Date(modifiedMs).toISOString(),
    ...fields,
    events: events.length,
    live: false,
  };
  const result: RunResult = {
    answer: end?.answer,
    status: end?.status ?? 'error',
    usage: end?.usage ?? new Budget().usage(),
    iterations: end?.iterations ?? 0,
    durationMs: end?.durationMs ?? 0,
    ...(fields.error ? { error: fields.error as NonNullable<RunResult['error']> } : {}),
  };
  const log: EventLog = {
    events,
    result,
    listen(listener, afterId) {
      for (let i = Math.max(0, afterId); i < events.length; i++) listener.event(events[i]!, i + 1);
      listener.end(result);
      return () => {};
    },
  };
  return { view, log, trace };
}

const INTERRUPTED = {
  code: 'RLM_INTERRUPTED',
  message: 'the server stopped before this run ended; its trace ends at its last event',
};

/** The error code each way of ending without an answer has; a trace records the status, not the code. */
const CODE_OF: Record<RunStatus, string> = {
  done: 'RLM_NO_ANSWER',
  max_iterations: 'RLM_MAX_ITERATIONS',
  budget: 'RLM_BUDGET_EXCEEDED',
  timeout: 'RLM_BUDGET_EXCEEDED',
  cancelled: 'RLM_CANCELLED',
  error: 'RLM_ERROR',
};

/** What a root `run-end` says; a run without an answer says why, as far as the trace knows. */
function endFields(end: Extract<RlmEvent, { type: 'run-end' }>, limitReason: string | undefined): Partial<PastRunView> {
  const why = limitReason ?? `the run ended with status ${end.status}, without an answer`;
  return {
    ...(end.answer !== undefined ? { answer: end.answer } : { error: { code: CODE_OF[end.status], message: why } }),
    usage: end.usage,
    iterations: end.iterations,
    durationMs: end.durationMs,
  };
}

/** Past this, a first or last line is not looked for further (a trace line is rarely this long). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** The first two lines and the last whole line of a file, parsed; a line that is not JSON is left out. */
async function headAndLast(path: string): Promise<{ head: Line[]; last: Line | undefined }> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const read = async (position: number, length: number): Promise<string> => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead).toString('utf8');
    };
    // The head: grow the read until it holds two whole lines (or the whole file).
    let headText = '';
    for (let length = 16 * 1024; ; length *= 4) {
      headText = await read(0, Math.min(length, size));
      if (headText.split('\n').length > 2 || length >= size || length >= MAX_LINE_BYTES) break;
    }
    const head = headText
      .split('\n')
      .slice(0, 2)
      .map(parse)
      .filter((line): line is Line => line !== undefined);
    // The last line: grow a read from the end until a newline comes before the last line.
    const body = size > 0 && (await read(size - 1, 1)) === '\n' ? size - 1 : size;
    let lastText = '';
    for (let length = 16 * 1024; ; length *= 4) {
      const from = Math.max(0, body - length);
      const tail = await read(from, body - from);
      const cut = tail.lastIndexOf('\n');
      if (cut >= 0 || from === 0 || length >= MAX_LINE_BYTES) {
        lastText = tail.slice(cut + 1);
        break;
      }
    }
    return { head, last: parse(lastText) };
  } finally {
    await file.close();
  }
}

function parse(line: string): Line | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Line) : undefined;
  } catch {
    return undefined;
  }
}
