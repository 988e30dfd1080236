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

/**
 * The log as a trace, its attempts split at each claim; claims that began no event are left out.
 * The time the run has taken is the wall time of its attempts: each from its claim to the next
 * claim (a worker that died took at least until its last event, and its run waited until it was
 * taken over), so that a time limit holds over the whole run, whatever was in flight at a death.
 */
export function traceOfLog(run: StoredRun, createdAt: number, entries: readonly LogEntry[]): Trace {
  const attempts: Array<{ at: number | undefined; events: Trace['events'] }> = [];
  for (const entry of entries) {
    if (entry.k === 'claim') attempts.push({ at: entry.at, events: [] });
    else if (entry.k === 'event') (attempts.at(-1) ?? (attempts.push({ at: undefined, events: [] }), attempts[0]!)).events.push(entry.e);
  }
  let elapsedMs = 0;
  for (const [index, attempt] of attempts.entries()) {
    const next = attempts[index + 1]?.at;
    const wall = attempt.at !== undefined && next !== undefined ? next - attempt.at : 0;
    elapsedMs += Math.max(wall, attempt.events.at(-1)?.t ?? 0);
  }
  const kept = attempts.map((attempt) => attempt.events).filter((events) => events.length > 0);
  if (kept.length === 0) kept.push([]);
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
