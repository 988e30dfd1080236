/**
 * A worker: takes runs (and bench instances) from the shared queue, up to `concurrency` at once,
 * and runs them. BullMQ holds each job under a lock the worker renews; a worker that dies stops
 * renewing, and within `lockMs` another worker's check finds the job stalled and takes it up,
 * resuming the run from its log. A worker that learns it lost a lock stops that run at once.
 * Cancels reach it on a channel, and at each event it writes. It announces itself every few
 * seconds (what it runs), which is what `GET /v1/health` shows. Closing drains: no new jobs; the
 * running ones are given `graceMs` to finish, then handed back to the queue for another worker.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Worker, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { CancelledError, RlmError } from '../errors.ts';
import { connectRedis } from './redis-connection.ts';
import { CANCEL_CHANNEL, QUEUE_NAME, QUEUE_PREFIX, WORKERS, workerKey } from './keys.ts';
import { RunRecords } from './run-records.ts';
import { HandBack, runJob, type RunJobContext } from './run-job.ts';
import { resultWithoutRun } from '../server/server-run.ts';

/** A job other than a run, handled by a package (`bench`: an instance of rlm-bench). */
export type JobHandler = (data: unknown, signal: AbortSignal) => Promise<unknown>;

export interface QueueWorkerOptions extends Pick<RunJobContext, 'optionsFor' | 'corpusOf'> {
  redisUrl: string;
  /** Jobs at once (each run holds a REPL process). */
  concurrency: number;
  /** How long a job's lock lasts unrenewed: how soon a dead worker's runs are taken over. Default 30 s. */
  lockMs?: number;
  /** Handlers of other kinds of job, loaded when first needed. */
  handlers?: Record<string, () => Promise<JobHandler>>;
  log?: (line: string) => void;
}

/** What a worker says of itself in its heartbeat. */
export interface WorkerBeat {
  id: string;
  label: string;
  concurrency: number;
  /** The runs (and jobs) it holds now. */
  running: string[];
  draining: boolean;
  startedAt: string;
  /** Jobs it ended, and of those how many without an answer or failed. */
  finished: number;
  failed: number;
}

export interface QueueWorker {
  readonly id: string;
  /** Stops taking jobs; the running ones get `graceMs`, then are handed back. Resolves when none is left. */
  close(graceMs: number): Promise<void>;
  /** Hands every running job back now. */
  handBackNow(): void;
}

const BEAT_MS = 5_000;

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const log = options.log ?? (() => {});
  const lockMs = options.lockMs ?? 30_000;
  const id = randomBytes(6).toString('hex');
  const label = `${hostname()}:${process.pid}`;
  const commands = await connectRedis(options.redisUrl);
  const blocking = await connectRedis(options.redisUrl, { blocking: true });
  const subscriber = commands.duplicate();
  const records = new RunRecords(commands);
  /** The jobs held now, by job id: what stops each. */
  const held = new Map<string, { stop: AbortController; runId: string | undefined }>();
  const stats = { finished: 0, failed: 0 };
  let draining = false;
  const startedAt = new Date().toISOString();

  const handlers = new Map<string, Promise<JobHandler>>();
  const handlerFor = (name: string) => {
    const load = options.handlers?.[name];
    if (!load) return undefined;
    let handler = handlers.get(name);
    if (!handler) handlers.set(name, (handler = load()));
    return handler;
  };

  const processJob = async (job: Job, token?: string): Promise<unknown> => {
    const stop = new AbortController();
    const runId = job.name === 'run' ? (job.data as { runId?: string }).runId : undefined;
    held.set(job.id!, { stop, runId });
    try {
      if (job.name === 'run') {
        if (typeof runId !== 'string') throw new Error('a run job carries its run id');
        const outcome = await runJob(runId, {
          records,
          workerId: id,
          label,
          optionsFor: options.optionsFor,
          corpusOf: options.corpusOf,
          signal: stop.signal,
        });
        if ('letGo' in outcome) return await letGo(job, token, outcome.letGo);
        stats.finished++;
        if (outcome.result.answer === undefined) stats.failed++;
        log(`${runId}: ${outcome.result.status}${outcome.result.error ? ` (${outcome.result.error.message})` : ''}`);
        return { status: outcome.result.status };
      }
      const handler = handlerFor(job.name);
      if (!handler) throw new RlmError('RLM_USAGE', `this worker cannot run jobs of kind "${job.name}"`);
      const value = await (await handler)(job.data, stop.signal);
      if (stop.signal.reason instanceof HandBack) return await letGo(job, token, stop.signal.reason.message);
      stats.finished++;
      return value;
    } catch (error) {
      if (error instanceof WaitingError) throw error;
      stats.failed++;
      // The queue keeps a failure's message only: its code travels in it, for RemoteJobs to give back.
      if (RlmError.isInstance(error)) throw new Error(`[${error.code}] ${error.message}`);
      throw error;
    } finally {
      held.delete(job.id!);
      // What GET /v1/health shows is up to date as each job ends, not only at the next beat.
      void beat();
    }
  };

  /** Puts the job back in the queue for another worker (it resumes a run from its log). */
  const letGo = async (job: Job, token: string | undefined, why: string): Promise<never> => {
    log(`${job.id}: let go (${why})`);
    // A lost lock cannot move the job: BullMQ's check will find it stalled and give it to another worker.
    await job.moveToWait(token).catch(() => {});
    throw new WaitingError();
  };

  const worker = new Worker(QUEUE_NAME, processJob, {
    connection: blocking,
    prefix: QUEUE_PREFIX,
    concurrency: options.concurrency,
    lockDuration: lockMs,
    stalledInterval: Math.max(1_000, Math.round(lockMs / 2)),
    // A run whose workers keep dying (three times) is failed, not tried forever.
    maxStalledCount: 3,
    autorun: false,
  });
  worker.on('error', (error) => log(`queue: ${error.message}`));
  // A run job the queue gave up on (it failed here, or its workers kept dying and this worker's
  // check found it so) would stay "running" in its record for good: it ends there, as an error.
  // The servers do the same when they hear of it; whichever comes first ends it, once.
  worker.on('failed', (job, error) => {
    const runId = job?.name === 'run' ? (job.data as { runId?: unknown }).runId : undefined;
    if (typeof runId !== 'string') return;
    const result = resultWithoutRun('error', 'RLM_PROVIDER', `the run failed on its workers: ${error.message}`);
    void records.finish(runId, '', result, true).catch(() => {});
  });
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) held.get(jobId)?.stop.abort(new HandBack('its lock was lost, and another worker may take it'));
  });

  // Cancels, told on a channel: the run is stopped at once, with the reason its record holds.
  subscriber.on('message', (_channel, jobId: string) => void cancelHeld(jobId));
  await subscriber.subscribe(CANCEL_CHANNEL);
  const cancelHeld = async (jobId: string) => {
    const entry = held.get(jobId);
    if (!entry) return;
    const reason = entry.runId ? ((await records.cancelReason(entry.runId).catch(() => undefined)) ?? 'cancelled') : 'cancelled';
    entry.stop.abort(new CancelledError(reason));
  };

  const beat = async () => {
    const state: WorkerBeat = { id, label, concurrency: options.concurrency, running: [...held.keys()], draining, startedAt, ...stats };
    await commands
      .multi()
      .set(workerKey(id), JSON.stringify(state), 'PX', BEAT_MS * 3)
      .sadd(WORKERS, id)
      .exec()
      .catch(() => {});
    // A cancel told while this worker was away from Redis is found here.
    for (const [jobId, entry] of held)
      if (entry.runId && (await records.cancelReason(entry.runId).catch(() => undefined)) !== undefined) void cancelHeld(jobId);
  };
  await beat();
  const beating = setInterval(() => void beat(), BEAT_MS);
  void worker.run();
  log(`worker ${id} (${label}) takes up to ${options.concurrency} jobs at once`);

  const handBackNow = () => {
    for (const entry of held.values()) entry.stop.abort(new HandBack('the worker is shutting down'));
  };
  let closing: Promise<void> | undefined;
  const close = (graceMs: number) =>
    (closing ??= (async () => {
      draining = true;
      await beat();
      const timer = setTimeout(handBackNow, graceMs);
      await worker.close();
      clearTimeout(timer);
      clearInterval(beating);
      await commands
        .multi()
        .del(workerKey(id))
        .srem(WORKERS, id)
        .exec()
        .catch(() => {});
      await Promise.all([subscriber.quit(), commands.quit(), blocking.quit()].map((p) => p.catch(() => {})));
    })());
  return { id, close, handBackNow };
}

export type { Redis };
