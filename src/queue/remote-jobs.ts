/**
 * Jobs other than runs on the shared queue, for a command that spreads its work over the workers
 * (`rlm bench run --redis`): each job is put on the queue, run by whichever worker takes it, and
 * its result handed back here. Withdrawing one (Ctrl-C) takes it off the queue, or tells the
 * worker that holds it to stop. Loaded only by the commands that use it: no queue, no BullMQ.
 */
import { randomBytes } from 'node:crypto';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { RlmError, type RlmErrorCode } from '../errors.ts';

/**
 * Work put on the queue that `rlm worker` processes take: each job runs on whichever worker is
 * free, and its result comes back here.
 *
 * @example
 * const jobs = await RemoteJobs.connect('redis://127.0.0.1:6379');
 * const outcome = await jobs.run('bench', instance, { signal });
 * await jobs.close();
 */
export class RemoteJobs {
  readonly #commands: Redis;
  readonly #events: Redis;
  readonly #queue: Queue;
  readonly #queueEvents: QueueEvents;

  private constructor(commands: Redis, events: Redis, queue: Queue, queueEvents: QueueEvents) {
    this.#commands = commands;
    this.#events = events;
    this.#queue = queue;
    this.#queueEvents = queueEvents;
  }

  /** Connects to the Redis at `url`; unreachable is one RlmError that says where it looked. */
  static async connect(url: string): Promise<RemoteJobs> {
    const [{ Queue, QueueEvents }, { connectRedis }, keys] = await Promise.all([
      import('bullmq'),
      import('./redis-connection.ts'),
      import('./keys.ts'),
    ]);
    const commands = await connectRedis(url);
    const events = await connectRedis(url, { blocking: true });
    const queue = new Queue(keys.QUEUE_NAME, { connection: commands, prefix: keys.QUEUE_PREFIX });
    const queueEvents = new QueueEvents(keys.QUEUE_NAME, { connection: events, prefix: keys.QUEUE_PREFIX });
    queue.on('error', () => {});
    queueEvents.on('error', () => {});
    await queueEvents.waitUntilReady();
    return new RemoteJobs(commands, events, queue, queueEvents);
  }

  /**
   * Runs a job of `kind` with `data` on a worker and resolves with what it returned. A job the
   * worker failed rejects with an RlmError carrying its reason; an aborted `signal` withdraws the
   * job and rejects with the signal's reason.
   */
  async run<T>(kind: string, data: unknown, options: { signal?: AbortSignal } = {}): Promise<T> {
    const { signal } = options;
    signal?.throwIfAborted();
    const id = `${kind}_${randomBytes(9).toString('base64url')}`;
    // A job's data can be a whole task (tens of MB): gone from Redis a minute after its result is handed back.
    const job = await this.#queue.add(kind, data, { jobId: id, removeOnComplete: { age: 60 }, removeOnFail: { age: 3600 } });
    const finished = job.waitUntilFinished(this.#queueEvents).then(
      (value) => value as T,
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        // "[RLM_USAGE] ..." from the worker: its code kept, so that a caller can tell a job no worker can run.
        const coded = /^\[(RLM_[A-Z_]+)\] ([\s\S]*)$/.exec(reason);
        const code = (coded?.[1] ?? 'RLM_PROVIDER') as RlmErrorCode;
        throw new RlmError(code, `a worker failed the ${kind} job: ${coded?.[2] ?? reason}`);
      },
    );
    if (!signal) return finished;
    return new Promise<T>((resolve, reject) => {
      const withdraw = () => {
        void this.#withdraw(id);
        reject(signal.reason);
      };
      signal.addEventListener('abort', withdraw, { once: true });
      finished.then(resolve, reject).finally(() => signal.removeEventListener('abort', withdraw));
    });
  }

  /** Off the queue if it still waits; else the worker holding it is told to stop. */
  async #withdraw(id: string): Promise<void> {
    const { CANCEL_CHANNEL } = await import('./keys.ts');
    try {
      if ((await this.#queue.remove(id)) === 1) return;
      await this.#commands.publish(CANCEL_CHANNEL, id);
    } catch {
      // Redis gone: the job runs to its end on its worker and its result is dropped.
    }
  }

  /** Closes the connections to Redis. */
  async close(): Promise<void> {
    await Promise.all([this.#queueEvents.close(), this.#queue.close()].map((p) => p.catch(() => {})));
    this.#events.disconnect();
    this.#commands.disconnect();
  }
}
