/**
 * Reads the logs of the runs a server follows, as they grow: one blocking read over all of them
 * at once, each entry handed to its {@link FollowedRun}. Redis away is waited out (the logs are
 * read on from where they were), anything in a log that rlm did not write is passed over, and a
 * run whose record is gone from Redis is ended here, so that no client waits on it for good.
 */
import type { Redis } from 'ioredis';
import { resultWithoutRun } from '../server/server-run.ts';
import type { FollowedRun } from './followed-run.ts';
import { logKey, runKey } from './keys.ts';
import { parseEntry } from './run-records.ts';

/** How often the runs followed are checked to still be in Redis (one emptied or restarted without its data loses them). */
const GONE_CHECK_MS = 5_000;

type XReadReply = Array<[string, Array<[string, string[]]>]> | null;

export class LogFollower {
  readonly #reader: Redis;
  readonly #commands: Redis;
  readonly #followed = new Map<string, FollowedRun>();
  readonly #loop: Promise<void>;
  #closed = false;
  #wake: (() => void) | undefined;

  /** `reader`: a connection of its own, for blocking reads; `commands`: for the rest. */
  constructor(reader: Redis, commands: Redis) {
    this.#reader = reader;
    this.#commands = commands;
    this.#loop = this.#follow();
  }

  /** Follows `followed` from its `lastId` on, once it is ready. */
  add(followed: FollowedRun): void {
    this.#followed.set(followed.run.id, followed);
    this.#wake?.();
  }

  /** Stops following a run (it ended, or is let go of). */
  drop(id: string): void {
    this.#followed.delete(id);
  }

  /** Marks a run ready to be read on, once what its log held was read in one go. */
  ready(followed: FollowedRun): void {
    followed.ready = true;
    if (followed.run.result) this.#followed.delete(followed.run.id);
    this.#wake?.();
  }

  /** The runs followed now. */
  runs(): FollowedRun[] {
    return [...this.#followed.values()];
  }

  /** Stops reading and writes out what each run's trace still lacks. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    this.#reader.disconnect();
    await this.#loop.catch(() => {});
    for (const followed of this.#followed.values()) followed.flush();
  }

  async #follow(): Promise<void> {
    let checked = Date.now();
    while (!this.#closed) {
      const open = this.runs().filter((f) => f.ready);
      if (open.length === 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      let reply: XReadReply;
      try {
        const keys = open.map((f) => logKey(f.run.id));
        reply = (await this.#reader.xread('COUNT', 500, 'BLOCK', 250, 'STREAMS', ...keys, ...open.map((f) => f.lastId))) as XReadReply;
      } catch {
        if (this.#closed) return;
        // Redis away: the logs are read on from where they were when it is back.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      for (const [key, rows] of reply ?? []) {
        const followed = this.#followed.get(key.slice('rlm:run:'.length, -':log'.length));
        if (followed) this.#read(followed, rows);
      }
      if (Date.now() - checked > GONE_CHECK_MS) {
        checked = Date.now();
        await this.#endLostRuns();
      }
    }
  }

  #read(followed: FollowedRun, rows: Array<[string, string[]]>): void {
    for (const [streamId, fields] of rows) {
      const entry = parseEntry(fields);
      // Anything in the log that rlm did not write is passed over, never allowed to stop the server.
      if (!entry) {
        followed.lastId = streamId;
        continue;
      }
      if (followed.apply(streamId, entry)) {
        this.#followed.delete(followed.run.id);
        break;
      }
    }
    followed.flush();
  }

  /**
   * A run whose record is gone from Redis (emptied, or restarted without its data) will never
   * end there: it ends here, as an error, so that its clients are not left waiting for good.
   */
  async #endLostRuns(): Promise<void> {
    const open = this.runs().filter((f) => f.ready);
    if (open.length === 0) return;
    const pipeline = this.#commands.pipeline();
    for (const followed of open) pipeline.exists(runKey(followed.run.id));
    const replies = await pipeline.exec().catch(() => null);
    if (!replies) return;
    for (const [index, [error, exists]] of replies.entries()) {
      if (error || exists !== 0) continue;
      const followed = open[index]!;
      this.#followed.delete(followed.run.id);
      const why = 'the queue lost this run: its record is gone from Redis (emptied, or restarted without its data)';
      followed.end(resultWithoutRun('error', 'RLM_USAGE', why));
    }
  }
}
