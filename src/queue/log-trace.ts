/**
 * A run's log in Redis read as a trace: the header made from its record (the context as the
 * request holds it), then each attempt's events, a claim beginning each attempt. What a worker
 * taking over a run resumes from, and what a server writes to its own trace folder so that every
 * page and view that reads traces reads a queued run's too.
 */
import type { Trace } from '../trace/read-trace.ts';
import { TRACE_VERSION, type TraceHeader, type TraceLine } from '../trace/jsonl.ts';
import type { LogEntry } from './run-records.ts';
import type { StoredRun } from './stored-run.ts';

/** The header of the run's trace. */
export function traceHeader(run: StoredRun, createdAt: number): TraceHeader {
  return { type: 'trace', version: TRACE_VERSION, createdAt: new Date(createdAt).toISOString(), context: run.context };
}

/** The log as a trace, its attempts split at each claim; claims that began no event are left out. */
export function traceOfLog(run: StoredRun, createdAt: number, entries: readonly LogEntry[]): Trace {
  const attempts: Trace['events'][] = [];
  for (const entry of entries) {
    if (entry.k === 'claim') attempts.push([]);
    else if (entry.k === 'event') (attempts.at(-1) ?? (attempts.push([]), attempts[0]!)).push(entry.e);
  }
  const kept = attempts.filter((attempt) => attempt.length > 0);
  if (kept.length === 0) kept.push([]);
  const elapsedMs = kept.reduce((sum, attempt) => sum + (attempt.at(-1)?.t ?? 0), 0);
  return {
    header: traceHeader(run, createdAt),
    events: kept.at(-1)!,
    earlier: kept.slice(0, -1).flat(),
    elapsedMs,
    attempts: kept,
  };
}

/** The trace lines of one log entry, as a JSONL trace file holds them: a later claim is a resume. */
export function traceLinesOf(entry: LogEntry, eventsSoFar: number): TraceLine[] {
  if (entry.k === 'event') return [entry.e];
  if (entry.k === 'claim' && entry.attempt > 1 && eventsSoFar > 0) return [{ type: 'resume', createdAt: new Date(entry.at).toISOString() }];
  return [];
}
