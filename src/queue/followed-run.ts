/**
 * A run a server follows in Redis: its log read on from where it was, each entry applied to the
 * server's own view of the run (its events for live clients, its progress, its end) and added to
 * the server's trace file of it. The trace is appended to a batch at a time, and no file is held
 * open between batches: a server may follow many runs.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { RunResult } from '../rlm.ts';
import type { ServerRun } from '../server/server-run.ts';
import type { TraceHeader, TraceLine } from '../trace/jsonl.ts';
import { traceLinesOf } from './log-trace.ts';
import type { LogEntry } from './run-records.ts';

export class FollowedRun {
  readonly run: ServerRun;
  /** Made elsewhere (another server's run, asked for here), rather than submitted to this server. */
  readonly adopted: boolean;
  /** The stream id of the last entry applied. */
  lastId = '0-0';
  /** False while the log's entries so far are read in one go, before the follower reads on. */
  ready: boolean;
  #events = 0;
  #tracePath: string | undefined;
  #pending: string[] = [];

  constructor(run: ServerRun, header: TraceHeader, tracePath: string, options: { adopted: boolean; ready: boolean }) {
    this.run = run;
    this.adopted = options.adopted;
    this.ready = options.ready;
    try {
      writeFileSync(tracePath, `${JSON.stringify(header)}\n`);
      this.#tracePath = tracePath;
    } catch {
      // The trace folder failing loses this server's copy only: the run and its log are in Redis.
      this.#tracePath = undefined;
    }
  }

  /** Applies one entry of the log; true when it ended the run. */
  apply(streamId: string, entry: LogEntry): boolean {
    this.lastId = streamId;
    for (const line of traceLinesOf(entry, this.#events)) this.#trace(line);
    if (entry.k === 'claim') {
      if (entry.attempt > 1 && this.#events > 0) this.run.attemptStarted();
      this.run.markStarted(new Date(entry.at));
      return false;
    }
    if (entry.k === 'event') {
      this.#events++;
      const { t: _t, ...event } = entry.e;
      this.run.push(event);
      return false;
    }
    this.end(entry.result, new Date(entry.at));
    return true;
  }

  /** Ends the run here (its end read from the log, or the run lost from Redis). */
  end(result: RunResult, at = new Date()): void {
    this.flush();
    this.run.end(result, at);
  }

  /** Writes the trace lines applied since the last flush. */
  flush(): void {
    if (this.#pending.length === 0 || this.#tracePath === undefined) return;
    const text = this.#pending.join('');
    this.#pending = [];
    try {
      appendFileSync(this.#tracePath, text);
    } catch {
      this.#tracePath = undefined;
    }
  }

  #trace(line: TraceLine): void {
    if (this.#tracePath !== undefined) this.#pending.push(`${JSON.stringify(line)}\n`);
  }
}
