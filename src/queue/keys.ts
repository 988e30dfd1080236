/**
 * Where the queue keeps things in Redis. Every server and worker sharing one Redis agrees on these
 * names, so they are in one place. The queue itself is BullMQ's (`rlm:runs:*`); beside it, each
 * run's record and its log of events, the runs by age, the workers' heartbeats and the counts of
 * how runs ended.
 */

/** BullMQ's prefix and queue name: its keys are `rlm:runs:*`. */
export const QUEUE_PREFIX = 'rlm';
export const QUEUE_NAME = 'runs';

/** The pub/sub channel on which a cancel reaches the worker that holds the run (or job). */
export const CANCEL_CHANNEL = 'rlm:cancel';

/** A sorted set of run ids by when they were submitted (ms), for the runs list of every server. */
export const RUNS_BY_AGE = 'rlm:runs-by-age';

/** The ids of the workers that have announced themselves (each with a heartbeat key that expires). */
export const WORKERS = 'rlm:workers';

/** How runs ended, counted by status (`done`, `error`, `budget`...). */
export const ENDINGS = 'rlm:endings';

/** A run's record: its request, its state, who holds it, its result. */
export function runKey(id: string): string {
  return `rlm:run:${id}`;
}

/** A run's log: every event of every attempt, in order, with a claim before each attempt and an end after the last. */
export function logKey(id: string): string {
  return `rlm:run:${id}:log`;
}

/** A worker's heartbeat: what it runs now; it expires when the worker stops beating. */
export function workerKey(id: string): string {
  return `rlm:worker:${id}`;
}
