/**
 * A run's record and log in Redis, and the few operations on them that must be atomic — each a
 * Lua script, run by Redis as one step:
 *
 * - `claim`: a worker that BullMQ gave the run takes it over, with a new owner token: the attempt
 *   number goes up and a claim entry goes into the log.
 * - `append`: events go into the log only while the writer is still the owner. A worker that lost
 *   the run (it stalled and another took it over) cannot write another event: it learns here and
 *   stops, so a run is never run twice at once.
 * - `finish`: the run's result, once, by its owner (or, for a run still queued, by a cancel).
 * - `cancel`: marks the run cancelled; the worker that holds it learns at its next event, or at
 *   once through the cancel channel.
 */
import type { Redis } from 'ioredis';
import type { RunResult } from '../rlm.ts';
import type { RlmEvent } from '../trace/events.ts';
import { ENDINGS, logKey, RUNS_BY_AGE, runKey } from './keys.ts';
import type { StoredRun } from './stored-run.ts';

/** One entry of a run's log. */
export type LogEntry =
  | { k: 'claim'; attempt: number; worker: string; at: number }
  | { k: 'event'; e: RlmEvent & { t: number } }
  | { k: 'end'; at: number; result: RunResult };

/** A run's record as Redis holds it. */
export interface RunRecord {
  request: string;
  state: string;
  createdAt: string;
  server?: string;
  worker?: string;
  owner?: string;
  attempt?: string;
  startedAt?: string;
  endedAt?: string;
  result?: string;
  cancel?: string;
}

const SUMMARY_FIELDS = ['state', 'query', 'model', 'origin', 'createdAt', 'startedAt', 'endedAt', 'result'] as const;

/** A run's record as the runs list reads it: all but its request. */
export type RunSummary = Pick<RunRecord, 'state' | 'createdAt' | 'startedAt' | 'endedAt' | 'result'> & {
  query: string;
  model: string;
  origin: string;
};

/** How a claim went: the run is the claimer's (with what it must know), or it has already ended. */
export type Claim = { owner: string; attempt: number; cancel: string | undefined } | { ended: true } | { missing: true };

/** What an append found: written, the run taken over by another worker, or the run cancelled. */
export type AppendOutcome = { ok: true } | { lost: true } | { cancelled: string };

const CLAIM = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing'} end
if state ~= 'queued' and state ~= 'running' then return {'ended'} end
local attempt = redis.call('HINCRBY', KEYS[1], 'attempt', 1)
local owner = ARGV[1] .. ':' .. attempt
redis.call('HSET', KEYS[1], 'owner', owner, 'state', 'running', 'worker', ARGV[2], 'startedAt', ARGV[3], 'seq', 0)
redis.call('XADD', KEYS[2], '*', 'x', cjson.encode({k='claim', attempt=attempt, worker=ARGV[2], at=tonumber(ARGV[3])}))
return {'claimed', owner, tostring(attempt), redis.call('HGET', KEYS[1], 'cancel') or ''}
`;

// ARGV: owner, the batch's number (1, 2... per owner), the entries. A batch sent again (its first
// sending timed out, but Redis carried it out) is not written twice.
const APPEND = `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return {'lost'} end
local seq = tonumber(ARGV[2])
if seq <= tonumber(redis.call('HGET', KEYS[1], 'seq') or '0') then return {'ok'} end
redis.call('HSET', KEYS[1], 'seq', seq)
for i = 3, #ARGV do redis.call('XADD', KEYS[2], '*', 'x', ARGV[i]) end
local cancel = redis.call('HGET', KEYS[1], 'cancel')
if cancel then return {'cancelled', cancel} end
return {'ok'}
`;

// ARGV: owner ('' for a run no worker holds), status, result JSON, now, seconds to keep, force ('1': end it whoever holds it).
const FINISH = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state or (state ~= 'queued' and state ~= 'running') then return 0 end
if ARGV[6] ~= '1' then
  if ARGV[1] == '' then
    if state ~= 'queued' then return 0 end
  elseif redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'result', ARGV[3], 'endedAt', ARGV[4])
redis.call('HDEL', KEYS[1], 'owner')
redis.call('XADD', KEYS[2], '*', 'x', '{"k":"end","at":' .. ARGV[4] .. ',"result":' .. ARGV[3] .. '}')
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1
`;

const CANCEL = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'missing' end
if state == 'queued' or state == 'running' then redis.call('HSET', KEYS[1], 'cancel', ARGV[1]) end
return state
`;

type Scripted = Redis & {
  rlmClaim(run: string, log: string, workerId: string, worker: string, now: string): Promise<string[]>;
  rlmAppend(run: string, log: string, owner: string, seq: string, ...entries: string[]): Promise<string[]>;
  rlmFinish(
    run: string,
    log: string,
    endings: string,
    owner: string,
    status: string,
    result: string,
    now: string,
    keep: string,
    force: string,
  ): Promise<number>;
  rlmCancel(run: string, reason: string): Promise<string>;
};

/**
 * A log entry as rlm writes it, or undefined for anything else found in the log (written by hand,
 * damaged): it is skipped, never allowed to stop a server or a worker. A reply skipped so is asked
 * again by a resume; an end skipped is found in the run's record.
 */
export function parseEntry(fields: readonly string[]): LogEntry | undefined {
  try {
    const entry = JSON.parse(fields[fields.indexOf('x') + 1] ?? '') as Partial<LogEntry> | null;
    if (typeof entry !== 'object' || entry === null) return undefined;
    if (entry.k === 'event' && typeof entry.e === 'object' && entry.e !== null && typeof entry.e.type === 'string')
      return entry as LogEntry;
    if (entry.k === 'claim' && typeof entry.attempt === 'number') return entry as LogEntry;
    if (entry.k === 'end' && typeof entry.result === 'object' && entry.result !== null && typeof entry.result.status === 'string')
      return entry as LogEntry;
    return undefined;
  } catch {
    return undefined;
  }
}

/** Seven days: a finished run's record and events stay readable from every server that long. */
export const DEFAULT_KEEP_SECONDS = 7 * 24 * 3600;

/** The records and logs of runs in one Redis. */
export class RunRecords {
  readonly #redis: Scripted;
  readonly #keepSeconds: number;

  constructor(redis: Redis, keepSeconds = DEFAULT_KEEP_SECONDS) {
    redis.defineCommand('rlmClaim', { numberOfKeys: 2, lua: CLAIM });
    redis.defineCommand('rlmAppend', { numberOfKeys: 2, lua: APPEND });
    redis.defineCommand('rlmFinish', { numberOfKeys: 3, lua: FINISH });
    redis.defineCommand('rlmCancel', { numberOfKeys: 1, lua: CANCEL });
    this.#redis = redis as Scripted;
    this.#keepSeconds = keepSeconds;
  }

  get redis(): Redis {
    return this.#redis;
  }

  /** Writes a new run's record, queued. */
  async create(id: string, run: StoredRun, server: string, createdAt: number): Promise<void> {
    await this.#redis
      .multi()
      // What a list shows is kept beside the request, so a list never reads a run's context.
      .hset(runKey(id), {
        request: JSON.stringify(run),
        query: run.query,
        model: run.model,
        origin: run.origin,
        state: 'queued',
        createdAt: String(createdAt),
        server,
      })
      .zadd(RUNS_BY_AGE, createdAt, id)
      // Runs older than their records are gone from Redis: forgotten from the list too.
      .zremrangebyscore(RUNS_BY_AGE, '-inf', createdAt - this.#keepSeconds * 1000)
      .exec();
  }

  /** The reason of a cancel asked for the run, if one was. */
  async cancelReason(id: string): Promise<string | undefined> {
    return (await this.#redis.hget(runKey(id), 'cancel')) ?? undefined;
  }

  /** What the runs list shows of each run, without its request (and so its context), in one round trip. */
  async summaries(ids: readonly string[]): Promise<Array<RunSummary | undefined>> {
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hmget(runKey(id), ...SUMMARY_FIELDS);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, values]) => {
      const fields = values as Array<string | null>;
      if (error || !fields || fields[0] === null) return undefined;
      return Object.fromEntries(
        SUMMARY_FIELDS.flatMap((name, i) => (fields[i] === null ? [] : [[name, fields[i]]])),
      ) as unknown as RunSummary;
    });
  }

  async record(id: string): Promise<RunRecord | undefined> {
    const fields = await this.#redis.hgetall(runKey(id));
    return fields.state === undefined ? undefined : (fields as unknown as RunRecord);
  }

  async claim(id: string, workerId: string, worker: string): Promise<Claim> {
    const [outcome, owner, attempt, cancel] = await this.#redis.rlmClaim(runKey(id), logKey(id), workerId, worker, String(Date.now()));
    if (outcome === 'missing') return { missing: true };
    if (outcome === 'ended') return { ended: true };
    return { owner: owner!, attempt: Number(attempt), cancel: cancel === '' ? undefined : cancel };
  }

  /** Writes a batch of entries, numbered `seq` (1, 2... for each owner): a batch sent again is written once. */
  async append(id: string, owner: string, entries: readonly LogEntry[], seq: number): Promise<AppendOutcome> {
    const [outcome, reason] = await this.#redis.rlmAppend(
      runKey(id),
      logKey(id),
      owner,
      String(seq),
      ...entries.map((e) => JSON.stringify(e)),
    );
    if (outcome === 'lost') return { lost: true };
    if (outcome === 'cancelled') return { cancelled: reason ?? 'cancelled' };
    return { ok: true };
  }

  /**
   * Ends the run with `result`: by its owner; with `owner` '', only while it is still queued;
   * with `force`, whoever holds it (a run whose workers all died). False when it had already ended or is not the owner's.
   */
  async finish(id: string, owner: string, result: RunResult, force = false): Promise<boolean> {
    const done = await this.#redis.rlmFinish(
      runKey(id),
      logKey(id),
      ENDINGS,
      owner,
      result.status,
      JSON.stringify(result),
      String(Date.now()),
      String(this.#keepSeconds),
      force ? '1' : '',
    );
    return done === 1;
  }

  /** Marks the run cancelled with `reason`; returns its state then (`missing` for no such run). */
  cancel(id: string, reason: string): Promise<string> {
    return this.#redis.rlmCancel(runKey(id), reason);
  }

  /** Log entries after the stream id `after` ('0': from the first), at most `count`. */
  async read(id: string, after = '0', count = 1000): Promise<Array<{ id: string; entry: LogEntry }>> {
    const rows = await this.#redis.xrange(logKey(id), after === '0' ? '-' : `(${after}`, '+', 'COUNT', count);
    return rows.flatMap(([streamId, fields]) => {
      const entry = parseEntry(fields);
      return entry ? [{ id: streamId, entry }] : [];
    });
  }

  /** Every entry of the log, in order, with its stream id. */
  async readRows(id: string): Promise<Array<{ id: string; entry: LogEntry }>> {
    const all: Array<{ id: string; entry: LogEntry }> = [];
    let after = '0';
    for (;;) {
      const page = await this.read(id, after, 1000);
      all.push(...page);
      if (page.length < 1000) return all;
      after = page.at(-1)!.id;
    }
  }

  /** Every entry of the log, in order. */
  async readAll(id: string): Promise<LogEntry[]> {
    return (await this.readRows(id)).map((row) => row.entry);
  }

  /** Run ids, newest first. */
  newest(offset: number, count: number): Promise<string[]> {
    return this.#redis.zrevrange(RUNS_BY_AGE, offset, offset + count - 1);
  }

  /** Counts of how runs ended, by status. */
  async endings(): Promise<Record<string, number>> {
    const raw = await this.#redis.hgetall(ENDINGS);
    return Object.fromEntries(Object.entries(raw).map(([status, n]) => [status, Number(n)]));
  }
}
