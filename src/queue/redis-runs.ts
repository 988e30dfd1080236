/**
 * A server's runs when workers run them (`rlm serve --redis`): each run the server takes is
 * written to Redis and put on the shared queue; the server follows its log there, so the run's
 * events reach this server's clients (chat streams, SSE, the web page, MCP progress) live,
 * whichever worker runs it, and go into this server's trace folder as they come, where every
 * view that reads traces finds them. A run another server took is followed from its first event
 * when a client asks for it here. A cancel from any server reaches the worker that holds the run.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { RlmError } from '../errors.ts';
import type { RLMOptions, RunResult } from '../rlm.ts';
import { RunProgress } from '../run-progress.ts';
import { HttpError } from '../server/http-error.ts';
import { ServerBusyError, ServerDrainingError } from '../server/run-manager.ts';
import type { Runs, RunStats } from '../server/runs.ts';
import { resultWithoutRun, ServerRun, type RunRequest, type RunView } from '../server/server-run.ts';
import { CANCEL_CHANNEL, QUEUE_NAME, QUEUE_PREFIX } from './keys.ts';
import { FollowedRun } from './followed-run.ts';
import { LogFollower } from './log-follower.ts';
import { traceHeader } from './log-trace.ts';
import { connectRedis } from './redis-connection.ts';
import { RunRecords, type RunSummary } from './run-records.ts';
import { readStoredRun, storeRun, type StoredRun } from './stored-run.ts';
import { liveWorkers } from './worker-beats.ts';

export interface RedisRunsOptions {
  redisUrl: string;
  /** Where the followed runs' traces are written, as the server's own runs' are. */
  traceDir: string;
  /** Runs waiting in the queue (all servers' together) before a submit is refused with 429. */
  maxQueued: number;
  /** The RLM options a followed run of another server is shown with (its prices, for the progress line). */
  viewOptions: () => Omit<RLMOptions, 'onEvent'>;
  /** Finished runs kept in memory (their traces stay on disk). Default 500. */
  keepFinished?: number;
  log?: (line: string) => void;
}

/** Runs of other servers followed here at once, when asked for; past it, those no client listens to are let go. */
const MAX_ADOPTED = 256;
const ACTIVE_ORIGINS = new Set(['chat', 'mcp']);

/** Connects to Redis (one clear error if it cannot) and returns the runs of a server whose workers run them. */
export async function startRedisRuns(options: RedisRunsOptions): Promise<RedisRuns> {
  mkdirSync(options.traceDir, { recursive: true });
  const commands = await connectRedis(options.redisUrl);
  const reader = await connectRedis(options.redisUrl, { blocking: true });
  const events = await connectRedis(options.redisUrl, { blocking: true });
  return new RedisRuns(options, commands, reader, events);
}

export class RedisRuns implements Runs {
  readonly #options: RedisRunsOptions;
  readonly #records: RunRecords;
  readonly #commands: Redis;
  readonly #events: Redis;
  readonly #queue: Queue;
  readonly #queueEvents: QueueEvents;
  readonly #runs = new Map<string, ServerRun>();
  readonly #follower: LogFollower;
  readonly #adopting = new Map<string, Promise<ServerRun | undefined>>();
  readonly #recentMs: number[] = [];
  readonly #server = `${hostname()}:${process.pid}`;
  #draining = false;

  constructor(options: RedisRunsOptions, commands: Redis, reader: Redis, events: Redis) {
    this.#options = options;
    this.#commands = commands;
    this.#events = events;
    this.#records = new RunRecords(commands);
    this.#queue = new Queue(QUEUE_NAME, { connection: commands, prefix: QUEUE_PREFIX });
    this.#queueEvents = new QueueEvents(QUEUE_NAME, { connection: events, prefix: QUEUE_PREFIX });
    // A run whose workers all died on it (BullMQ gave up on the job) would stay "running" forever: it ends here, as an error.
    this.#queueEvents.on('failed', ({ jobId, failedReason }) => {
      if (!jobId.startsWith('run_')) return;
      const result = resultWithoutRun('error', 'RLM_PROVIDER', `the run failed on its workers: ${failedReason}`);
      void this.#records.finish(jobId, '', result, true).catch(() => {});
    });
    this.#queueEvents.on('error', () => {});
    this.#queue.on('error', () => {});
    this.#follower = new LogFollower(reader, commands);
  }

  async submit(request: RunRequest): Promise<ServerRun> {
    if (this.#draining) throw new ServerDrainingError();
    const stored = storeRun(request);
    const waiting = await this.#unreachableAs503(() => this.#queue.getWaitingCount());
    if (waiting >= this.#options.maxQueued)
      throw new ServerBusyError(
        this.#retryAfterSeconds(waiting),
        `the queue is at its limit of ${this.#options.maxQueued} runs waiting for a worker; retry later`,
      );
    const run = new ServerRun(request);
    await this.#unreachableAs503(async () => {
      await this.#records.create(run.id, stored, this.#server, run.createdAt.getTime());
      try {
        await this.#queue.add('run', { runId: run.id }, { jobId: run.id, removeOnComplete: { age: 3600 }, removeOnFail: { age: 86_400 } });
      } catch (error) {
        // Not queued: the record must not be left waiting for a worker that will never come.
        await this.#records.finish(run.id, '', resultWithoutRun('error', 'RLM_USAGE', 'the run could not be queued'), true).catch(() => {});
        throw error;
      }
    });
    this.#hold(run, stored, { adopted: false, ready: true });
    // Redis holds the context for the workers now: the server keeps what it shows.
    run.forgetContext();
    return run;
  }

  get(id: string): ServerRun | undefined {
    return this.#runs.get(id);
  }

  async find(id: string): Promise<ServerRun | undefined> {
    const held = this.#runs.get(id);
    if (held) return held;
    // Asked for twice at once: both get the run once its log so far has been read.
    let adopting = this.#adopting.get(id);
    if (!adopting) {
      adopting = this.#adopt(id).finally(() => this.#adopting.delete(id));
      this.#adopting.set(id, adopting);
    }
    return adopting;
  }

  /** Follows a run another server took, from the first entry of its log. */
  async #adopt(id: string): Promise<ServerRun | undefined> {
    const record = await this.#records.record(id).catch(() => undefined);
    if (!record) return undefined;
    const stored = readStoredRun(record.request, id);
    const run = new ServerRun(this.#requestOf(stored), { id, createdAt: new Date(Number(record.createdAt)) });
    const followed = this.#hold(run, stored, { adopted: true, ready: false });
    // What the log holds is read now, so the run is answered as it stands, not as queued and empty.
    try {
      for (const row of await this.#records.readRows(id)) if (followed.apply(row.id, row.entry)) break;
      followed.flush();
    } finally {
      this.#follower.ready(followed);
    }
    this.#letGoOfAdopted();
    return run;
  }

  list(): ServerRun[] {
    return [...this.#runs.values()].reverse();
  }

  async others(limit: number): Promise<RunView[]> {
    const ids = (await this.#records.newest(0, limit).catch(() => [] as string[])).filter((id) => !this.#runs.has(id));
    if (ids.length === 0) return [];
    const summaries = await this.#records.summaries(ids).catch(() => []);
    const views: RunView[] = [];
    for (const [index, summary] of summaries.entries()) {
      if (!summary) continue;
      try {
        views.push(viewOfSummary(ids[index]!, summary));
      } catch {
        // a damaged record is left out of the list
      }
    }
    return views;
  }

  tracePath(id: string): string {
    return join(this.#options.traceDir, `${id}.jsonl`);
  }

  get traceDir(): string {
    return this.#options.traceDir;
  }

  get draining(): boolean {
    return this.#draining;
  }

  async stats(): Promise<RunStats> {
    const [counts, workers, endings] = await Promise.all([
      this.#queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
      liveWorkers(this.#commands),
      this.#records.endings(),
    ]);
    const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
    return {
      running: counts.active ?? 0,
      queued: waiting + (counts.delayed ?? 0),
      maxRunning: workers.filter((w) => !w.draining).reduce((sum, w) => sum + w.concurrency, 0),
      maxQueued: this.#options.maxQueued,
      draining: this.#draining,
      queue: { waiting, active: counts.active ?? 0, delayed: counts.delayed ?? 0, failed: counts.failed ?? 0 },
      endings,
      workers: workers.map(({ id, label, concurrency, running, draining, finished, failed }) => ({
        id,
        label,
        concurrency,
        running,
        draining,
        finished,
        failed,
      })),
    };
  }

  /**
   * Takes no new runs. The runs of clients connected here (chat streams, MCP asks) get `graceMs`
   * to finish, then are cancelled; jobs (`POST /v1/runs`) go on on the workers, for any server to show.
   */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    const mine = this.#follower
      .runs()
      .map((f) => f.run)
      .filter((run) => ACTIVE_ORIGINS.has(run.request.origin) && !run.result);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(mine.map((run) => run.finished)), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const run of mine) run.cancel('the server is shutting down');
    await Promise.race([Promise.all(mine.map((run) => run.finished)), new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
    await this.#follower.close();
    await Promise.all([this.#queueEvents.close(), this.#queue.close()].map((p) => p.catch(() => {})));
    // BullMQ leaves connections it was given open.
    this.#events.disconnect();
    this.#commands.disconnect();
  }

  /** Holds `run` here and follows its log; a cancel of it is sent to Redis. */
  #hold(run: ServerRun, stored: StoredRun, options: { adopted: boolean; ready: boolean }): FollowedRun {
    this.#runs.set(run.id, run);
    this.#forgetOldRuns();
    const followed = new FollowedRun(run, traceHeader(stored, run.createdAt.getTime()), this.tracePath(run.id), options);
    this.#follower.add(followed);
    run.signal.addEventListener('abort', () => void this.#cancel(run.id, reasonOf(run.signal.reason)), { once: true });
    void run.finished.then(() => {
      if (run.startedAt && run.endedAt) {
        this.#recentMs.push(run.endedAt.getTime() - run.startedAt.getTime());
        if (this.#recentMs.length > 20) this.#recentMs.shift();
      }
    });
    return followed;
  }

  /**
   * Runs of other servers asked for here are followed while they go on; past {@link MAX_ADOPTED},
   * the oldest that no client listens to is let go (asked for again, it is read again from Redis).
   */
  #letGoOfAdopted(): void {
    const adopted = this.#follower.runs().filter((f) => f.adopted && !f.run.result);
    for (const followed of adopted) {
      if (adopted.length <= MAX_ADOPTED) return;
      if (followed.run.listeners > 0) continue;
      this.#follower.drop(followed.run.id);
      this.#runs.delete(followed.run.id);
      adopted.splice(adopted.indexOf(followed), 1);
    }
  }

  async #cancel(id: string, reason: string): Promise<void> {
    try {
      const state = await this.#records.cancel(id, reason);
      // Waiting for a worker (never taken, or handed back by one): taken off the queue and ended
      // here. Held by a worker: it is told, and ends it.
      if ((state === 'queued' || state === 'running') && (await this.#queue.remove(id)) === 1)
        await this.#records.finish(id, '', resultWithoutRun('cancelled', 'RLM_CANCELLED', reason), true);
      await this.#commands.publish(CANCEL_CHANNEL, id);
    } catch (error) {
      this.#options.log?.(`could not send the cancel of ${id} to Redis: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #requestOf(stored: StoredRun): RunRequest {
    return { query: stored.query, context: '', options: this.#options.viewOptions(), model: stored.model, origin: stored.origin };
  }

  async #unreachableAs503<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof HttpError || RlmError.isInstance(error)) throw error;
      throw new HttpError(503, 'service_unavailable', 'the run queue (Redis) cannot be reached; retry later', {
        code: 'queue_unreachable',
      });
    }
  }

  #retryAfterSeconds(waiting: number): number {
    const meanMs = this.#recentMs.length === 0 ? 5_000 : this.#recentMs.reduce((a, b) => a + b, 0) / this.#recentMs.length;
    return Math.min(120, Math.max(1, Math.ceil((meanMs * (waiting / 8 + 1)) / 1000)));
  }

  #forgetOldRuns(): void {
    const keep = this.#options.keepFinished ?? 500;
    let finished = 0;
    for (const run of [...this.#runs.values()].reverse()) {
      if (!run.result) continue;
      if (++finished > keep) this.#runs.delete(run.id);
    }
  }
}

/** A run of another server as the runs list shows it, from its record. */
function viewOfSummary(id: string, record: RunSummary): RunView {
  const result = record.result ? (JSON.parse(record.result) as RunResult) : undefined;
  const progress = new RunProgress();
  return {
    id,
    model: record.model,
    origin: record.origin as RunView['origin'],
    query: record.query,
    state: record.state as RunView['state'],
    createdAt: new Date(Number(record.createdAt)).toISOString(),
    ...(record.startedAt ? { startedAt: new Date(Number(record.startedAt)).toISOString() } : {}),
    ...(record.endedAt ? { endedAt: new Date(Number(record.endedAt)).toISOString() } : {}),
    progress: progress.snapshot(),
    progressLine: '',
    events: 0,
    ...(result?.answer !== undefined ? { answer: result.answer } : {}),
    ...(result?.value !== undefined ? { value: result.value } : {}),
    ...(result?.error ? { error: result.error } : {}),
    ...(result ? { usage: result.usage } : {}),
  };
}

function reasonOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : 'cancelled';
}
