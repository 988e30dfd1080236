/**
 * What the routes of a server ask of its runs, whoever runs them: this process
 * ({@link RunManager}), or workers through a shared queue (`rlm serve --redis`). Every surface —
 * chat completions, the runs API, the web page, MCP — goes through this one interface.
 */
import type { RunRequest, RunView, ServerRun } from './server-run.ts';

/** How busy the runs are, for `GET /v1/health` and a refused client. */
export interface RunStats {
  running: number;
  queued: number;
  maxRunning: number;
  maxQueued: number;
  draining: boolean;
  /** With a queue: its depth by state, how runs ended, and the workers with what each runs. */
  queue?: { waiting: number; active: number; delayed: number; failed: number };
  endings?: Record<string, number>;
  workers?: Array<{
    id: string;
    label: string;
    concurrency: number;
    running: string[];
    draining: boolean;
    finished: number;
    failed: number;
  }>;
}

export interface Runs {
  /** Takes the run: runs or queues it; throws ServerBusyError (429) or ServerDrainingError (503). */
  submit(request: RunRequest): ServerRun | Promise<ServerRun>;
  /** A run this server holds now. */
  get(id: string): ServerRun | undefined;
  /** A run this server holds, or one it can follow from elsewhere (another server's, through the queue). */
  find(id: string): Promise<ServerRun | undefined>;
  /** The runs held, newest first. */
  list(): ServerRun[];
  /**
   * Runs of other servers, newest first, as views, when a queue is shared (none otherwise): what
   * the runs list shows beside this server's own and its trace folder's.
   */
  others?(limit: number): Promise<RunView[]>;
  tracePath(id: string): string;
  readonly traceDir: string;
  readonly draining: boolean;
  stats(): RunStats | Promise<RunStats>;
  drain(graceMs: number): Promise<void>;
}
